import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { PAGE_SIZE } from "../kernel/page.ts";
import { DEFAULT_MIX, generateCorpus } from "../workload/corpus.ts";
import { zsGetTotalPages } from "../zsmalloc/zsmalloc.ts";
import { zswapTotalPages } from "../zswap/pool.ts";
import { zswapState } from "../zswap/state.ts";
import { createZswap } from "./create_zswap.ts";
import { type FileIo, nodeFileIo } from "./file_storage.ts";
import { type SwapSlot, ZswapError, type ZswapInstance } from "./zswap_instance.ts";

const corpus = generateCorpus({ sizeBytes: 256 * PAGE_SIZE, seed: 7, mix: DEFAULT_MIX });
const pages = Array.from({ length: 256 }, (_, i) =>
  corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
);
/** Indexes of each kind of page in the corpus (kinds: text bin zero same random). */
const ofKind = (code: number) => [...corpus.kinds.keys()].filter((i) => corpus.kinds[i] === code);
const randomPages = ofKind(4).map((i) => pages[i] as Uint8Array);
const textPages = ofKind(0).map((i) => pages[i] as Uint8Array);

function swapOutAll(z: ZswapInstance, list: readonly Uint8Array[]): SwapSlot[] {
  return list.map((p) => z.swapOutSync(p));
}

function assertSwapsBack(
  z: ZswapInstance,
  slots: readonly SwapSlot[],
  list: readonly Uint8Array[],
): void {
  for (const [i, slot] of slots.entries()) {
    const back = z.swapInSync(slot);
    assert.ok(Buffer.compare(back, list[i] as Uint8Array) === 0, `page ${i} came back different`);
  }
}

/** stored_pages equals the entries in the trees, pool_total_size the pools' zsmalloc pages. */
function assertStatsConsistent(z: ZswapInstance): void {
  const st = zswapState(z.kernel);
  const entries = [...st.trees.values()].reduce((n, t) => n + t.size, 0);
  const s = z.stats();
  assert.equal(s.debugfs.stored_pages, entries, "stored_pages = entries in the trees");
  const zsPages = st.pools.reduce((n, p) => n + zsGetTotalPages(p.data.zsPool), 0);
  assert.equal(s.debugfs.pool_total_size, zsPages * PAGE_SIZE, "pool_total_size = zsmalloc pages");
  assert.equal(zswapTotalPages(z.kernel), zsPages);
  assert.equal(st.lru.totalCount(), entries, "every entry is on the LRU");
}

