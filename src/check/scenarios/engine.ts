/**
 * The engine scenarios (reference §4: C13-C20, C24, C25): races inside zswap itself (pools,
 * store/load/invalidate, writeback, the shrinker) rather than in the acomp_ctx lifecycle.
 *
 * Each one in ENGINE_SCENARIOS also checks the engine's invariants once every task has finished
 * (`checkEngineInvariants`): a scenario's own oracles catch its target bug, these catch the
 * collateral damage (a leaked entry, a pool that never goes, a torn LRU) whichever race caused it.
 *
 * ```ts
 * const program = scenarioProgram(D7, engineScenarioById("C17"));
 * explore(program, dfs(2), { executionsMax: 2_000 });
 * ```
 */
import type { Kernel } from "../../kernel/kernel.ts";
import { type KObj, liveObjects, objAddr } from "../../kernel/memory.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { KernelBug } from "../../kernel/report.ts";
import { swapState } from "../../mm/swap.ts";
import { zsObjCount } from "../../zsmalloc/zsmalloc.ts";
import { type EntryRef, NO_ENTRY } from "../../zswap/entry_table.ts";
import type { ZswapState } from "../../zswap/state.ts";
import type { PoolObj } from "../../zswap/types.ts";
import type { Scenario, ScenarioEnv } from "../harness.ts";
import { C13 } from "./c13_switch_inflight.ts";
import { C14 } from "./c14_switch_back_dying.ts";
import { C16 } from "./c16_writeback_vs_load.ts";
import { C17 } from "./c17_writeback_reuse.ts";
import { C18 } from "./c18_store_fail_stale.ts";
import { C19 } from "./c19_shrinker_vs_free.ts";
import { C20 } from "./c20_memcg_offline.ts";
import { C24 } from "./c24_writeback_decompress_fail.ts";
import { C25 } from "./c25_large_folio_load.ts";

/** `scenario` with the engine's invariants checked at quiescence. */
export function withEngineInvariants(scenario: Scenario): Scenario {
  return {
    ...scenario,
    arm(env) {
      scenario.arm?.(env);
      env.k.finishHooks.push(() => checkEngineInvariants(env));
    },
  };
}

export const ENGINE_SCENARIOS: readonly Scenario[] = [
  C13,
  C14,
  C16,
  C17,
  C18,
  C19,
  C20,
  C24,
  C25,
].map(withEngineInvariants);

