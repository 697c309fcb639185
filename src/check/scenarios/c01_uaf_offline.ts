/**
 * C1. Use-after-free on hotunplug after migration (the syzbot/KASAN bug of 6.12).
 * T stores and loads pages (compress and decompress take the current CPU's ctx); H takes CPU 0
 * offline. Nothing scripts the migration: the explorer decides when T moves.
 */
import { cpuDown } from "../../kernel/cpu_updown.ts";
import { actor, type Scenario } from "../harness.ts";
import { testPage } from "../oracle.ts";

export const C1: Scenario = {
  id: "C1",
  title: "use-after-free on hotunplug after migration",
  bad: "a task keeps using ctx(A) after migrating; A dies and its resources are freed",
  nrCpus: 2,
  actors: ({ k, oracle }) => [
    actor("T", 0, function* () {
      const swp = yield* oracle.swapOut(k, testPage(1));
      if (swp !== null) yield* oracle.swapInAndCheck(k, swp);
    }),
    actor("H", 1, function* () {
      yield* cpuDown(k, 0);
    }),
  ],
};
