/** The lifecycle scenarios (reference §4), selectable by id. */
import { UnknownNameError } from "../../util/unknown_name_error.ts";
import type { Scenario } from "../harness.ts";
import { BATCHING_SCENARIOS } from "./batching.ts";
import { C1 } from "./c01_uaf_offline.ts";
import { C2 } from "./c02_mutex_reinit.ts";
import { C3 } from "./c03_hotplug_lock.ts";
import { C4 } from "./c04_prepare_reclaim.ts";
import { C5 } from "./c05_scomp_abba.ts";
import { C6 } from "./c06_retry_offline.ts";
import { C7 } from "./c07_partial_add.ts";
import { C8 } from "./c08_destroy_online.ts";
import { C9 } from "./c09_final_offline.ts";
import { C10 } from "./c10_cycle.ts";
import { C11 } from "./c11_dangling_prepare.ts";
import { C12 } from "./c12_create_visibility.ts";
import { C23 } from "./c23_ref_fail.ts";
import { C26 } from "./c26_release_vs_rcu_reader.ts";
import { ENGINE_SCENARIOS, withEngineInvariants } from "./engine.ts";

/** The lifecycle family; each also checks the engine's invariants when every task is done. */
export const LIFECYCLE_SCENARIOS: readonly Scenario[] = [
  C1,
  C2,
  C3,
  C4,
  C5,
  C6,
  C7,
  C8,
  C9,
  C10,
  C11,
  C12,
  C23,
].map(withEngineInvariants);

/**
 * Every scenario: the lifecycle family, the engine races (C13-C25), then C26 (pool release
 * against an RCU reader: the grace period of __zswap_pool_release()), then the batching
 * scenarios (C21, C22, C22-free, C27).
 */
export const ALL_SCENARIOS: readonly Scenario[] = [
  ...LIFECYCLE_SCENARIOS,
  ...ENGINE_SCENARIOS,
  withEngineInvariants(C26),
  ...BATCHING_SCENARIOS,
];

/**
 * Scenarios found by id (check --scenario, replay tokens) but left out of the listings and the
 * matrix: the claims ledger's own (src/check/claims/scenarios.ts).
 */
const hidden: Scenario[] = [];

export function registerHiddenScenario(s: Scenario): void {
  if (!hidden.some((x) => x.id === s.id)) hidden.push(withEngineInvariants(s));
}

export function scenarioById(id: string): Scenario {
  const s = [...ALL_SCENARIOS, ...hidden].find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (s === undefined) {
    throw new UnknownNameError(
      "scenario",
      id,
      `Unknown scenario '${id}'; available: ${ALL_SCENARIOS.map((x) => x.id).join(", ")}`,
    );
  }
  return s;
}
