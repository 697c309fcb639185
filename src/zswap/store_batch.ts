/**
 * zswap_store() in batches (v14 25/26, profile `7.3-batching`): the folio is processed in store
 * batches of at most ZSWAP_MAX_BATCH_SIZE pages by zswap_store_pages(), which
 *
 *   1. allocates the batch's entries in bulk (kmem_cache_alloc_bulk: all or nothing), falling
 *      back to one allocation per entry when the bulk one fails;
 *   2. pre-initializes them (swap entry, nid: bulk allocation cannot target a node);
 *   3. compresses the batch under one hold of the ctx mutex (compress_batch.ts);
 *   4. stores each entry in the tree and publishes it on the LRU, in page order.
 *
 * A failure of any page fails the folio: zswap_store() then erases every entry of the folio
 * (check_old), so no stale copy survives. Entries of the failing batch that never reached the
 * tree are freed here, with their zsmalloc objects.
 *
 * The bulk allocation is one allocation decision for the batch ("zswap_entry_bulk"); its
 * fallback allocates entry by entry ("zswap_entry"), each a decision of its own.
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { GFP_KERNEL, kfree, kmalloc, use } from "../kernel/memory.ts";
import type { Folio } from "../mm/folio.ts";
import type { Memcg } from "../mm/memcg.ts";
import { swpEntry } from "../mm/swap_entry.ts";
import { zsFree } from "../zsmalloc/zsmalloc.ts";
import { isBatchingDesign, ZSWAP_MAX_BATCH_SIZE } from "./acomp_ctx/d7_batch.ts";
import { zswapCompressBatch } from "./compress_batch.ts";
import { ZSWAP_ENTRY_BYTES, zswapEntryCacheAlloc, zswapStoreEntry } from "./entry.ts";
import type { EntryRef } from "./entry_table.ts";
import type { Profile } from "./params.ts";
import { zswapState } from "./state.ts";
import type { AcompCtx, PoolObj } from "./types.ts";

/** Whether the profile stores large folios in batches (the v14 store path). */
export function storesInBatches(profile: Profile): boolean {
  return profile === "7.3-batching";
}

/** The zswap_store() loop over zswap_store_pages(); true when every page was stored. */
export function* zswapStoreBatched(
  k: Kernel,
  folio: Folio,
  memcg: Memcg | null,
  pool: PoolObj,
): Op<boolean> {
  const z = zswapState(k);
  const wbEnabled = memcg === null || memcg.writebackEnabled();
  // v7 held the ctx mutex for the whole folio (scenario C21); v8+ once per store batch.
  const held =
    isBatchingDesign(z.design) && z.design.lockScope === "folio"
      ? yield* z.design.acquire(k, pool)
      : null;
  let ok = true;
  for (let start = 0; start < folio.nrPages && ok; start += ZSWAP_MAX_BATCH_SIZE) {
    const end = Math.min(start + ZSWAP_MAX_BATCH_SIZE, folio.nrPages);
    ok = yield* zswapStorePages(k, { folio, start, end, memcg, wbEnabled, held }, pool);
  }
  if (held !== null) z.design.release(k, held);
  return ok;
}

interface PagesRange {
  readonly folio: Folio;
  readonly start: number;
  readonly end: number;
  readonly memcg: Memcg | null;
  readonly wbEnabled: boolean;
  /** The ctx, when the caller holds its mutex for the whole folio (v7). */
  readonly held: AcompCtx | null;
}

/** zswap_store_pages(): pages [start, end) of the folio. */
function* zswapStorePages(k: Kernel, r: PagesRange, pool: PoolObj): Op<boolean> {
  const entries = yield* entriesAlloc(k, r.folio, r.start, r.end);
  if (entries === null) {
    zswapState(k).stats.reject_kmemcache_fail++;
    return false;
  }
  const batch = { folio: r.folio, start: r.start, entries, wbEnabled: r.wbEnabled, held: r.held };
  if (!(yield* zswapCompressBatch(k, batch, pool))) {
    entriesFree(k, entries, pool);
    return false;
  }
  for (const entry of entries) yield* zswapStoreEntry(k, entry, r.memcg, pool);
  return true;
}

/** kmem_cache_alloc_bulk() with the per-entry fallback; null when an entry cannot be had. */
function* entriesAlloc(k: Kernel, folio: Folio, start: number, end: number): Op<EntryRef[] | null> {
  const entries =
    (yield* entriesAllocBulk(k, folio, start, end)) ??
    (yield* entriesAllocEach(k, folio, start, end));
  // The kernel also sets entry->nid (page_to_nid()): the model has one node and keeps no nid.
  const t = zswapState(k).entries;
  for (const entry of entries ?? []) t.setHandle(entry, -1); // no zsmalloc object yet
  return entries;
}

/**
 * kmem_cache_alloc_bulk(): all or nothing, so one allocation decision (may fail, may reclaim)
 * for the batch, "zswap_entry_bulk"; the entries then come out of the cache together.
 */
function* entriesAllocBulk(
  k: Kernel,
  folio: Folio,
  start: number,
  end: number,
): Op<EntryRef[] | null> {
  const nr = end - start;
  const bulk = yield* kmalloc(
    k,
    "zswap_entry_bulk",
    nr * ZSWAP_ENTRY_BYTES,
    GFP_KERNEL,
    () => null,
  );
  if (bulk === null) return null;
  kfree(k, bulk); // only the decision: the entries are accounted one by one, as the cache does
  const t = zswapState(k).entries;
  return Array.from({ length: nr }, (_, i) =>
    t.create(k, swpEntry(folio.swap.type, folio.swap.offset + start + i), false),
  );
}

function* entriesAllocEach(
  k: Kernel,
  folio: Folio,
  start: number,
  end: number,
): Op<EntryRef[] | null> {
  const entries: EntryRef[] = [];
  for (let i = start; i < end; i++) {
    const entry = yield* zswapEntryCacheAlloc(k, swpEntry(folio.swap.type, folio.swap.offset + i));
    if (entry === null) {
      for (const e of entries) zswapState(k).entries.free(k, e);
      return null;
    }
    entries.push(entry);
  }
  return entries;
}

/** Frees entries that never reached the tree, and the objects the batch compressed into. */
function entriesFree(k: Kernel, entries: readonly EntryRef[], pool: PoolObj): void {
  const zsPool = use(k, pool, "read pool->zs_pool").zsPool;
  const t = zswapState(k).entries;
  for (const entry of entries) {
    if (t.handle(entry) >= 0) zsFree(zsPool, t.handle(entry));
    t.free(k, entry);
  }
}
