/**
 * Multi-core mode's choice of which pages go to the CPU workers (OffloadPolicy) changes where
 * a page is compressed, never the results: with the choice drawn at random per page, with
 * the measured costs (the default), with nothing offloaded, and with injected failures among
 * the pages in flight, every run equals the one-thread run, and calls settle in call order.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { PAGE_SIZE } from "../kernel/page.ts";
import { Rng } from "../util/rng.ts";
import { DEFAULT_MIX, generateCorpus } from "../workload/corpus.ts";
import { createZswap } from "./create_zswap.ts";
import type { FaultOptions } from "./faults.ts";
import { cpuWorkerTestHooks } from "./parallel_options.ts";
import { snapshot } from "./parallel_test_util.ts";
import type { CreateZswapOptions, SwapSlot } from "./zswap_instance.ts";

const NR_PAGES = 256;
const corpus = generateCorpus({ sizeBytes: NR_PAGES * PAGE_SIZE, seed: 11, mix: DEFAULT_MIX });
const page = (i: number) => corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);

/**
 * Every page out, then back in: one call at a time (awaited), or all in flight. Records the
 * order in which the in-flight calls settled.
 */
async function roundTrip(o: CreateZswapOptions, inFlight: boolean) {
  const z = createZswap({ cpus: 2, totalRamBytes: 2 ** 34, ...o });
  const settled: number[] = [];
  try {
    let slots: SwapSlot[] = [];
    if (inFlight) {
      const calls = Array.from({ length: NR_PAGES }, (_, i) =>
        z.swapOut(page(i)).then((s) => {
          settled.push(i);
          return s;
        }),
      );
      slots = await Promise.all(calls);
    } else for (let i = 0; i < NR_PAGES; i++) slots.push(await z.swapOut(page(i)));
    const afterOut = snapshot(z, slots);
    const back = new Uint8Array(NR_PAGES * PAGE_SIZE);
    const dst = (i: number) => back.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    if (inFlight) await Promise.all(slots.map((s, i) => z.swapIn(s, dst(i))));
    else for (const [i, s] of slots.entries()) await z.swapIn(s, dst(i));
    return { afterOut, end: snapshot(z, []), back, settled, workers: z.parallelStats() };
  } finally {
    await z.close();
  }
}

/** Compressions that reached the compressor in a run (stored, or rejected by it). */
function compressions(r: Awaited<ReturnType<typeof roundTrip>>): number {
  const s = r.afterOut.debugfs;
  return (
    (s.stored_pages ?? 0) +
    (s.stored_incompressible_pages ?? 0) +
    (s.reject_compress_poor ?? 0) +
    (s.reject_compress_fail ?? 0)
  );
}

async function assertSameAsOneThread(o: CreateZswapOptions) {
  const one = await roundTrip(o, false);
  const par = await roundTrip({ ...o, parallel: true }, true);
  assert.deepEqual(par.afterOut, one.afterOut);
  assert.deepEqual(par.end, one.end);
  assert.ok(Buffer.compare(par.back, corpus.pages) === 0, "every page came back");
  assert.deepEqual(
    par.settled,
    Array.from({ length: NR_PAGES }, (_, i) => i),
    "settled in call order",
  );
  return { one, par };
}

describe("parallel: which pages go to the workers changes no result", () => {
  afterEach(() => {
    cpuWorkerTestHooks.offloadChoice = null;
    cpuWorkerTestHooks.offloadCompressUs = null;
    cpuWorkerTestHooks.offloadDecompressUs = null;
  });

  for (const compressor of ["lz4", "zstd", "deflate"]) {
    it(`${compressor}: the choice drawn at random for every page`, async () => {
      const rng = new Rng(7);
      cpuWorkerTestHooks.offloadChoice = () => rng.below(2) === 0;
      const { one, par } = await assertSameAsOneThread({ compressor });
      const w = par.workers;
      assert.ok(w !== null);
      // About half of the compressions and decompressions were jobs, the rest ran inline.
      const n = compressions(one);
      assert.ok(w.used > n / 4, `used ${w.used} of ${n} compressions`);
      assert.ok(w.jobs < 2 * NR_PAGES, `jobs ${w.jobs}: not every page`);
    });
  }

  for (const compressor of ["lz4", "zstd"]) {
    it(`${compressor}: the choice by measured costs (the default)`, async () => {
      await assertSameAsOneThread({ compressor });
    });
  }

  it("nothing offloaded: no job at all, same results", async () => {
    cpuWorkerTestHooks.offloadCompressUs = Number.POSITIVE_INFINITY;
    cpuWorkerTestHooks.offloadDecompressUs = Number.POSITIVE_INFINITY;
    const { par } = await assertSameAsOneThread({ compressor: "deflate" });
    assert.equal(par.workers?.jobs, 0);
  });

  it("failing pages among the jobs in flight (injected faults): same results", async () => {
    cpuWorkerTestHooks.offloadCompressUs = 0;
    const faults: FaultOptions = { compress: 0.15, zs_malloc: 0.1, kmalloc: 0.05, seed: 3 };
    for (const profile of ["7.3", "6.12"] as const) {
      const { one, par } = await assertSameAsOneThread({ compressor: "lz4", profile, faults });
      const s = one.afterOut.debugfs;
      const rejected = (s.reject_alloc_fail ?? 0) + (s.reject_kmemcache_fail ?? 0);
      assert.ok(rejected > 0, "allocations failed after their pages were compressed");
      const failedCompress =
        (s.reject_compress_fail ?? 0) +
        (profile === "7.3" ? (s.stored_incompressible_pages ?? 0) : 0);
      assert.ok(failedCompress > 0, "compressions failed");
      // A job whose call met an injected compress failure is not used; the others are.
      const w = par.workers;
      assert.ok(w !== null && w.used > 0 && w.used < w.jobs, `used ${w?.used} of ${w?.jobs}`);
    }
  });
});
