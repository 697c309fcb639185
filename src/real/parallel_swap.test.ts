/**
 * Multi-core mode (parallel: true): the same results as one thread, byte for byte and counter
 * for counter, for every compressor the workers run; the workers' results are what is stored;
 * a job that does not match its call is not used; a failing worker is one clear error.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PAGE_SIZE } from "../kernel/page.ts";
import { DEFAULT_MIX, generateCorpus } from "../workload/corpus.ts";
import { createZswap } from "./create_zswap.ts";
import { cpuWorkerTestHooks } from "./parallel_options.ts";
import { snapshot } from "./parallel_test_util.ts";
import { type CreateZswapOptions, type SwapSlot, ZswapError } from "./zswap_instance.ts";

const NR_PAGES = 384;
const corpus = generateCorpus({ sizeBytes: NR_PAGES * PAGE_SIZE, seed: 5, mix: DEFAULT_MIX });
const page = (i: number) => corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);

/** Swaps every page out and back in: one call at a time (each awaited), or all in flight. */
async function roundTrip(o: CreateZswapOptions, inFlight: boolean) {
  const z = createZswap({ cpus: 2, totalRamBytes: 2 ** 34, ...o });
  try {
    let slots: SwapSlot[] = [];
    if (inFlight)
      slots = await Promise.all(Array.from({ length: NR_PAGES }, (_, i) => z.swapOut(page(i))));
    else for (let i = 0; i < NR_PAGES; i++) slots.push(await z.swapOut(page(i)));
    const afterOut = snapshot(z, slots);
    const back = new Uint8Array(NR_PAGES * PAGE_SIZE);
    const dst = (i: number) => back.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    if (inFlight) await Promise.all(slots.map((s, i) => z.swapIn(s, dst(i))));
    else for (const [i, s] of slots.entries()) await z.swapIn(s, dst(i));
    return { afterOut, end: snapshot(z, []), back, workers: z.parallelStats() };
  } finally {
    await z.close();
  }
}

describe("parallel: same results as one thread", () => {
  // Every compression a job (OFFLOAD_COMPRESS_US would keep lz4's on the calling thread), so
  // that the workers' bytes are what is compared; parallel_offload.test.ts covers the choice.
  before(() => {
    cpuWorkerTestHooks.offloadCompressUs = 0;
  });
  after(() => {
    cpuWorkerTestHooks.offloadCompressUs = null;
  });

  for (const profile of ["7.3", "6.12"] as const) {
    for (const compressor of ["lz4", "lz4hc", "zstd", "lzo", "deflate"]) {
      it(`${compressor} (${profile})`, async () => {
        const one = await roundTrip({ compressor, profile }, false);
        const par = await roundTrip({ compressor, profile, parallel: true }, true);
        assert.deepEqual(par.afterOut, one.afterOut);
        assert.deepEqual(par.end, one.end);
        assert.ok(Buffer.compare(par.back, corpus.pages) === 0, "every page came back");
        assert.ok(Buffer.compare(one.back, corpus.pages) === 0);
        // The workers' results were used (for every page that reached the compressor, and every
        // load that decompressed): the test compares their bytes, not the calling thread's.
        const w = par.workers;
        assert.ok(w !== null);
        const s = one.afterOut.debugfs;
        const compressed =
          (s.stored_pages ?? 0) + (s.reject_compress_poor ?? 0) + (s.reject_compress_fail ?? 0);
        assert.ok(w.used >= compressed, `used ${w.used} of ${compressed} compressions`);
        assert.equal(one.workers, null);
      });
    }
  }

  it("under the pool limit, with writeback: same counters and slots", async () => {
    const o = { compressor: "zstd", totalRamBytes: 64 * PAGE_SIZE * 4, shrinker_enabled: true };
    const one = await roundTrip(o, false);
    const par = await roundTrip({ ...o, parallel: true }, true);
    assert.ok((one.afterOut.debugfs.pool_limit_hit ?? 0) > 0, "the limit was hit");
    assert.ok((one.afterOut.debugfs.written_back_pages ?? 0) > 0, "pages were written back");
    assert.deepEqual(par.afterOut, one.afterOut);
    assert.ok(Buffer.compare(par.back, corpus.pages) === 0);
  });

  it("calls run in call order: a compressor switch between stores", async () => {
    const run = async (parallel: boolean) => {
      const z = createZswap({ cpus: 2, compressor: "lz4", parallel });
      try {
        // Not awaited: the second store's job was made with lz4, but it runs after the switch,
        // so its job does not match the call (zstd) and is not used.
        const a = z.swapOut(page(1));
        const set = z.setParam("compressor", "zstd");
        const b = z.swapOut(page(2));
        const slots = [await a, await b];
        await set;
        const stats = snapshot(z, slots);
        const back = await Promise.all(slots.map((s) => z.swapIn(s)));
        return { stats, back, workers: z.parallelStats() };
      } finally {
        await z.close();
      }
    };
    const one = await run(false);
    const par = await run(true);
    assert.deepEqual(par.stats, one.stats);
    assert.deepEqual(par.back, [page(1), page(2)]);
    // Decompressions stay on the calling thread (cheaper than a job: OFFLOAD_DECOMPRESS_US).
    assert.equal(par.workers?.used, 1, "page 1's compression");
  });

  it("swap-ins decompressed by the workers (offload forced): same results", async () => {
    cpuWorkerTestHooks.offloadDecompressUs = 0;
    try {
      for (const compressor of ["lz4", "deflate"]) {
        const one = await roundTrip({ compressor }, false);
        const par = await roundTrip({ compressor, parallel: true }, true);
        assert.deepEqual(par.afterOut, one.afterOut);
        assert.deepEqual(par.end, one.end);
        assert.ok(Buffer.compare(par.back, corpus.pages) === 0, "every page came back");
        const s = one.afterOut.debugfs;
        const compressed =
          (s.stored_pages ?? 0) + (s.reject_compress_poor ?? 0) + (s.reject_compress_fail ?? 0);
        // Loads of pages stored compressed took the workers' results too (pages stored whole,
        // incompressible, are not decompressed).
        const w = par.workers;
        assert.ok(w !== null && w.used > compressed + 100, `used ${w?.used} of ${compressed}`);
        assert.ok(w.decompressSeconds > 0);
      }
    } finally {
      cpuWorkerTestHooks.offloadDecompressUs = null;
    }
  });

  it("no job for a zero-filled page or folio (the swap layer keeps it out of zswap)", async () => {
    const z = createZswap({ cpus: 2, compressor: "lz4", parallel: true });
    try {
      const zero = new Uint8Array(PAGE_SIZE);
      const data = page(firstNonZero());
      const slots = await Promise.all([z.swapOut(zero), z.swapOut(data), z.swapOut(zero)]);
      assert.equal(z.parallelStats()?.jobs, 1, "only the page with data");
      assert.deepEqual(await z.swapIn(slots[1] as SwapSlot), data);
      assert.deepEqual(await z.swapIn(slots[0] as SwapSlot), zero);
    } finally {
      await z.close();
    }
  });
});

