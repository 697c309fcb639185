/**
 * C1. Use-after-free on hotunplug after migration (the syzbot/KASAN bug of 6.12).
 * T stores and loads pages (compress and decompress take the current CPU's ctx); H takes CPU 0
 * offline. Nothing scripts the migration: the explorer decides when T moves.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { offline, storeAndLoad } from "./bodies.ts";

export const C1: Scenario = {
  id: "C1",
  title: "use-after-free on hotunplug after migration",
  bad: "a task keeps using ctx(A) after migrating; A dies and its resources are freed",
  nrCpus: 2,
  actors: (env) => [actorOf("T", 0, storeAndLoad(env, 1)), actorOf("H", 1, offline(env.k, 0))],
};
