/**
 * The engine scenarios (C13-C19, C24, C25) under D7, explored with random schedules and with
 * bounded exhaustive search: no detector may fire. Then each scenario is run against a broken
 * engine, built here by composing the engine's own functions with one kernel rule left out,
 * and the scenario must catch it: a checker that never fails is untested.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Scenario, type ScenarioEnv, scenarioProgram } from "../check/harness.ts";
import { makeC14 } from "../check/scenarios/c14_switch_back_dying.ts";
import { makeC16 } from "../check/scenarios/c16_writeback_vs_load.ts";
import { makeC17 } from "../check/scenarios/c17_writeback_reuse.ts";
import { makeC19 } from "../check/scenarios/c19_shrinker_vs_free.ts";
import { makeC24 } from "../check/scenarios/c24_writeback_decompress_fail.ts";
import {
  ENGINE_SCENARIOS,
  engineScenarioById,
  withEngineInvariants,
} from "../check/scenarios/engine.ts";
import type { Op } from "../kernel/effect.ts";
import { sched } from "../kernel/effect.ts";
import { EIO, ENOENT, ENOMEM } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { use } from "../kernel/memory.ts";
import { mutexLock, mutexUnlock } from "../kernel/mutex.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { percpuRefKill, percpuRefResurrect } from "../kernel/percpu_ref.ts";
import type { BugKind } from "../kernel/report.ts";
import { spinLock, spinUnlock } from "../kernel/spinlock.ts";
import { type Folio, folioUnlock } from "../mm/folio.ts";
import {
  type SwapHooks,
  swapCacheAllocFolio,
  swapcacheDelete,
  swapDevice,
  swapState,
} from "../mm/swap.ts";
import type { SwpEntry } from "../mm/swap_entry.ts";
import { storageWrite } from "../mm/swap_storage.ts";
import { type ExploreResult, explore, type Program } from "../sim/explore.ts";
import { dfs } from "../sim/strategy_dfs.ts";
import { random } from "../sim/strategy_random.ts";
import { D7 } from "./acomp_ctx/d7.ts";
import { zswapDecompress } from "./compress.ts";
import { zswapEntryFree } from "./entry.ts";
import { type EntryRef, NO_ENTRY } from "./entry_table.ts";
import { zswapLoad } from "./load.ts";
import { zswapPoolCreate, zswapPoolPut, zswapPoolTryget } from "./pool.ts";
import { zswapWritebackEntry } from "./shrinker.ts";
import { type ZswapState, zswapState } from "./state.ts";
import { zswapStore } from "./store.ts";

const SEED = 20260;

/**
 * Exploration budgets per scenario: random executions, dfs bound, dfs execution cap. The counts
 * are at the default preemption points level ("access"); writeback's write is its own task
 * (the bio), which the exhaustive counts include.
 */
const BUDGET: Record<string, { random: number; bound: number; dfsMax: number }> = {
  C13: { random: 300, bound: 1, dfsMax: 2_000 }, // exhaustive at bound 1: 1,060 executions
  C14: { random: 400, bound: 1, dfsMax: 2_500 }, // exhaustive: 1,939
  C16: { random: 300, bound: 2, dfsMax: 100 }, // exhaustive: 51
  C17: { random: 300, bound: 2, dfsMax: 300 }, // exhaustive: 176
  C18: { random: 300, bound: 1, dfsMax: 2_500 }, // exhaustive: 1,999
  C19: { random: 300, bound: 2, dfsMax: 600 }, // exhaustive: 359
  C20: { random: 300, bound: 1, dfsMax: 1_000 }, // exhaustive: 473
  C24: { random: 300, bound: 2, dfsMax: 100 }, // exhaustive: 34
  C25: { random: 300, bound: 2, dfsMax: 100 }, // exhaustive: 33
};

function failure(r: ExploreResult): string {
  return r.failing?.bug?.text ?? r.message;
}

/** How an execution of a scenario ended, from the counters at quiescence. */
interface OutcomeProbe {
  readonly classify: (z: ZswapState) => string;
  /** Outcomes the random exploration must reach. */
  readonly expect: readonly string[];
}

