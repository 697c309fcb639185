import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { faultInject } from "../kernel/fault_inject.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { DEFAULT_MIX, generateCorpus } from "../workload/corpus.ts";
import { zswapState } from "../zswap/state.ts";
import { createZswap } from "./create_zswap.ts";
import { checkFaults, type FaultKind, type FaultOptions, parseFailSpec } from "./faults.ts";
import {
  type CreateZswapOptions,
  type SwapSlot,
  ZswapError,
  type ZswapInstance,
} from "./zswap_instance.ts";

const corpus = generateCorpus({ sizeBytes: 64 * PAGE_SIZE, seed: 3, mix: DEFAULT_MIX });
const textPage = (() => {
  const i = [...corpus.kinds.keys()].find((j) => corpus.kinds[j] === 0) as number;
  return corpus.pages.slice(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
})();

async function withZswap(
  faults: FaultOptions,
  extra: CreateZswapOptions,
  body: (z: ZswapInstance) => Promise<void> | void,
): Promise<void> {
  const z = createZswap({
    cpus: 2,
    totalRamBytes: 2 ** 32,
    swapSizeBytes: 2 ** 22,
    faults,
    ...extra,
  });
  try {
    await body(z);
  } finally {
    await z.close();
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Swaps `slot` in, retrying after injected EIO; returns the bytes and the failures seen. */
function swapInRetrying(
  z: ZswapInstance,
  slot: SwapSlot,
  afterFailure = () => {},
): { back: Uint8Array; failures: number } {
  for (let failures = 0; failures < 64; failures++) {
    try {
      return { back: z.swapInSync(slot), failures };
    } catch (e) {
      assert.ok(e instanceof ZswapError && e.code === "EIO", String(e));
      assert.ok(slot.live, "a failed swap-in keeps the slot");
      afterFailure();
    }
  }
  throw new Error("64 swap-ins failed in a row");
}

describe("fault injection: each knob takes the kernel's path", () => {
  const rejects: Array<[keyof FaultOptions, CreateZswapOptions, string, string]> = [
    ["kmalloc", {}, "reject_kmemcache_fail", "the entry allocation fails"],
    ["zs_malloc", {}, "reject_alloc_fail", "zs_malloc fails"],
    ["compress", { profile: "6.12" }, "reject_compress_fail", "(6.12) the compressor fails"],
  ];
  for (const [knob, extra, counter, what] of rejects) {
    it(`${knob}: ${what} -> ${counter}, the page goes to the swap file`, async () => {
      await withZswap({ [knob]: 1 }, extra, (z) => {
        const slot = z.swapOutSync(textPage);
        const s = z.stats();
        assert.equal(s.faults[knob as FaultKind], 1);
        for (const c of ["reject_kmemcache_fail", "reject_alloc_fail", "reject_compress_fail"])
          assert.equal(s.debugfs[c as "reject_alloc_fail"], c === counter ? 1 : 0, c);
        assert.equal(s.debugfs.reject_compress_poor, 0);
        assert.equal(s.debugfs.stored_pages, 0);
        assert.equal(s.vmstat.pswpout, 1);
        assert.ok(same(z.swapInSync(slot), textPage));
      });
    });
  }

  it("compress (latest): zswap_compress stores the page as it is (writeback is allowed)", async () => {
    await withZswap({ compress: 1 }, {}, (z) => {
      const slot = z.swapOutSync(textPage);
      const s = z.stats();
      assert.equal(s.faults.compress, 1);
      assert.equal(s.debugfs.reject_compress_fail, 0);
      assert.equal(s.debugfs.stored_incompressible_pages, 1);
      assert.equal(s.vmstat.pswpout, 0);
      assert.ok(same(z.swapInSync(slot), textPage));
    });
  });

  it("decompress: decompress_fail, the load fails with EIO, the entry stays and a retry succeeds", async () => {
    await withZswap({ decompress: 0.5, seed: 1 }, {}, (z) => {
      let failures = 0;
      for (let i = 0; i < 16; i++) {
        const slot = z.swapOutSync(textPage);
        assert.equal(z.stats().debugfs.stored_pages, 1);
        const r = swapInRetrying(z, slot, () =>
          assert.equal(z.stats().debugfs.stored_pages, 1, "the entry stays in zswap"),
        );
        failures += r.failures;
        assert.ok(same(r.back, textPage), "never wrong data");
      }
      const s = z.stats();
      assert.ok(failures > 0);
      assert.equal(s.faults.decompress, failures);
      assert.equal(s.debugfs.decompress_fail, failures);
      assert.equal(s.debugfs.stored_pages, 0);
    });
  });

  it("decompress in writeback: the entry stays (reject_reclaim_fail) and loads later", async () => {
    await withZswap({ decompress: 1 }, { shrinker_enabled: true }, async (z) => {
      const slot = z.swapOutSync(textPage);
      assert.equal(await z.shrink(1), 0, "second chance: the entry was referenced");
      assert.equal(await z.shrink(1), 0);
      const s = z.stats();
      assert.equal(s.debugfs.reject_reclaim_fail, 1);
      assert.equal(s.debugfs.decompress_fail, 1);
      assert.equal(s.debugfs.stored_pages, 1);
      assert.equal(s.vmstat.zswpwb, 0);
      assert.ok(slot.live);
      z.free(slot);
    });
  });

  it("swap_write in writeback: the entry is gone, the redirtied page stays in the swap cache", async () => {
    await withZswap({ swap_write: 1 }, { shrinker_enabled: true }, async (z) => {
      const slot = z.swapOutSync(textPage);
      await z.shrink(1); // second chance: the entry was referenced
      // As the kernel: the entry is erased before the write is submitted; the write fails in
      // end_swap_bio_write(), which redirties the folio: the page is in memory, not in zswap.
      assert.equal(await z.shrink(1), 1);
      await z.flush();
      const s = z.stats();
      assert.equal(s.faults.swap_write, 1);
      assert.equal(s.debugfs.reject_reclaim_fail, 0);
      assert.equal(s.debugfs.written_back_pages, 1);
      assert.equal(s.debugfs.stored_pages, 0);
      assert.ok(same(z.swapInSync(slot), textPage));
      assert.equal(z.stats().swapFile.slotsInUse, 0, "the swap-in took the folio out of the cache");
    });
  });

  it("swap_write on swap-out: a page nowhere to go fails the call with EIO, the caller keeps it", async () => {
    await withZswap({ swap_write: 1, kmalloc: 1 }, {}, async (z) => {
      assert.throws(
        () => z.swapOutSync(textPage),
        (e) =>
          e instanceof ZswapError &&
          e.code === "EIO" &&
          /injected fault \(swap_write\)\); the page was not swapped out/.test(e.message),
      );
      await assert.rejects(z.swapOut(textPage), (e) => e instanceof ZswapError && e.code === "EIO");
      const s = z.stats();
      assert.equal(s.swapFile.slotsInUse, 0, "the slots were released");
      assert.equal(s.swapFile.writeErrors, 0, "real write errors are counted apart");
      assert.equal(s.faults.swap_write, 2);
      assert.equal(s.debugfs.reject_kmemcache_fail, 2);
    });
  });

  it("swap_read: EIO, the slot stays, a retry reads the page", async () => {
    await withZswap({ swap_read: 0.5, seed: 2 }, { enabled: false }, (z) => {
      let failures = 0;
      for (let i = 0; i < 32 && failures === 0; i++) {
        const slot = z.swapOutSync(textPage);
        const r = swapInRetrying(z, slot);
        failures += r.failures;
        assert.ok(same(r.back, textPage));
      }
      assert.ok(failures > 0);
      const s = z.stats();
      assert.equal(s.faults.swap_read, failures);
      assert.equal(s.swapFile.readErrors, 0);
      assert.equal(s.vmstat.pswpin, s.vmstat.pswpout);
    });
  });

  it("swap_read in a large folio: the pages already read are kept, a retry resumes, free drops the rest", async () => {
    const folio = corpus.pages.slice(0, 16 * PAGE_SIZE);
    await withZswap({ swap_read: 0.2, seed: 4 }, { enabled: false }, async (z) => {
      let partial = 0;
      for (let n = 0; n < 20; n++) {
        const slot = z.swapOutSync(folio);
        let back: Uint8Array | null = null;
        for (let tries = 0; back === null && tries < 64; tries++) {
          try {
            back = n % 2 === 0 ? z.swapInSync(slot) : await z.swapIn(slot);
          } catch (e) {
            assert.ok(e instanceof ZswapError && e.code === "EIO", String(e));
            if (z.stats().swapFile.slotsInUse < 16) partial++;
            if (n === 19 && tries === 0) {
              z.free(slot); // only the pages still out: another folio may hold the others now
              break;
            }
          }
        }
        if (back !== null) assert.ok(same(back, folio), `folio ${n}`);
        assert.equal(z.stats().swapFile.slotsInUse, 0);
      }
      assert.ok(partial > 0, "a swap-in failed part way");
    });
  });

  it("counts by the task they hit, and the same seed injects the same faults", async () => {
    const run = async () => {
      const counts: number[] = [];
      await withZswap({ kmalloc: 0.3, zs_malloc: 0.3, seed: 9 }, {}, (z) => {
        for (let i = 0; i < 50; i++) {
          z.swapInSync(z.swapOutSync(textPage));
          counts.push(z.stats().vmstat.pswpout);
        }
        const fi = faultInject(z.kernel);
        assert.ok(fi !== null);
        const s = z.stats();
        assert.equal(fi.injectedIn("swapout", "kmalloc"), s.faults.kmalloc);
        assert.equal(s.faults.kmalloc, s.debugfs.reject_kmemcache_fail);
        assert.equal(s.faults.zs_malloc, s.debugfs.reject_alloc_fail);
        assert.equal(s.vmstat.pswpout, s.faults.kmalloc + s.faults.zs_malloc);
      });
      return counts;
    };
    assert.deepEqual(await run(), await run());
  });

  it("no faults: nothing is installed", async () => {
    await withZswap({ kmalloc: 0 }, {}, (z) => {
      assert.equal(faultInject(z.kernel), null);
      assert.equal(zswapState(z.kernel).pools.length, 1);
      assert.deepEqual(Object.values(z.stats().faults), [0, 0, 0, 0, 0, 0]);
    });
  });
});

describe("fault injection: input", () => {
  it("refuses unknown knobs and bad probabilities with EINVAL naming them", () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ kmallocc: 0.1 }, /Unknown fault 'kmallocc'; available: kmalloc, zs_malloc/],
      [{ kmalloc: 2 }, /faults\.kmalloc: expected a probability 0\.\.1, got 2/],
      [{ kmalloc: "0.1" }, /faults\.kmalloc: expected a probability 0\.\.1, got '0\.1'/],
      [{ seed: -1 }, /faults\.seed: expected an integer >= 0/],
      ["kmalloc=1", /expected an object/],
    ];
    for (const [faults, re] of bad) {
      assert.throws(
        () => createZswap({ faults: faults as FaultOptions }),
        (e) => e instanceof ZswapError && e.code === "EINVAL" && re.test(e.message),
        String(re),
      );
    }
  });

  it("parses --fail text", () => {
    assert.deepEqual(parseFailSpec("kmalloc=0.01, decompress=1e-3"), {
      kmalloc: 0.01,
      decompress: 0.001,
    });
    assert.throws(() => parseFailSpec("kmalloc"), /expected knob=probability/);
    assert.throws(() => parseFailSpec("slab=0.1"), /unknown fault 'slab'/);
    assert.throws(() => parseFailSpec("kmalloc=1.5"), /expected a probability 0\.\.1, got 1\.5/);
    assert.throws(() => parseFailSpec("kmalloc=0.1,kmalloc=0.2"), /given twice/);
    assert.equal(checkFaults({ kmalloc: 0, swap_read: 0 }), null);
  });
});
