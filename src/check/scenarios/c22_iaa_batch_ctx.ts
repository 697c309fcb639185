/**
 * C22. The IAA driver's per-CPU batch ctx under migration and CPU offline (reference §4, C22).
 * S stores a 2-page folio on CPU 1 through the batching driver (iaa-sim-batch): it locks
 * iaa_batch_ctx(cpu1) (raw_cpu_ptr + mutex), submits both descriptors and polls, and may migrate
 * while polling; meanwhile H takes CPU 1 down and brings it back, and T stores on CPU 1.
 *
 * As posted (v13/v14) the batch ctx lives as long as the driver: safe. C22-free runs the same
 * actors on a driver that frees the batch ctx when the CPU dies (iaaCryptoFreeAtOffline): the
 * C1 use-after-free again, in the driver.
 */
import { iaaCryptoFreeAtOffline } from "../../crypto/iaa_crypto.ts";
import { cpuDown, cpuUp } from "../../kernel/cpu_updown.ts";
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { nonBatchingDesigns, swapOutFolio, testFolio } from "./batching_common.ts";

function c22(id: string, freeAtOffline: boolean): Scenario {
  return {
    id,
    title: freeAtOffline
      ? "a driver that frees its per-CPU batch ctx at CPU offline (hypothetical)"
      : "the IAA driver's per-CPU batch ctx under migration and CPU offline",
    bad: "a task that migrated while holding iaa_batch_ctx(cpu) uses it after the CPU's teardown freed it (C1 in the driver)",
    nrCpus: 2,
    notApplicable: nonBatchingDesigns(),
    compressor: "iaa-sim-batch",
    // C22-free's driver change on the init task, before the actors exist (docs/checking.md,
    // "Reach"); C22 has no prelude.
    ...(freeAtOffline ? { prelude: freeBatchCtxAtOffline } : {}),
    actors: (env) => [
      actorOf("S", 1, storeFolio(env, 220)),
      actorOf("H", 0, downUp(env.k, 1)),
      actorOf("T", 1, storeFolio(env, 240)),
    ],
  };
}

function* freeBatchCtxAtOffline({ k }: ScenarioEnv): Op<void> {
  yield* iaaCryptoFreeAtOffline(k);
}

/** H: takes `cpu` down and brings it back (whatever cpu_down returned). */
function* downUp(k: Kernel, cpu: number): Op<void> {
  yield* cpuDown(k, cpu);
  yield* cpuUp(k, cpu);
}

/** S and T: store a 2-page folio tagged from `tag`. */
function* storeFolio({ k, oracle }: ScenarioEnv, tag: number): Op<void> {
  yield* swapOutFolio(k, oracle, testFolio(2, tag));
}

export const C22 = c22("C22", false);
export const C22_FREE = c22("C22-free", true);
