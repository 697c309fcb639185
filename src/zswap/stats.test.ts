/**
 * Statistics and limits, counted as the kernel counts them: the debugfs counters against the
 * trees and the pools, the vmstat events of the swap layer and zswap, the pool limit with its
 * accept-threshold hysteresis, the memcg knobs, and the 6.12 reject path for incompressible
 * pages.
 *
 * Each test drives one task straight through on the simulator (every decision answered 0: no
 * preemption, no fault), so the numbers are exact.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SIM_B } from "../check/harness.ts";
import { DataOracle } from "../check/oracle.ts";
import { checkEngineInvariants } from "../check/scenarios/engine.ts";
import { setCryptoAlgorithms } from "../crypto/acomp.ts";
import { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import { simCompress, simCompressorFactory } from "../crypto/algorithms/sim.ts";
import type { Op } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { liveObjects, memory } from "../kernel/memory.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { Memcg } from "../mm/memcg.ts";
import { swapFree, swapIn, swapOut, swapon, swapState } from "../mm/swap.ts";
import type { SwpEntry } from "../mm/swap_entry.ts";
import { MemoryStorage } from "../mm/swap_storage.ts";
import { SimExecutor } from "../sim/executor.ts";
import type { Strategy } from "../sim/strategy.ts";
import { zsGetTotalPages, zsMalloc } from "../zsmalloc/zsmalloc.ts";
import { D0 } from "./acomp_ctx/d0.ts";
import { D7 } from "./acomp_ctx/d7.ts";
import type { AcompCtxDesign } from "./acomp_ctx/design.ts";
import type { Profile, ZswapParams } from "./params.ts";
import { zswapCheckLimits, zswapTotalPages } from "./pool.ts";
import { zswapShrinkerScan } from "./shrinker.ts";
import type { ZswapState } from "./state.ts";
import type { PoolObj } from "./types.ts";
import {
  zswapDebugfs,
  zswapDebugfsForProfile,
  zswapInit,
  zswapParamSet,
  zswapSetup,
} from "./zswap.ts";

const PLAIN: Strategy = { name: "plain", choose: () => 0 };

interface Sys {
  readonly k: Kernel;
  readonly z: ZswapState;
  /** Runs `op` as a task (and everything it queues) to the end; returns its result. */
  run<T>(op: Op<T>): T;
}

function boot(
  o: {
    design?: AcompCtxDesign;
    profile?: Profile;
    params?: Partial<ZswapParams>;
    totalramPages?: number;
  } = {},
): Sys {
  const k = new Kernel({ nrCpus: 2 });
  setCryptoAlgorithms(k, new CompressorRegistry([simCompressorFactory, SIM_B]));
  const z = zswapInit(k, {
    design: o.design ?? D7,
    profile: o.profile ?? "7.3",
    params: { compressor: "sim", enabled: true, shrinker_enabled: true, ...o.params },
  });
  memory(k).totalramPages = o.totalramPages ?? 1 << 16;
  swapon(k, new MemoryStorage(256));
  const run = <T>(op: Op<T>): T => {
    let out: { v: T } | null = null;
    k.spawn(
      "T",
      0,
      (function* () {
        out = { v: yield* op };
      })(),
    );
    const r = new SimExecutor(k, PLAIN, { stepsMax: 200_000 }).run();
    if (r.outcome !== "ok") throw new Error(`${r.message}\n${r.bug?.text ?? ""}`);
    if (out === null) throw new Error("the task did not finish");
    return (out as { v: T }).v;
  };
  assert.equal(run(zswapSetup(k)), 0);
  return { k, z, run };
}

/** A compressible page whose bytes identify `tag`. */
function page(tag: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE; i++)
    p[i] = i % 64 < 48 ? 65 + ((tag + (i >> 6)) % 26) : tag & 0xff;
  return p;
}

/** A page without runs: the sim compressor cannot shrink it. */
function randomPage(seed: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < PAGE_SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    p[i] = x & 0xff;
  }
  return p;
}

function treeSize(z: ZswapState): number {
  let n = 0;
  for (const t of z.trees.values()) n += t.size;
  return n;
}

function out(sys: Sys, data: Uint8Array, memcg: Memcg | null = null): SwpEntry {
  const r = sys.run(swapOut(sys.k, 0, data, memcg));
  assert.ok(typeof r !== "number", `swapOut failed with ${r}`);
  return r;
}

function inOk(sys: Sys, swp: SwpEntry, want: Uint8Array): void {
  const got = sys.run(swapIn(sys.k, swp, null));
  assert.ok(typeof got !== "number", `swapIn failed with ${got}`);
  assert.deepEqual(got, want);
}