const OUTCOMES: Record<string, OutcomeProbe> = {
  C14: {
    classify: (z) =>
      z.poolsCount === 2
        ? "resurrected the dying pool"
        : z.findGetSkippedDying > 0
          ? "find_get skipped the dying pool (tryget at zero), created a new one"
          : "created a new pool",
    expect: [
      "resurrected the dying pool",
      "created a new pool",
      "find_get skipped the dying pool (tryget at zero), created a new one",
    ],
  },
  C16: {
    classify: (z) => {
      const e = z.events;
      if (e.zswpin === 1)
        return z.stats.reject_reclaim_fail > 0 ? "W saw L's folio (-EEXIST)" : "L loaded first";
      return e.pswpin === 0 ? "L used W's folio" : "L read the written-back page";
    },
    expect: [
      "W saw L's folio (-EEXIST)",
      "L loaded first",
      "L used W's folio",
      "L read the written-back page",
    ],
  },
  C17: {
    classify: (z) =>
      z.stats.reject_reclaim_fail > 0
        ? "validation failed"
        : z.events.zswpwb > 0
          ? "written back first"
          : "freed first",
    expect: ["validation failed", "written back first", "freed first"],
  },
  C19: {
    classify: (z) => (z.stats.reject_reclaim_fail > 0 ? "writeback lost the race" : "no race"),
    expect: ["writeback lost the race"],
  },
  C24: {
    classify: (z) => `decompress_fail=${z.stats.decompress_fail}`,
    expect: ["decompress_fail=1", "decompress_fail=2"],
  },
};

/** `program` with a finish hook that records each execution's outcome. */
function withProbe(program: Program, probe: OutcomeProbe | undefined, seen: Set<string>): Program {
  if (probe === undefined) return program;
  return {
    ...program,
    setup(k) {
      program.setup(k);
      k.finishHooks.push(() => seen.add(probe.classify(zswapState(k))));
    },
  };
}

describe("engine scenarios under D7: no detector fires", () => {
  for (const scenario of ENGINE_SCENARIOS) {
    const b = BUDGET[scenario.id];
    assert.ok(b !== undefined, `no budget for ${scenario.id}`);
    it(`${scenario.id} ${scenario.title}: random(${SEED}) x ${b.random}`, () => {
      const seen = new Set<string>();
      const probe = OUTCOMES[scenario.id];
      const program = withProbe(scenarioProgram(D7, scenario), probe, seen);
      const r = explore(program, random(SEED), { executionsMax: b.random });
      assert.equal(r.verdict, "bound", `${failure(r)}\ntoken ${r.token}`);
      assert.equal(r.stepBoundHits, 0);
      // The race is really run both (all) ways, not passed vacuously.
      for (const want of probe?.expect ?? []) {
        assert.ok(
          seen.has(want),
          `outcome '${want}' never happened; seen: ${[...seen].join(", ")}`,
        );
      }
    });
    it(`${scenario.id}: dfs(preemption bound ${b.bound})`, () => {
      const r = explore(scenarioProgram(D7, scenario), dfs(b.bound), { executionsMax: b.dfsMax });
      assert.notEqual(r.verdict, "bug", `${failure(r)}\ntoken ${r.token}`);
      assert.equal(r.verdict, "exhausted", r.message);
      assert.equal(r.stepBoundHits, 0);
    });
  }

  it("lists every engine scenario once, with the engine invariants", () => {
    assert.deepEqual(
      ENGINE_SCENARIOS.map((s) => s.id),
      ["C13", "C14", "C16", "C17", "C18", "C19", "C20", "C24", "C25"],
    );
    assert.throws(() => engineScenarioById("C99"), /available: C13, C14/);
  });
});

// ---------------------------------------------------------------------------------------------
// Broken engines, composed from the real functions with one rule left out
// ---------------------------------------------------------------------------------------------

type Writeback = (k: Kernel, entry: EntryRef, swp: SwpEntry) => Op<number>;

/**
 * shrink_memcg_cb() on the head of the root memcg's LRU, with a pluggable writeback:
 * second chance, rotate before unlocking (unless `rotate` is false), copy swpentry, unlock,
 * write back. With `unlinkOnFailure`, a failed writeback unlinks the entry itself (the rule the
 * kernel's comment forbids: the free path unlinks, and the entry may be gone).
 */
function* shrinkOneWith(
  env: ScenarioEnv,
  writeback: Writeback,
  o: { rotate?: boolean; unlinkOnFailure?: boolean } = {},
): Op<void> {
  const { k, z } = env;
  const l = z.lru.one(z.rootMemcg);
  spinLock(k, z.lru.lock);
  const item = l.head;
  if (item === NO_ENTRY) return spinUnlock(k, z.lru.lock);
  if (z.entries.referenced(item)) {
    z.entries.setReferenced(item, false);
    l.moveTail(item);
    return spinUnlock(k, z.lru.lock);
  }
  if (o.rotate ?? true) l.moveTail(item);
  const swp = z.entries.swpentry(item);
  spinUnlock(k, z.lru.lock);
  const ret = yield* writeback(k, item, swp);
  spinLock(k, z.lru.lock);
  if (ret === 0) z.stats.written_back_pages++;
  else {
    z.stats.reject_reclaim_fail++;
    if (o.unlinkOnFailure) l.unlink(item);
  }
  spinUnlock(k, z.lru.lock);
}