describe("createZswap: round trip", () => {
  for (const compressor of ["lz4", "zstd", "lzo", "deflate", "lz4hc"]) {
    it(`swaps ${pages.length} mixed pages out and back byte for byte with ${compressor}`, async () => {
      const z = createZswap({ compressor, cpus: 2, totalRamBytes: 2 ** 32 });
      try {
        const slots = swapOutAll(z, pages);
        const s = z.stats();
        const zero = corpus.counts.zero;
        assert.equal(s.vmstat.swpout_zero, zero);
        assert.equal(s.vmstat.zswpout, pages.length - zero, "every non-zero page went to zswap");
        assert.equal(s.vmstat.pswpout, 0);
        // Random pages never compress; a few binary ones may not either (lzo).
        assert.ok((s.debugfs.stored_incompressible_pages as number) >= corpus.counts.random);
        assert.ok(s.derived.compressionRatio > 1, `ratio ${s.derived.compressionRatio}`);
        assert.ok(s.derived.poolEfficiency > 0 && s.derived.poolEfficiency <= 1);
        assertStatsConsistent(z);
        assertSwapsBack(z, slots, pages);
        const end = z.stats();
        assert.equal(end.vmstat.zswpin, pages.length - zero);
        assert.equal(end.debugfs.stored_pages, 0);
        assert.equal(end.debugfs.pool_total_size, 0);
        assert.equal(end.swapFile.slotsInUse, 0);
        assertStatsConsistent(z);
      } finally {
        await z.close();
      }
    });
  }

  it("takes large folios, and the async calls give the same bytes", async () => {
    const z = createZswap({ cpus: 3, totalRamBytes: 2 ** 32 });
    try {
      const folio = corpus.pages.subarray(0, 8 * PAGE_SIZE);
      const slot = await z.swapOut(folio);
      assert.equal(slot.nrPages, 8);
      assert.equal(slot.offset % 8, 0, "a large folio takes naturally aligned slots");
      const dst = new Uint8Array(8 * PAGE_SIZE);
      assert.equal(await z.swapIn(slot, dst), dst);
      assert.deepEqual(dst, folio);
      assert.equal(slot.live, false);
    } finally {
      await z.close();
    }
  });

  it("frees slots without reading them, and refuses stale, foreign and malformed input", async () => {
    const z = createZswap({ cpus: 1, totalRamBytes: 2 ** 32 });
    const other = createZswap({ cpus: 1, totalRamBytes: 2 ** 32 });
    try {
      const slot = z.swapOutSync(textPages[0] as Uint8Array);
      assert.equal(z.stats().debugfs.stored_pages, 1);
      assert.throws(() => other.swapInSync(slot), /belongs to another zswap instance/);
      z.free(slot);
      assert.equal(z.stats().debugfs.stored_pages, 0, "free invalidates the zswap entry");
      assert.throws(() => z.free(slot), /already swapped in or freed/);
      assert.throws(
        () => z.swapInSync(slot),
        (e: unknown) => e instanceof ZswapError && e.code === "EINVAL",
      );
      assert.throws(
        () => z.swapOutSync(new Uint8Array(100)),
        /expected 4096 bytes or a large folio of 2\^n pages/,
      );
      assert.throws(() => z.swapOutSync(new Uint8Array(3 * PAGE_SIZE)), /got 12288 bytes/);
      await assert.rejects(
        z.swapOut("page" as unknown as Uint8Array),
        /expected a Uint8Array page/,
      );
      // A `uint` module parameter: 140 is accepted, as the kernel does; 2^32 is not.
      await z.setParam("max_pool_percent", 140);
      await assert.rejects(z.setParam("max_pool_percent", 2 ** 32), {
        message: "Cannot set max_pool_percent: expected an integer 0..4294967295, got 4294967296",
      });
      await assert.rejects(
        z.setParam("compressor", "842"),
        /Unknown compressor '842'; available: deflate, deflate-iaa, lz4, lz4hc, lzo, lzo-rle, zstd/,
      );
      await assert.rejects(z.setParam("zpool", "zbud"), /Unknown zswap parameter 'zpool'/);
      await assert.rejects(
        z.cpuOffline(0),
        (e: unknown) => e instanceof ZswapError && e.code === "EBUSY",
      );
      await assert.rejects(z.cpuOffline(5), /expected 0..0/);
      assert.throws(() => createZswap({ compressor: "snappy" }), /Unknown compressor 'snappy'/);
      assert.throws(() => createZswap({ max_pool_percent: 2 ** 32 }), /got 4294967296/);
      assert.throws(() => createZswap({ cpus: 65 }), /cpus to be an integer 1..64/);
      assert.throws(
        () => createZswap({ swapFile: "/nonexistent/dir/swap" }),
        /Cannot create swap file/,
      );
    } finally {
      await z.close();
      await other.close();
    }
    assert.throws(
      () => z.swapOutSync(textPages[1] as Uint8Array),
      (e: unknown) => e instanceof ZswapError && e.code === "ESHUTDOWN",
    );
  });

  it("removes its temporary swap file on close and keeps a given one", async () => {
    const z = createZswap({ cpus: 1, swapSizeBytes: 64 * PAGE_SIZE });
    const tmp = z.swapFilePath;
    assert.ok(fs.existsSync(tmp));
    await z.close();
    assert.equal(fs.existsSync(tmp), false);
  });
});