/** Shrinker passes until the LRU is empty (the first visit of each entry only clears its referenced bit). */
function writeBackAll(sys: Sys, memcg: Memcg = sys.z.rootMemcg): number {
  let n = 0;
  for (let pass = 0; pass < 2; pass++) n += sys.run(zswapShrinkerScan(sys.k, memcg, 64));
  return n;
}

function invariants(sys: Sys): void {
  checkEngineInvariants({ k: sys.k, z: sys.z, oracle: new DataOracle(), design: sys.z.design });
}

describe("debugfs counters match the trees and the pools", () => {
  it("stored_pages is the number of live entries in the trees, through stores, loads, invalidations and writeback", () => {
    const sys = boot();
    const { k, z } = sys;
    const check = (want: number) => {
      assert.equal(z.stats.stored_pages, want);
      assert.equal(treeSize(z), want);
      assert.equal(liveObjects(k, (o) => o.label === "zswap_entry").length, want);
      invariants(sys);
    };
    const slots = [0, 1, 2, 3, 4, 5].map((i) => out(sys, page(i)));
    const raw = out(sys, randomPage(1));
    check(7);
    assert.equal(z.stats.stored_incompressible_pages, 1);
    inOk(sys, slots[0] as SwpEntry, page(0));
    inOk(sys, raw, randomPage(1));
    check(5);
    assert.equal(z.stats.stored_incompressible_pages, 0);
    sys.run(swapFree(k, slots[1] as SwpEntry));
    check(4);
    sys.run(zswapShrinkerScan(k, z.rootMemcg, 4)); // one visit each: second chance
    assert.equal(sys.run(zswapShrinkerScan(k, z.rootMemcg, 1)), 1);
    check(3);
    assert.equal(z.stats.written_back_pages, 1);
  });

  it("pool_total_size is the zsmalloc pages of every pool on the list; the old pool goes with its last entry", () => {
    const sys = boot();
    const { k, z } = sys;
    const total = () => zswapDebugfs(k).pool_total_size;
    const pages = (p: PoolObj) => zsGetTotalPages(p.data.zsPool);
    const a = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => out(sys, page(i)));
    const p1 = z.pools[0] as PoolObj;
    assert.ok(pages(p1) > 0);
    assert.equal(total(), pages(p1) * PAGE_SIZE);

    assert.equal(sys.run(zswapParamSet(k, "compressor", "sim-b")), 0);
    const p2 = z.pools[0] as PoolObj;
    assert.notEqual(p2, p1);
    assert.deepEqual(z.pools, [p2, p1], "the old pool stays listed (killed) while it has entries");
    const b = [8, 9, 10].map((i) => out(sys, page(i)));
    assert.equal(total(), (pages(p1) + pages(p2)) * PAGE_SIZE);
    assert.equal(total(), zswapTotalPages(k) * PAGE_SIZE);
    invariants(sys);

    for (const [i, swp] of a.slice(0, 7).entries()) inOk(sys, swp, page(i));
    assert.ok(!p1.freed, "one entry still pins the old pool");
    inOk(sys, a[7] as SwpEntry, page(7));
    assert.ok(p1.freed, "the old pool is destroyed once its last entry is freed");
    assert.deepEqual(z.pools, [p2]);
    assert.equal(total(), pages(p2) * PAGE_SIZE);
    for (const [i, swp] of b.entries()) inOk(sys, swp, page(8 + i));
    assert.equal(z.stats.stored_pages, 0);
    invariants(sys);
  });
});

describe("vmstat events are counted as in the kernel", () => {
  it("zswpout/zswpin/zswpwb/pswpout/pswpin/swpout_zero/swpin_zero, and zero pages never reach zswap", () => {
    const sys = boot();
    const { k, z } = sys;
    const ev = swapState(k).events;
    const a = out(sys, page(1));
    assert.deepEqual([ev.zswpout, ev.pswpout], [1, 0]);

    const zero = out(sys, new Uint8Array(PAGE_SIZE));
    assert.deepEqual([ev.swpout_zero, ev.zswpout, z.stats.stored_pages], [1, 1, 1]);
    assert.ok(!z.tree(0).has(zero.offset), "a zero page is kept in the zeromap, not in zswap");
    inOk(sys, zero, new Uint8Array(PAGE_SIZE));
    assert.deepEqual([ev.swpin_zero, ev.zswpin, ev.pswpin], [1, 0, 0]);

    inOk(sys, a, page(1));
    assert.equal(ev.zswpin, 1);

    // Writeback goes through __swap_writepage(): ZSWPWB and PSWPOUT.
    const c = out(sys, page(3));
    assert.equal(writeBackAll(sys), 1);
    assert.deepEqual([ev.zswpwb, ev.pswpout, z.stats.written_back_pages], [1, 1, 1]);
    inOk(sys, c, page(3));
    assert.deepEqual([ev.pswpin, ev.zswpin], [1, 1]);

    // zswap disabled: straight to disk.
    assert.equal(sys.run(zswapParamSet(k, "enabled", "N")), 0);
    const d = out(sys, page(4));
    assert.deepEqual([ev.zswpout, ev.pswpout], [2, 2]);
    inOk(sys, d, page(4));
    assert.equal(ev.pswpin, 2);
    assert.equal(sys.run(zswapParamSet(k, "enabled", "Y")), 0);

    // A large folio counts one event per page.
    const big = new Uint8Array(4 * PAGE_SIZE);
    for (let i = 0; i < 4; i++) big.set(page(10 + i), i * PAGE_SIZE);
    const l = out(sys, big);
    assert.equal(ev.zswpout, 6);
    const bigZero = out(sys, new Uint8Array(4 * PAGE_SIZE));
    assert.equal(ev.swpout_zero, 5);
    for (let i = 0; i < 4; i++) {
      inOk(sys, { type: 0, offset: l.offset + i }, page(10 + i));
      inOk(sys, { type: 0, offset: bigZero.offset + i }, new Uint8Array(PAGE_SIZE));
    }
    assert.deepEqual([ev.zswpin, ev.swpin_zero], [5, 5]);
    invariants(sys);
  });
});