/** C16 broken: writeback without a swapcache folio, so nothing excludes a concurrent swap-in. */
function* writebackWithoutFolio(k: Kernel, entry: EntryRef, swp: SwpEntry): Op<number> {
  const tree = zswapState(k).tree(swp.type);
  yield* sched("swap_cache_alloc_folio (skipped)");
  if (tree.get(swp.offset) !== entry) return -ENOMEM;
  const page = new Uint8Array(PAGE_SIZE);
  if (!(yield* zswapDecompress(k, entry, page))) return -EIO;
  yield* storageWrite(swapDevice(k, swp.type).storage, swp.offset, page);
  tree.delete(swp.offset);
  yield* zswapEntryFree(k, entry);
  return 0;
}

/** C17 broken: reads the entry where the kernel only has the swpentry copy (before validation). */
function* derefBeforeValidation(k: Kernel, entry: EntryRef, swp: SwpEntry): Op<number> {
  yield* sched("swap_cache_alloc_folio");
  zswapState(k).entries.use(k, entry, "read entry->pool before validation");
  return yield* zswapWritebackEntry(k, entry, swp);
}

/** C19 broken: touches the entry after a failed writeback (it may have been freed). */
function* touchAfterUnlock(k: Kernel, entry: EntryRef, swp: SwpEntry): Op<number> {
  const ret = yield* zswapWritebackEntry(k, entry, swp);
  if (ret !== 0) {
    zswapState(k).entries.use(k, entry, "write entry->referenced after unlock");
    zswapState(k).entries.setReferenced(entry, true);
  }
  return ret;
}

/** C24 broken: ignores the decompression result and writes the folio back anyway. */
function* writebackIgnoringFailure(k: Kernel, entry: EntryRef, swp: SwpEntry): Op<number> {
  yield* sched("swap_cache_alloc_folio");
  const folio = swapCacheAllocFolio(k, swp, null);
  if (typeof folio === "number") return folio;
  const dev = swapDevice(k, swp.type);
  const tree = zswapState(k).tree(swp.type);
  if (tree.get(swp.offset) !== entry) return yield* abort(k, folio, -ENOMEM);
  yield* zswapDecompress(k, entry, folio.page(0)); // the result is ignored
  yield* storageWrite(dev.storage, swp.offset, folio.page(0));
  tree.delete(swp.offset);
  yield* zswapEntryFree(k, entry);
  folio.uptodate = true;
  return yield* abort(k, folio, 0);
}

function* abort(k: Kernel, folio: Folio, ret: number): Op<number> {
  folioUnlock(k, folio);
  yield* swapcacheDelete(k, swapDevice(k, folio.swap.type), folio);
  return ret;
}

/** C13 broken: the stored entries do not pin their pool (no zswap_pool_get() per entry). */
function* storeWithoutPin(k: Kernel, folio: Folio): Op<boolean> {
  const ok = yield* zswapStore(k, folio);
  const tree = zswapState(k).tree(folio.swap.type);
  for (let i = 0; ok && i < folio.nrPages; i++) {
    const e = tree.get(folio.swap.offset + i);
    const pool = e === NO_ENTRY ? null : zswapState(k).entries.pool(e);
    if (pool) yield* zswapPoolPut(k, pool);
  }
  return ok;
}

/** C18 broken: with zswap disabled, return without check_old. */
function* storeWithoutCheckOld(k: Kernel, folio: Folio): Op<boolean> {
  if (!zswapState(k).params.enabled) return false;
  return yield* zswapStore(k, folio);
}

/** C25 broken: looks the first page up before refusing large folios (-ENOENT on a partial range). */
function* loadLookupFirst(k: Kernel, folio: Folio): Op<number> {
  if (!zswapState(k).tree(folio.swap.type).has(folio.swap.offset)) return -ENOENT;
  return yield* zswapLoad(k, folio);
}

/** C14 broken: drops the find_get reference before percpu_ref_resurrect(). */
function* switchPutBeforeResurrect(env: ScenarioEnv, compressor: string): Op<number> {
  const { k, z } = env;
  yield* mutexLock(k, z.initLock);
  spinLock(k, z.poolsLock);
  let pool = z.pools.find((p) => p.data.tfmName === compressor && zswapPoolTryget(k, p)) ?? null;
  if (pool !== null) {
    z.pools.splice(z.pools.indexOf(pool), 1);
    pool.data.onList = false;
  }
  spinUnlock(k, z.poolsLock);
  if (pool === null) pool = yield* zswapPoolCreate(k, compressor);
  else {
    yield* zswapPoolPut(k, pool);
    yield* sched("between the put and the resurrect");
    percpuRefResurrect(k, use(k, pool, "read pool->ref").ref as NonNullable<typeof pool.data.ref>);
  }
  if (pool === null) {
    mutexUnlock(k, z.initLock);
    return -ENOMEM;
  }
  spinLock(k, z.poolsLock);
  const old = z.pools[0] ?? null;
  z.pools.unshift(pool);
  pool.data.onList = true;
  z.params.compressor = compressor;
  spinUnlock(k, z.poolsLock);
  if (old !== null) yield* percpuRefKill(k, old.data.ref as NonNullable<typeof old.data.ref>);
  mutexUnlock(k, z.initLock);
  return 0;
}