describe("createZswap: the pool limit", () => {
  it("rejects stores at the limit, and below it until the pool is down to the accept threshold", async () => {
    // Limit: 20% of 1 MiB = 51 pages; accept threshold 50% of that = 25 pages.
    const z = createZswap({ cpus: 1, totalRamBytes: 1 << 20, accept_threshold_percent: 50 });
    try {
      const slots: SwapSlot[] = [];
      let i = 0;
      // Synchronously, so that the shrink worker (queued at the limit) cannot run meanwhile.
      while (z.stats().debugfs.pool_limit_hit === 0)
        slots.push(z.swapOutSync(textPages[i++ % textPages.length] as Uint8Array));
      assert.equal(z.poolReachedFull, true);
      const before = z.stats();
      // Swap pages in (freeing zsmalloc objects) until the pool is below the limit, not yet
      // at the threshold: stores are still rejected, and not counted as limit hits.
      const limitPages = before.derived.poolLimitBytes / PAGE_SIZE;
      const thrPages = before.derived.acceptThresholdBytes / PAGE_SIZE;
      const inZswap = () => slots.filter((s) => s.live);
      while ((z.stats().debugfs.pool_total_size as number) / PAGE_SIZE >= limitPages)
        z.swapInSync(inZswap()[0] as SwapSlot);
      const mid = z.stats();
      assert.ok((mid.debugfs.pool_total_size as number) / PAGE_SIZE > thrPages);
      const rejected = z.swapOutSync(textPages[0] as Uint8Array);
      const after = z.stats();
      assert.equal(after.vmstat.pswpout, mid.vmstat.pswpout + 1, "rejected: to the swap file");
      assert.equal(
        after.debugfs.pool_limit_hit,
        mid.debugfs.pool_limit_hit,
        "below the limit: no hit",
      );
      // Down to the threshold: stores are accepted again.
      while ((z.stats().debugfs.pool_total_size as number) / PAGE_SIZE > thrPages)
        z.swapInSync(inZswap()[0] as SwapSlot);
      const accepted = z.swapOutSync(textPages[1] as Uint8Array);
      assert.equal(z.stats().vmstat.zswpout, after.vmstat.zswpout + 1);
      assert.equal(z.poolReachedFull, false);
      assert.deepEqual(z.swapInSync(rejected), textPages[0]);
      assert.deepEqual(z.swapInSync(accepted), textPages[1]);
      await z.flush();
    } finally {
      await z.close();
    }
  });

  it("writes back to the swap file when the limit is hit, and loses nothing", async () => {
    const z = createZswap({ cpus: 2, totalRamBytes: 4 << 20 });
    try {
      const slots: SwapSlot[] = [];
      for (const [i, p] of pages.entries()) {
        slots.push(await z.swapOut(p));
        if (z.poolReachedFull || i % 32 === 0) await new Promise((r) => setImmediate(r));
      }
      await z.flush();
      const s = z.stats();
      assert.ok((s.debugfs.pool_limit_hit as number) > 0, "the limit was hit");
      assert.ok((s.debugfs.written_back_pages as number) > 0, "entries were written back");
      assert.equal(s.vmstat.zswpwb, s.debugfs.written_back_pages);
      assert.ok(s.vmstat.pswpout > s.vmstat.zswpwb, "rejected stores went to the swap file too");
      assertStatsConsistent(z);
      assertSwapsBack(z, slots, pages);
      assert.ok(z.stats().vmstat.pswpin > 0, "pages came back from the swap file");
    } finally {
      await z.close();
    }
  });

  it("keeps a page in memory when its writeback hits a full disk (the folio is redirtied)", async () => {
    const ENOSPC = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    const fullDisk: FileIo = {
      ...nodeFileIo,
      writeSync: () => {
        throw ENOSPC;
      },
      write: (_fd, _b, _o, _l, _p, cb) => setImmediate(() => cb(ENOSPC, 0)),
    };
    const z = createZswap({
      cpus: 1,
      totalRamBytes: 2 ** 32,
      swapFileIo: fullDisk,
      shrinker_enabled: true,
    });
    try {
      const slots = swapOutAll(z, textPages.slice(0, 20));
      const stored = z.stats().debugfs.stored_pages;
      // Two passes: the first clears the referenced bits (second chance), the second writes back.
      assert.equal(await z.shrink(20), 0);
      // As the kernel: the entry is erased before the write is submitted, so writeback succeeds
      // for zswap; the write fails later and end_swap_bio_write() redirties the folio, which
      // keeps the page in the swap cache (in memory).
      assert.equal(await z.shrink(8), 8);
      await z.flush();
      const s = z.stats();
      assert.equal(s.debugfs.reject_reclaim_fail, 0);
      assert.equal(s.debugfs.written_back_pages, 8);
      assert.equal(s.debugfs.stored_pages, (stored as number) - 8);
      assert.equal(s.swapFile.writeErrors, 8);
      assert.equal(s.swapFile.lastWriteError, "ENOSPC");
      // A store zswap rejects has nowhere to go: the caller keeps the page.
      await z.setParam("enabled", false);
      assert.throws(
        () => z.swapOutSync(textPages[30] as Uint8Array),
        (e: unknown) => {
          assert.ok(e instanceof ZswapError);
          assert.equal(e.code, "ENOSPC");
          assert.match(
            e.message,
            /writing swap file .* failed \(ENOSPC: no space left on device\); the page was not swapped out/,
          );
          return true;
        },
      );
      assertSwapsBack(z, slots, textPages.slice(0, 20));
    } finally {
      await z.close();
    }
  });

  it("root-cgroup pages count nothing for the memcg shrinker: they have no objcg", async () => {
    // zswap_shrinker_count() reads the memcg's MEMCG_ZSWAPPED, which only objcg entries feed.
    const z = createZswap({ cpus: 1, totalRamBytes: 2 ** 32, shrinker_enabled: true });
    try {
      swapOutAll(z, textPages.slice(0, 10));
      assert.equal(z.stats().debugfs.stored_pages, 10);
      assert.equal(z.shrinkerCount(), 0);
    } finally {
      await z.close();
    }
  });

  it("writes back through shrink() when shrinker_enabled", async () => {
    const z = createZswap({
      cpus: 2,
      totalRamBytes: 2 ** 32,
      shrinker_enabled: true,
      memcgMaxBytes: 2 ** 30,
    });
    try {
      const slots = swapOutAll(z, textPages.slice(0, 40));
      assert.ok(z.shrinkerCount() > 0);
      // Every entry starts referenced: the first pass only clears the bits (second chance).
      assert.equal(await z.shrink(40), 0, "the first pass gives every entry a second chance");
      const written = await z.shrink(10);
      assert.equal(written, 10);
      // The writes were submitted, not awaited (as the kernel's writeback): let them end.
      await z.flush();
      assert.equal(z.stats().debugfs.written_back_pages, written);
      assertStatsConsistent(z);
      assertSwapsBack(z, slots, textPages.slice(0, 40));
      await z.setParam("shrinker_enabled", false);
      assert.equal(await z.shrink(10), 0);
    } finally {
      await z.close();
    }
  });
});