describe("limits", () => {
  it("zswap_check_limits(): pool_limit_hit at the max, then rejects until the accept threshold", () => {
    const sys = boot({
      totalramPages: 100,
      params: { max_pool_percent: 100, accept_threshold_percent: 50 },
    });
    const { k, z } = sys;
    const slots = [1, 2, 3, 4, 5].map((i) => out(sys, randomPage(i)));
    assert.equal(zswapTotalPages(k), 5, "an incompressible page is stored raw: one zsmalloc page");
    z.params.max_pool_percent = 5; // max 5 pages, threshold floor(5 * 50%) = 2
    assert.equal(zswapCheckLimits(k), true);
    assert.equal(z.stats.pool_limit_hit, 1);
    z.params.max_pool_percent = 6; // max 6, threshold 3: below the max but above the threshold
    assert.equal(zswapCheckLimits(k), true, "hysteresis: still full above the threshold");
    assert.equal(z.stats.pool_limit_hit, 1, "only reaching the max counts a hit");
    inOk(sys, slots[0] as SwpEntry, randomPage(1));
    assert.equal(zswapCheckLimits(k), true);
    inOk(sys, slots[1] as SwpEntry, randomPage(2));
    assert.equal(zswapTotalPages(k), 3);
    assert.equal(zswapCheckLimits(k), false, "accepted again at the threshold");
    assert.equal(z.poolReachedFull, false);
  });

  it("a store at the limit is rejected, kicks the shrink worker down to the threshold, and the next store is accepted", () => {
    const sys = boot({
      totalramPages: 100,
      params: { max_pool_percent: 5, accept_threshold_percent: 50 },
    });
    const { k, z } = sys;
    const ev = swapState(k).events;
    const slots = [1, 2, 3, 4, 5].map((i) => out(sys, randomPage(i)));
    assert.deepEqual([z.stats.stored_pages, z.stats.pool_limit_hit], [5, 0]);
    const rejected = out(sys, randomPage(6));
    assert.equal(z.stats.pool_limit_hit, 1);
    assert.equal(ev.pswpout - ev.zswpwb, 1, "the rejected page went to disk");
    assert.ok(!z.tree(0).has(rejected.offset));
    assert.ok(
      zswapTotalPages(k) <= 2,
      `shrink_worker reclaims to the threshold: ${zswapTotalPages(k)}`,
    );
    // 7.3.4: one shrink_memcg() call walks up to SWAP_CLUSTER_MAX entries (rotating the
    // referenced ones, then writing them back) before the worker rechecks the threshold.
    assert.equal(ev.zswpwb, 5);
    const next = out(sys, randomPage(7));
    assert.ok(z.tree(0).has(next.offset), "accepted again below the threshold");
    assert.equal(z.poolReachedFull, false);
    for (const [i, s] of slots.entries()) inOk(sys, s, randomPage(i + 1));
    inOk(sys, rejected, randomPage(6));
    inOk(sys, next, randomPage(7));
    invariants(sys);
  });

  it("shrink_worker gives up when no memcg can be written back (memory.zswap.writeback=0)", () => {
    const sys = boot({ totalramPages: 100, params: { max_pool_percent: 1 } });
    const { k, z } = sys;
    const m = new Memcg("/nowb", z.rootMemcg);
    m.zswapWriteback = false;
    const slots: SwpEntry[] = [];
    // Fill the pool (1 page) from the memcg that forbids writeback, then hit the limit.
    for (let i = 0; i < 40 && z.stats.pool_limit_hit === 0; i++) {
      const r = sys.run(swapOut(k, 0, page(i), m));
      if (typeof r !== "number") slots.push(r);
    }
    assert.equal(z.stats.pool_limit_hit, 1);
    assert.equal(swapState(k).events.zswpwb, 0, "nothing may be written back from this memcg");
    assert.ok(z.stats.stored_pages > 0);
    invariants(sys);
  });
});