export function engineScenarioById(id: string): Scenario {
  const s = ENGINE_SCENARIOS.find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (s === undefined) {
    throw new RangeError(
      `Unknown engine scenario '${id}'; available: ${ENGINE_SCENARIOS.map((x) => x.id).join(", ")}`,
    );
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Invariants at quiescence (no task running: no store, load or writeback in flight)
// ---------------------------------------------------------------------------------------------

/**
 * Throws one report listing every broken invariant:
 * - trees: only live entries, each at its own swpentry; stored_pages and
 *   stored_incompressible_pages count them; no zswap_entry object lives outside the trees;
 * - list_lru: links and counts consistent, every item a live tree entry of its list's memcg, and
 *   every tree entry on the LRU (it is published there last and unlinked when freed);
 * - memcg: each memcg's zswap charge (entries, bytes) is the sum over its subtree's entries;
 * - pools: every live pool is on zswap_pools; the current one is not killed, the others are;
 *   each one's reference count is its entries (+1 initial ref for the current one), a killed
 *   pool without entries is gone, and its zsmalloc pool holds exactly its entries' objects;
 * - swap layer: the swapcache is empty.
 */
export function checkEngineInvariants(env: ScenarioEnv): void {
  const { k, z } = env;
  const problems: string[] = [];
  const entries = treeEntries(z, problems);
  checkCounters(k, z, entries, problems);
  checkLru(z, entries, problems);
  checkMemcgCharges(z, entries, problems);
  checkPools(k, z, entries, problems);
  for (const dev of swapState(k).devices) {
    if (dev.swapcache.size > 0) {
      problems.push(
        `swap device ${dev.type}: ${dev.swapcache.size} folio(s) left in the swapcache`,
      );
    }
  }
  if (problems.length === 0) return;
  throw new KernelBug(
    "assertion",
    `zswap invariant broken at quiescence: ${problems[0]}`,
    problems,
  );
}

/** The entry's address in reports: its KObj's (the simulator tracks every entry). */
function entryAddr(z: ZswapState, e: EntryRef): string {
  const obj = z.entries.obj(e);
  return obj === null ? `zswap_entry ref 0x${e.toString(16)}` : objAddr(obj);
}

function treeEntries(z: ZswapState, problems: string[]): EntryRef[] {
  const entries: EntryRef[] = [];
  const t = z.entries;
  for (const [type, tree] of z.trees) {
    for (const [offset, e] of tree) {
      if (!t.live(e)) {
        problems.push(`tree ${type}:${offset} holds freed entry ${entryAddr(z, e)}`);
        continue;
      }
      if (t.swpType(e) !== type || t.swpOffset(e) !== offset) {
        problems.push(
          `tree ${type}:${offset} holds the entry of ${t.swpType(e)}:${t.swpOffset(e)}`,
        );
      }
      entries.push(e);
    }
  }
  return entries;
}

function checkCounters(k: Kernel, z: ZswapState, entries: EntryRef[], problems: string[]): void {
  const s = z.stats;
  if (s.stored_pages !== entries.length) {
    problems.push(`stored_pages is ${s.stored_pages}, the trees hold ${entries.length} entries`);
  }
  const raw = entries.filter((e) => z.entries.length(e) === PAGE_SIZE).length;
  if (s.stored_incompressible_pages !== raw) {
    problems.push(
      `stored_incompressible_pages is ${s.stored_incompressible_pages}, expected ${raw}`,
    );
  }
  const live = liveObjects(k, (o) => o.label === "zswap_entry");
  if (live.length !== entries.length) {
    const inTrees = new Set<unknown>(entries);
    const leaked = live.filter((o) => !inTrees.has((o as KObj<EntryRef>).data)).map(objAddr);
    problems.push(
      `${leaked.length} zswap_entry object(s) live outside the trees: ${leaked.join(", ")}`,
    );
  }
}

function checkLru(z: ZswapState, entries: EntryRef[], problems: string[]): void {
  const seen = new Set<EntryRef>();
  const t = z.entries;
  let total = 0;
  for (const memcg of z.rootMemcg.walk()) {
    const l = z.lru.one(memcg);
    let prev = NO_ENTRY;
    let n = 0;
    for (let it = l.head; it !== NO_ENTRY; it = t.lruNext(it)) {
      if (seen.has(it) || n > l.nrItems) {
        problems.push(
          `list_lru of ${memcg.name}: a cycle, or more items than nr_items (${l.nrItems})`,
        );
        break;
      }
      if (t.lruPrev(it) !== prev)
        problems.push(`list_lru of ${memcg.name}: broken prev link at ${entryAddr(z, it)}`);
      if (!t.live(it))
        problems.push(`list_lru of ${memcg.name}: freed entry ${entryAddr(z, it)} on the list`);
      else if (z.tree(t.swpType(it)).get(t.swpOffset(it)) !== it) {
        problems.push(`list_lru of ${memcg.name}: ${entryAddr(z, it)} is not in its tree`);
      }
      // Entries without an objcg (root-cgroup folios) are on the root's list.
      if ((t.memcg(it) ?? z.rootMemcg) !== memcg)
        problems.push(`list_lru of ${memcg.name}: ${entryAddr(z, it)} is charged elsewhere`);
      seen.add(it);
      prev = it;
      n++;
    }
    if (l.tail !== prev) problems.push(`list_lru of ${memcg.name}: tail is not the last item`);
    if (n !== l.nrItems)
      problems.push(`list_lru of ${memcg.name}: nr_items ${l.nrItems}, ${n} linked`);
    total += n;
  }
  if (z.lru.totalCount() !== total) {
    problems.push(`list_lru counts ${z.lru.totalCount()} items, the memcg lists link ${total}`);
  }
  for (const e of entries) {
    if (!seen.has(e)) problems.push(`entry ${entryAddr(z, e)} is in the tree but not on the LRU`);
  }
}

function checkMemcgCharges(z: ZswapState, entries: EntryRef[], problems: string[]): void {
  for (const memcg of z.rootMemcg.walk()) {
    let n = 0;
    let bytes = 0;
    for (const e of entries) {
      for (let m = z.entries.memcg(e); m !== null; m = m.parent) {
        if (m !== memcg) continue;
        n++;
        bytes += z.entries.length(e);
      }
    }
    if (memcg.zswapped !== n || memcg.zswapBytes !== bytes) {
      problems.push(
        `memcg ${memcg.name}: charged ${memcg.zswapped} entries / ${memcg.zswapBytes} bytes, its entries are ${n} / ${bytes}`,
      );
    }
  }
}

function checkPools(k: Kernel, z: ZswapState, entries: EntryRef[], problems: string[]): void {
  const listed = new Set<PoolObj>(z.pools);
  for (const [i, pool] of z.pools.entries()) {
    const p = pool.data;
    if (pool.freed) {
      problems.push(`pool ${p.name} is on zswap_pools but was destroyed`);
      continue;
    }
    const ref = p.ref;
    if (ref === null) {
      problems.push(`pool ${p.name} is on zswap_pools without a reference count`);
      continue;
    }
    const mine = entries.filter((e) => z.entries.pool(e) === pool).length;
    const current = i === 0;
    if (current === ref.killed) {
      problems.push(
        `pool ${p.name}: ${current ? "the current pool is killed" : "an old pool is not killed"}`,
      );
    }
    const want = (ref.killed ? 0 : 1) + mine;
    if (ref.count !== want || ref.switching) {
      problems.push(
        `pool ${p.name}: reference count ${ref.count}${ref.switching ? " (switch in flight)" : ""}, expected ${want} (${mine} entries${ref.killed ? "" : " + the initial ref"})`,
      );
    }
    if (ref.killed && mine === 0) problems.push(`pool ${p.name}: killed, no entries, still listed`);
    const objs = zsObjCount(p.zsPool);
    if (objs !== mine)
      problems.push(`pool ${p.name}: ${objs} zsmalloc objects for ${mine} entries`);
  }
  for (const e of entries) {
    const pool = z.entries.pool(e);
    if (pool === null || !listed.has(pool)) {
      problems.push(
        `entry ${entryAddr(z, e)}: its pool ${pool?.data.name ?? "NULL"} is not on zswap_pools`,
      );
    }
  }
  for (const o of liveObjects(k, (x) => x.label === "zswap_pool")) {
    if (!listed.has(o as PoolObj))
      problems.push(`pool ${(o as PoolObj).data.name} lives off the list`);
  }
}
