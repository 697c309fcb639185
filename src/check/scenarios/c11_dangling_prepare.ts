/**
 * C11. A failed prepare must leave the ctx re-preparable (the L20 nit): H brings CPU 2 up twice
 * while request allocation may fail, then the pool is switched away and destroyed. A free
 * routine that leaves freed pointers behind makes the second prepare skip allocation, and the
 * destroy free them again.
 */
import { cpuUp } from "../../kernel/cpu_updown.ts";
import type { Op } from "../../kernel/effect.ts";
import { memory } from "../../kernel/memory.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { switchCompressor } from "./common.ts";

export const C11: Scenario = {
  id: "C11",
  title: "prepare failure leaves a dangling pointer",
  bad: "use-after-free or double free of a tfm freed by a failed prepare",
  nrCpus: 3,
  onlineCpus: [0, 1],
  notApplicable: ["D0", "D1", "D2", "D3", "D4"],
  arm: (env) => memory(env.k).policy.faultable.add("acomp_req"),
  actors: (env) => [actorOf("H", 0, failThenRetry(env))],
};

/** H: a CPU online whose prepare fails, the same again without the fault, a store, a switch. */
function* failThenRetry(env: ScenarioEnv): Op<void> {
  const k = env.k;
  yield* cpuUp(k, 2);
  memory(k).policy.faultable.delete("acomp_req");
  yield* cpuUp(k, 2);
  yield* env.oracle.swapOut(k, testPage(12));
  yield* switchCompressor(env, "sim-b");
}