describe("memcg knobs", () => {
  it("memory.zswap.max: a memcg over its limit tries to shrink itself, else its store is rejected", () => {
    const sys = boot();
    const { k, z } = sys;
    const ev = swapState(k).events;
    const m = new Memcg("/limited", z.rootMemcg);
    m.zswapMax = 1; // bytes: one entry puts it over
    const a = out(sys, page(1), m);
    assert.deepEqual([m.zswapped, z.stats.stored_pages], [1, 1]);
    assert.ok(
      m.zswapBytes > 0 && z.rootMemcg.zswapBytes === m.zswapBytes,
      "charged up the hierarchy",
    );
    // Over the limit; shrink_memcg() only gives the referenced entry its second chance: reject.
    const b = out(sys, page(2), m);
    assert.deepEqual([m.zswapped, ev.pswpout, z.stats.stored_pages], [1, 1, 1]);
    // Now shrink_memcg() writes the (unreferenced) entry back and the store goes ahead.
    const c = out(sys, page(3), m);
    assert.deepEqual([ev.zswpwb, m.zswapped, z.stats.stored_pages], [1, 1, 1]);
    assert.ok(z.tree(0).has(c.offset));
    m.zswapMax = 0;
    sys.run(zswapShrinkerScan(k, m, 8)); // age c's entry ...
    const d = out(sys, page(4), m); // ... so that max=0 writes it back, then stores d
    assert.ok(z.tree(0).has(d.offset));
    for (const [s, t] of [
      [a, 1],
      [b, 2],
      [c, 3],
      [d, 4],
    ] as const)
      inOk(sys, s, page(t));
    assert.deepEqual([m.zswapped, m.zswapBytes], [0, 0]);
    invariants(sys);
  });

  it("memory.zswap.writeback=0: no writeback; incompressible pages are rejected, and not swapped to disk either", () => {
    const sys = boot();
    const { k, z } = sys;
    const ev = swapState(k).events;
    const m = new Memcg("/nowb", z.rootMemcg);
    m.zswapWriteback = false;
    const a = out(sys, page(1), m);
    assert.equal(writeBackAll(sys, m), 0);
    assert.equal(ev.zswpwb, 0);
    assert.ok(z.tree(0).has(a.offset), "the entry stays: it can never be written back");
    // Incompressible: rejected (latest stores it raw only if it could be written back later).
    const r = sys.run(swapOut(k, 0, randomPage(9), m));
    assert.equal(
      typeof r,
      "number",
      "swap_writeout() keeps the page in memory (AOP_WRITEPAGE_ACTIVATE)",
    );
    assert.deepEqual(
      [z.stats.reject_compress_poor, z.stats.stored_incompressible_pages, ev.pswpout],
      [1, 0, 0],
    );
    // The same page from a memcg that allows writeback is stored raw.
    const raw = out(sys, randomPage(9));
    assert.equal(z.stats.stored_incompressible_pages, 1);
    inOk(sys, raw, randomPage(9));
    inOk(sys, a, page(1));
    invariants(sys);
  });
});

describe("profile 6.12: incompressible pages", () => {
  it("zswap_compress() of 6.12: compression into the 2-page buffer succeeds with dlen > PAGE_SIZE, and zs_malloc() refuses it with -ENOSPC", () => {
    const p = randomPage(3);
    const dlen = simCompress(p, new Uint8Array(2 * PAGE_SIZE));
    assert.ok(dlen > PAGE_SIZE, `dlen ${dlen}`);
    const sys = boot({ design: D0, profile: "6.12" });
    const zsPool = (sys.z.pools[0] as PoolObj).data.zsPool;
    assert.equal(zsMalloc(zsPool, dlen), -28);
  });

  for (const design of [D0, D7]) {
    it(`an incompressible page is rejected with reject_compress_poor and goes to disk (${design.name})`, () => {
      const sys = boot({ design, profile: "6.12" });
      const { k, z } = sys;
      const ev = swapState(k).events;
      const s = out(sys, randomPage(5));
      assert.deepEqual(
        [z.stats.reject_compress_poor, z.stats.reject_compress_fail, z.stats.reject_alloc_fail],
        [1, 0, 0],
      );
      assert.deepEqual([z.stats.stored_pages, ev.zswpout, ev.pswpout], [0, 0, 1]);
      inOk(sys, s, randomPage(5));
      const files = Object.keys(zswapDebugfsForProfile(k));
      assert.ok(
        !files.includes("stored_incompressible_pages") && !files.includes("decompress_fail"),
      );
      assert.ok(files.includes("reject_compress_poor"));
    });
  }
});