describe("createZswap: runtime changes", () => {
  it("keeps old pages readable across compressor switches; the old pools go when empty", async () => {
    const z = createZswap({ cpus: 2, totalRamBytes: 2 ** 32 });
    try {
      const chunks = [textPages.slice(0, 20), textPages.slice(20, 40), textPages.slice(40, 60)];
      const slots: SwapSlot[][] = [];
      for (const [i, name] of ["lz4", "zstd", "deflate"].entries()) {
        if (i > 0) await z.setParam("compressor", name);
        slots.push(swapOutAll(z, chunks[i] as Uint8Array[]));
      }
      assert.equal(z.stats().params.compressor, "deflate");
      assert.equal(zswapState(z.kernel).pools.length, 3, "old pools live while they hold entries");
      assertStatsConsistent(z);
      for (const [i, s] of slots.entries()) assertSwapsBack(z, s, chunks[i] as Uint8Array[]);
      await z.flush();
      assert.equal(zswapState(z.kernel).pools.length, 1, "emptied old pools were destroyed");
      await z.setParam("compressor", "lz4");
      const again = swapOutAll(z, textPages.slice(0, 5));
      assertSwapsBack(z, again, textPages.slice(0, 5));
    } finally {
      await z.close();
    }
  });

  it("stores and loads while CPUs go offline and online", async () => {
    const z = createZswap({ cpus: 4, totalRamBytes: 2 ** 32 });
    try {
      const slots: SwapSlot[] = [];
      for (const [i, p] of pages.entries()) {
        slots.push(z.swapOutSync(p));
        if (i === 40) await z.cpuOffline(1);
        if (i === 80) await z.cpuOffline(3);
        if (i === 120) await z.cpuOnline(1);
        if (i === 160) await z.cpuOffline(0);
      }
      assert.deepEqual(z.stats().cpusOnline, [1, 2]);
      await z.cpuOffline(1);
      await assert.rejects(z.cpuOffline(2), /last online CPU/);
      assertSwapsBack(z, slots.slice(0, 128), pages.slice(0, 128));
      for (const cpu of [0, 1, 3]) await z.cpuOnline(cpu);
      assertSwapsBack(z, slots.slice(128), pages.slice(128));
      assertStatsConsistent(z);
    } finally {
      await z.close();
    }
  });
});