describe("parallel: a failing worker", () => {
  before(() => {
    cpuWorkerTestHooks.offloadCompressUs = 0;
  });
  after(() => {
    cpuWorkerTestHooks.offloadCompressUs = null;
    cpuWorkerTestHooks.handler = null;
    cpuWorkerTestHooks.help = true;
    delete process.env.ZSWAP_TEST_WORKER_FAIL;
  });

  for (const mode of ["throw", "exit"]) {
    it(`${mode}: every queued call fails with one clear error; nothing of them ran`, async () => {
      process.env.ZSWAP_TEST_WORKER_FAIL = mode;
      cpuWorkerTestHooks.handler = new URL("./engines/failing_codec_test_util.ts", import.meta.url);
      cpuWorkerTestHooks.help = false;
      const z = createZswap({ cpus: 2, compressor: "lz4", parallel: true });
      try {
        const calls = Array.from({ length: 64 }, (_, i) => z.swapOut(page(i)));
        const results = await Promise.allSettled(calls);
        const failed = results.filter((r) => r.status === "rejected");
        assert.ok(failed.length > 0);
        const reasons = new Set(failed.map((r) => (r as PromiseRejectedResult).reason.message));
        assert.equal(reasons.size, 1, [...reasons].join("\n"));
        const e = (failed[0] as PromiseRejectedResult).reason;
        assert.ok(e instanceof ZswapError);
        assert.equal(e.code, "ENOTRECOVERABLE");
        const why = mode === "exit" ? /exited with code 7/ : /no algorithm for op/;
        assert.match(e.message, /^Cannot swap out: a CPU worker failed: /);
        assert.match(e.message, why);
        // The calls that succeeded are stored; the others never ran.
        const ok = results.length - failed.length;
        const st = z.stats();
        assert.equal(st.vmstat.pswpout + (st.debugfs.stored_pages ?? 0), ok - zeros(ok));
        await assert.rejects(
          z.swapOut(page(0)),
          (x: unknown) => x instanceof ZswapError && x.code === "ENOTRECOVERABLE",
        );
      } finally {
        await z.close();
      }
    });
  }
});

function firstNonZero(): number {
  for (let i = 0; i < NR_PAGES; i++) if (page(i).some((b) => b !== 0)) return i;
  throw new Error("the corpus has no page with data");
}

/** Zero-filled pages among the first n (they go to the zero map, not zswap). */
function zeros(n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (page(i).every((b) => b === 0)) c++;
  return c;
}