/** `base` with some swap-layer hooks replaced (installed in arm, before any actor runs). */
function withHooks(base: Scenario, hooks: Partial<SwapHooks>): Scenario {
  return {
    ...base,
    arm(env) {
      base.arm?.(env);
      const s = swapState(env.k);
      s.hooks = { ...(s.hooks as SwapHooks), ...hooks };
    },
  };
}

interface BrokenCase {
  readonly id: string;
  readonly rule: string;
  readonly scenario: Scenario;
  readonly kinds: readonly BugKind[];
  readonly title?: RegExp;
}

const BROKEN: readonly BrokenCase[] = [
  {
    id: "C13",
    rule: "entries do not pin their pool",
    scenario: withHooks(engineScenarioById("C13"), { store: storeWithoutPin }),
    kinds: ["use-after-free", "assertion"],
  },
  {
    id: "C14",
    rule: "the find_get reference is put before percpu_ref_resurrect()",
    scenario: withEngineInvariants(makeC14({ switchBack: switchPutBeforeResurrect })),
    kinds: ["warning", "use-after-free"],
  },
  {
    id: "C16",
    rule: "writeback does not take the swapcache folio",
    scenario: withEngineInvariants(
      makeC16({ writeback: (env) => shrinkOneWith(env, writebackWithoutFolio) }),
    ),
    kinds: ["use-after-free", "double-free"],
  },
  {
    id: "C17",
    rule: "writeback dereferences the entry before validating it",
    scenario: withEngineInvariants(
      makeC17({ writeback: (env) => shrinkOneWith(env, derefBeforeValidation) }),
    ),
    kinds: ["use-after-free"],
    title: /KASAN: slab-use-after-free/,
  },
  {
    id: "C18",
    rule: "a store with zswap disabled skips check_old",
    scenario: withHooks(engineScenarioById("C18"), { store: storeWithoutCheckOld }),
    kinds: ["data-loss"],
  },
  {
    id: "C19",
    rule: "the shrinker touches the entry after a failed writeback",
    scenario: withEngineInvariants(
      makeC19({
        shrink: function* (env) {
          yield* shrinkOneWith(env, touchAfterUnlock);
          yield* shrinkOneWith(env, touchAfterUnlock);
        },
      }),
    ),
    kinds: ["use-after-free"],
  },
  {
    id: "C19",
    rule: "the shrinker unlinks the entry itself instead of rotating it",
    scenario: withEngineInvariants(
      makeC19({
        shrink: function* (env) {
          const o = { rotate: false, unlinkOnFailure: true };
          yield* shrinkOneWith(env, zswapWritebackEntry, o);
          yield* shrinkOneWith(env, zswapWritebackEntry, o);
        },
      }),
    ),
    kinds: ["assertion"],
    title: /list_lru|invariant/,
  },
  {
    id: "C24",
    rule: "writeback ignores a decompression failure",
    scenario: withEngineInvariants(
      makeC24({ writeback: (env) => shrinkOneWith(env, writebackIgnoringFailure) }),
    ),
    // Caught by the swap-in (garbage instead of -EIO) or by W's own check (entry dropped).
    kinds: ["data-loss", "assertion"],
  },
  {
    id: "C25",
    rule: "zswap_load() looks the first page up before refusing a large folio",
    scenario: withHooks(engineScenarioById("C25"), { load: loadLookupFirst }),
    kinds: ["data-loss"],
  },
];

describe("engine scenarios catch a broken engine", () => {
  for (const c of BROKEN) {
    it(`${c.id} fails when ${c.rule}`, () => {
      const program = scenarioProgram(D7, c.scenario);
      let r = explore(program, random(SEED), { executionsMax: 300 });
      if (r.verdict !== "bug") r = explore(program, dfs(2), { executionsMax: 2_000 });
      assert.equal(r.verdict, "bug", `not caught: ${r.message}`);
      const bug = r.failing?.bug;
      assert.ok(bug !== null && bug !== undefined);
      assert.ok(
        c.kinds.includes(bug.kind),
        `expected ${c.kinds.join(" or ")}, got ${bug.kind}:\n${bug.text}`,
      );
      if (c.title) assert.match(bug.text, c.title);
    });
  }
});