describe("createZswap: profiles", () => {
  // 6.12's zswap_compress() gave the compressor a two-page dst but req->dlen = PAGE_SIZE.
  // crypto/lz4.c passes dlen to LZ4_compress_default() as the output bound, so an
  // incompressible page fails (-EINVAL: reject_compress_fail); crypto/lzo.c ignores it, the page
  // compresses to more than PAGE_SIZE, and zs_malloc() refuses it (-ENOSPC: reject_compress_poor).
  // That was upstream 6.12; Debian's 6.12.117 (the profile) calls lzo1x_1_compress_safe, which
  // fails past dlen: -EINVAL, reject_compress_fail, as the kernel counted on the public corpus
  // (test/fidelity). 6.12's scomp deflate fails the same way.
  for (const [compressor, counter] of [
    ["lz4", "reject_compress_fail"],
    ["lzo", "reject_compress_fail"],
    ["deflate", "reject_compress_fail"],
  ] as const) {
    it(`6.12 with ${compressor} rejects incompressible pages (${counter}) to the swap file; latest stores them`, async () => {
      const old = createZswap({ profile: "6.12", compressor, cpus: 2, totalRamBytes: 2 ** 32 });
      const latest = createZswap({
        profile: "latest",
        compressor,
        cpus: 2,
        totalRamBytes: 2 ** 32,
      });
      try {
        const slots = swapOutAll(old, randomPages);
        const s = old.stats();
        assert.equal(s.debugfs[counter], randomPages.length);
        assert.equal(s.vmstat.pswpout, randomPages.length);
        assert.equal(s.debugfs.stored_pages, 0);
        assert.equal("stored_incompressible_pages" in s.debugfs, false, "not a 6.12 debugfs file");
        assertSwapsBack(old, slots, randomPages);
        assert.equal(old.stats().vmstat.pswpin, randomPages.length);

        const kept = swapOutAll(latest, randomPages);
        const l = latest.stats();
        assert.equal(
          (l.debugfs.reject_compress_poor ?? 0) + (l.debugfs.reject_compress_fail ?? 0),
          0,
        );
        assert.equal(l.debugfs.stored_incompressible_pages, randomPages.length);
        assert.equal(l.vmstat.pswpout, 0);
        assertSwapsBack(latest, kept, randomPages);
      } finally {
        await old.close();
        await latest.close();
      }
    });
  }
});
