/** The batching scenarios (issue #14): run on the batching designs (D7-batch, D7-batch-v7). */
import type { Scenario } from "../harness.ts";
import { C21 } from "./c21_batch_lock.ts";
import { C22, C22_FREE } from "./c22_iaa_batch_ctx.ts";
import { C27 } from "./c27_partial_batch_fail.ts";
import { withEngineInvariants } from "./engine.ts";

export const BATCHING_SCENARIOS: readonly Scenario[] = [C21, C22, C22_FREE, C27].map(
  withEngineInvariants,
);
