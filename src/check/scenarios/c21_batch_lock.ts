/**
 * C21. Batching lock granularity vs a page fault's decompression (reference §4, C21). S stores a
 * 16-page folio (two store batches) on CPU 0 while D, a page fault on the same CPU, swaps in a
 * page the prelude stored (on the init task, before S and D exist: see docs/checking.md,
 * "Reach"): zswap_decompress() needs the same ctx mutex.
 *
 * v7 held the mutex for the whole folio, so D could wait for all 16 compressions (a zstd kernel
 * compile regressed); v8+ lock once per store batch, so D waits for at most one batch.
 *
 * Oracle (a bounded wait, in the manner of the hung-task detector): the compressions that run
 * while D sleeps on the ctx mutex, counted by the pool's compressor ("sim-watch": the sim code,
 * counting), must be at most ZSWAP_MAX_BATCH_SIZE. D7-batch-v7 breaks it, D7-batch keeps it.
 */
import { simCompress, simCompressorFactory } from "../../crypto/algorithms/sim.ts";
import type { CompressorFactory } from "../../crypto/algorithms/types.ts";
import type { Op } from "../../kernel/effect.ts";
import { Mutex } from "../../kernel/mutex.ts";
import { KernelBug } from "../../kernel/report.ts";
import type { Task } from "../../kernel/task.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { CTX_MUTEX_CLASS } from "../../zswap/acomp_ctx/common.ts";
import { ZSWAP_MAX_BATCH_SIZE } from "../../zswap/acomp_ctx/d7_batch.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { nonBatchingDesigns, swapOutFolio, testFolio } from "./batching_common.ts";

const FOLIO_PAGES = 2 * ZSWAP_MAX_BATCH_SIZE;

/** The slot of the page D swaps in, per execution (keyed by the execution's oracle). */
const slotD = new WeakMap<object, SwpEntry | null>();

/** What sim-watch counts; reset by the scenario for every execution (they run one at a time). */
const watch: { task: Task | null; run: number; max: number } = { task: null, run: 0, max: 0 };

function watchedIsWaiting(): boolean {
  const t = watch.task;
  return (
    t !== null &&
    t.state === "blocked" &&
    t.blockedOn instanceof Mutex &&
    t.blockedOn.cls === CTX_MUTEX_CLASS
  );
}

/** The sim compressor, counting the compressions that run while the watched task waits. */
const SIM_WATCH: CompressorFactory = {
  ...simCompressorFactory,
  name: "sim-watch",
  kernelParams: "none: the sim code, counting compressions while a watched task waits (C21)",
  create: () => ({
    name: "sim-watch",
    compress(src, dst) {
      watch.run = watchedIsWaiting() ? watch.run + 1 : 0;
      watch.max = Math.max(watch.max, watch.run);
      return simCompress(src, dst);
    },
    decompress: (src, dst) => simCompressorFactory.create().decompress(src, dst),
  }),
};

export const C21: Scenario = {
  id: "C21",
  title: "batching lock granularity vs a page fault's decompression",
  bad: "a page fault's decompression waits on the ctx mutex for a whole folio's compressions (v7)",
  nrCpus: 1,
  notApplicable: nonBatchingDesigns(),
  algorithms: [SIM_WATCH],
  compressor: "sim-watch",
  arm() {
    watch.task = null;
    watch.run = 0;
    watch.max = 0;
  },
  *prelude({ k, oracle }) {
    slotD.set(oracle, yield* oracle.swapOut(k, testPage(210)));
  },
  actors: (env) => [actorOf("S", 0, storeFolio(env)), actorOf("D", 0, faultIn(env))],
};

/** S: stores the 16-page folio. */
function* storeFolio({ k, oracle }: ScenarioEnv): Op<void> {
  yield* swapOutFolio(k, oracle, testFolio(FOLIO_PAGES, 211));
}

/** D: the page fault; the compressions while it waits on the ctx mutex are bounded. */
function* faultIn({ k, oracle }: ScenarioEnv): Op<void> {
  const slot = slotD.get(oracle) ?? null;
  if (slot === null) return;
  watch.task = k.task;
  yield* oracle.swapInAndCheck(k, slot);
  watch.task = null;
  if (watch.max > ZSWAP_MAX_BATCH_SIZE)
    throw new KernelBug(
      "warning",
      `INFO: task D blocked on the ctx mutex while ${watch.max} pages of a folio were compressed`,
      [
        `bound: ZSWAP_MAX_BATCH_SIZE (${ZSWAP_MAX_BATCH_SIZE}) pages, one store batch; the folio has ${FOLIO_PAGES}`,
        "the store holds the ctx mutex across store batches (v7's per-folio locking)",
      ],
    );
}
