/**
 * Scenarios the claims ledger needs beyond C1-C26, registered as hidden scenarios (found by
 * id for `check --scenario` and replay tokens, left out of the matrix).
 */
import { cpuUp } from "../../kernel/cpu_updown.ts";
import { actor, type Scenario } from "../harness.ts";
import { testPage } from "../oracle.ts";
import {
  faultable,
  PREPARE_ALLOCS,
  reclaimable,
  reclaimIntoZswap,
  switchCompressor,
} from "../scenarios/common.ts";
import { registerHiddenScenario } from "../scenarios/index.ts";

/** L1. A CPU comes up while a task stores and loads: may it use the new CPU's ctx too early? */
export const L1: Scenario = {
  id: "L1",
  title: "stores and loads while a CPU comes up",
  bad: "a task uses the new CPU's ctx before its prepare completed",
  nrCpus: 3,
  onlineCpus: [0, 1],
  actors: ({ k, oracle }) => [
    actor("T", 0, function* () {
      const a = yield* oracle.swapOut(k, testPage(81));
      if (a !== null) yield* oracle.swapInAndCheck(k, a);
    }),
    actor("H", 1, function* () {
      yield* cpuUp(k, 2);
    }),
  ],
};

/** L2. C4 (pool creation and CPU online, reclaim from prepare) where prepare's allocations may also fail. */
export const L2: Scenario = {
  id: "L2",
  title: "prepare may reclaim or fail: pool creation and CPU online",
  bad: "a failed prepare leaks, double-frees, or leaves a ctx that a store then uses",
  nrCpus: 3,
  onlineCpus: [0, 1],
  arm(env) {
    reclaimIntoZswap(env, 90);
    reclaimable(env, ...PREPARE_ALLOCS);
    faultable(env, ...PREPARE_ALLOCS);
  },
  actors: (env) => [
    actor("S", 0, function* () {
      yield* switchCompressor(env, "sim-b");
    }),
    actor("H", 1, function* () {
      yield* cpuUp(env.k, 2);
    }),
  ],
};

export const LEDGER_SCENARIOS: readonly Scenario[] = [L1, L2];

for (const s of LEDGER_SCENARIOS) registerHiddenScenario(s);
