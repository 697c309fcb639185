/**
 * zswap entries: allocation from the entry cache, freeing (which unlinks the LRU, frees the
 * zsmalloc object, uncharges the memcg and drops the pool reference), and the LRU helpers.
 */
import { NO_EFFECTS, type Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { use } from "../kernel/memory.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import type { Memcg } from "../mm/memcg.ts";
import type { SwpEntry } from "../mm/swap_entry.ts";
import { zsFree } from "../zsmalloc/zsmalloc.ts";
import { type EntryRef, NO_ENTRY, type ZswapEntryTable } from "./entry_table.ts";
import { type Profile, storesRaw } from "./params.ts";
import { zswapPoolGet, zswapPoolPut } from "./pool.ts";
import { zswapState } from "./state.ts";
import type { PoolObj } from "./types.ts";

export { ZSWAP_ENTRY_BYTES } from "./entry_table.ts";

/** zswap_entry_cache_alloc(). */
export function zswapEntryCacheAlloc(k: Kernel, swpentry: SwpEntry): Op<EntryRef | null> {
  return zswapState(k).entries.cacheAlloc(k, swpentry);
}

/**
 * Whether `e` holds the page as it is rather than compressed. The kernel reads this from
 * `entry->length == PAGE_SIZE`, which is unambiguous only where incompressible pages are
 * stored raw (see storesRaw); under 6.12 an object of exactly PAGE_SIZE bytes is compressed.
 */
export function entryStoredRaw(profile: Profile, t: ZswapEntryTable, e: EntryRef): boolean {
  return storesRaw(profile) && t.length(e) === PAGE_SIZE;
}

/**
 * The list_lru list of a memcg: an entry without an objcg (a root-cgroup folio) and the root
 * memcg share the node's own list, as list_lru_from_memcg_idx() gives for kmemcg_id -1.
 */
export function lruMemcg(k: Kernel, memcg: Memcg | null): Memcg {
  return memcg ?? zswapState(k).rootMemcg;
}

/** zswap_lru_add(): the entry becomes visible to writeback here (publish last). */
export function zswapLruAdd(k: Kernel, entry: EntryRef): void {
  const z = zswapState(k);
  z.lru.add(k, lruMemcg(k, z.entries.memcg(entry)), entry);
}

export function zswapLruDel(k: Kernel, entry: EntryRef): void {
  const z = zswapState(k);
  z.lru.del(k, lruMemcg(k, z.entries.memcg(entry)), entry);
}

/**
 * zswap_entry_free(): the caller owns `entry` (it erased it from the tree). Not a generator:
 * it runs at the call, where `yield*` would start it; only the points after kfree and the pool
 * put can have effects, and in real mode neither has.
 */
export function zswapEntryFree(k: Kernel, entry: EntryRef): Op<void> {
  const z = zswapState(k);
  const t = z.entries;
  t.use(k, entry, "read entry");
  zswapLruDel(k, entry);
  const pool = t.pool(entry) as PoolObj;
  const length = t.length(entry);
  zsFree(use(k, pool, "read pool->zs_pool").zsPool, t.handle(entry));
  t.memcg(entry)?.uncharge(length);
  z.compressedBytes -= length;
  z.stats.stored_pages--;
  if (entryStoredRaw(z.profile, t, entry)) z.stats.stored_incompressible_pages--;
  const freed = t.freeAndYield(k, entry);
  // The put comes after the kfree point: only once that point is passed when it has effects.
  if (freed === NO_EFFECTS) return zswapPoolPut(k, pool);
  return poolPutAfter(k, freed, pool);
}

function* poolPutAfter(k: Kernel, freed: Op<void>, pool: PoolObj): Op<void> {
  yield* freed;
  yield* zswapPoolPut(k, pool);
}

/**
 * The rest of zswap_store_page() once `entry` holds the compressed page: xa_store and publish.
 * Not a generator: done at the call, where `yield*` would start it, unless freeing a stale
 * entry for the slot has effects; then the publishing waits for it.
 */
export function zswapStoreEntry(
  k: Kernel,
  entry: EntryRef,
  memcg: Memcg | null,
  pool: PoolObj,
): Op<void> {
  const z = zswapState(k);
  const t = z.entries;
  const offset = t.swpOffset(entry);
  // xa_store(): concurrent stores and invalidations of this slot are excluded by the folio lock.
  const tree = z.tree(t.swpType(entry));
  const old = tree.get(offset);
  tree.set(offset, entry);
  const freed = old === NO_ENTRY ? NO_EFFECTS : zswapEntryFree(k, old);
  if (freed !== NO_EFFECTS) return publishAfter(k, freed, entry, memcg, pool);
  zswapEntryPublish(k, entry, memcg, pool);
  return NO_EFFECTS;
}

function* publishAfter(
  k: Kernel,
  freed: Op<void>,
  entry: EntryRef,
  memcg: Memcg | null,
  pool: PoolObj,
): Op<void> {
  yield* freed;
  zswapEntryPublish(k, entry, memcg, pool);
}

/** Accounting, then the LRU: the entry becomes visible to writeback last. */
function zswapEntryPublish(k: Kernel, entry: EntryRef, memcg: Memcg | null, pool: PoolObj): void {
  const z = zswapState(k);
  const t = z.entries;
  const length = t.length(entry);
  zswapPoolGet(k, pool);
  if (memcg !== null) memcg.charge(length);
  z.compressedBytes += length;
  z.stats.stored_pages++;
  if (entryStoredRaw(z.profile, t, entry)) z.stats.stored_incompressible_pages++;
  // Publishing order matters: writeback finds entries only through the LRU, so add it last.
  t.setPool(entry, pool);
  t.setMemcg(entry, memcg);
  t.setReferenced(entry, true);
  zswapLruAdd(k, entry);
}
