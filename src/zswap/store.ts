/**
 * zswap_store(): store every page of a locked swapcache folio, or none (check_old).
 */
import { andThen, type Op, returned, returnedAfter } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { tracedCall } from "../kernel/site.ts";
import { queueWork } from "../kernel/workqueue.ts";
import { type Folio, folioAssertLocked } from "../mm/folio.ts";
import type { Memcg } from "../mm/memcg.ts";
import { swpEntry } from "../mm/swap_entry.ts";
import { zswapCompress } from "./compress.ts";
import { zswapEntryCacheAlloc, zswapEntryFree, zswapStoreEntry } from "./entry.ts";
import { type EntryRef, NO_ENTRY } from "./entry_table.ts";
import { zswapCheckLimits, zswapPoolCurrentGet, zswapPoolPut, zswapTotalPagesRcu } from "./pool.ts";
import { shrinkMemcg } from "./shrinker.ts";
import { zswapState } from "./state.ts";
import { storesInBatches, zswapStoreBatched } from "./store_batch.ts";
import type { PoolObj } from "./types.ts";

export function zswapStore(k: Kernel, folio: Folio): Op<boolean> {
  return tracedCall(k, "zswap_store", store, folio, undefined, undefined, undefined);
}

/*
 * The store path is plain functions that return an Op (see andThen): on the real hot path each
 * step finishes at the call and no generator is made; the simulator sees the same effects at
 * the same moments as when these were generators.
 */

function store(k: Kernel, folio: Folio): Op<boolean> {
  const z = zswapState(k);
  folioAssertLocked(k, folio);
  // 6.12 refuses large folios before anything else, without check_old (mTHP stores came in 6.13).
  if (z.profile === "6.12" && folio.nrPages > 1) return returned(false);
  if (!z.params.enabled) return storeFailed(k, folio);
  return andThen(tryStore(k, folio), stored, k, folio);
}

function stored(ret: boolean, k: Kernel, folio: Folio): Op<boolean> {
  if (ret) return returned(true);
  // put_objcg: any failure while the pool is full (not only the limit check) kicks the
  // global shrinker, so that stores are accepted again once it is below the threshold.
  const z = zswapState(k);
  if (z.poolReachedFull && z.shrinkWork !== null) queueWork(k, z.shrinkWork);
  return storeFailed(k, folio);
}

/** The store failed: check_old, and the folio goes on to the swap device. */
function storeFailed(k: Kernel, folio: Folio): Op<boolean> {
  return andThen(checkOld(k, folio), returnedAfter, false);
}

function tryStore(k: Kernel, folio: Folio): Op<boolean> {
  const z = zswapState(k);
  // get_obj_cgroup_from_folio(): a root-cgroup folio has no objcg (the walk up to, not
  // including, the root finds none), so it is neither limited by memory.zswap.max nor charged.
  const memcg = folio.memcg === z.rootMemcg ? null : folio.memcg;
  if (memcg !== null && !memcg.mayZswap()) {
    return andThen(shrinkMemcg(k, memcg), shrunkMemcg, k, folio, memcg);
  }
  return tryStoreLimits(k, folio, memcg);
}

function shrunkMemcg(shrunk: number, k: Kernel, folio: Folio, memcg: Memcg): Op<boolean> {
  return shrunk !== 0 ? returned(false) : tryStoreLimits(k, folio, memcg);
}

/** The pool limit, then a reference to the current pool. */
function tryStoreLimits(k: Kernel, folio: Folio, memcg: Memcg | null): Op<boolean> {
  return andThen(zswapTotalPagesRcu(k), checkedLimits, k, folio, memcg);
}

function checkedLimits(total: number, k: Kernel, folio: Folio, memcg: Memcg | null): Op<boolean> {
  if (zswapCheckLimits(k, total)) return returned(false);
  return andThen(zswapPoolCurrentGet(k), tryStorePool, k, folio, memcg);
}

/** Stores the folio's pages with `pool` (whose reference we hold), then puts the pool. */
function tryStorePool(
  pool: PoolObj | null,
  k: Kernel,
  folio: Folio,
  memcg: Memcg | null,
): Op<boolean> {
  if (pool === null) return returned(false);
  const z = zswapState(k);
  const pages = storesInBatches(z.profile)
    ? zswapStoreBatched(k, folio, memcg, pool)
    : folio.nrPages === 1
      ? zswapStorePage(k, folio, 0, memcg, pool)
      : storePages(k, folio, memcg, pool);
  return andThen(pages, storedPages, k, folio, memcg, pool);
}

function storedPages(
  ok: boolean,
  k: Kernel,
  folio: Folio,
  memcg: Memcg | null,
  pool: PoolObj,
): Op<boolean> {
  if (ok) {
    zswapState(k).events.zswpout += folio.nrPages;
    memcg?.countEvent("zswpout", folio.nrPages);
  }
  return andThen(zswapPoolPut(k, pool), returnedAfter, ok);
}

/** A large folio's pages one by one, until one fails. */
function* storePages(k: Kernel, folio: Folio, memcg: Memcg | null, pool: PoolObj): Op<boolean> {
  let ok = true;
  for (let i = 0; i < folio.nrPages && ok; i++)
    ok = yield* zswapStorePage(k, folio, i, memcg, pool);
  return ok;
}

/** zswap_store_page(). */
function zswapStorePage(
  k: Kernel,
  folio: Folio,
  i: number,
  memcg: Memcg | null,
  pool: PoolObj,
): Op<boolean> {
  // The folio's own swp_entry_t for its first page (the entry keeps its type and offset only).
  const swp = i === 0 ? folio.swap : swpEntry(folio.swap.type, folio.swap.offset + i);
  return andThen(zswapEntryCacheAlloc(k, swp), entryAllocated, k, folio, i, memcg, pool);
}

function entryAllocated(
  entry: EntryRef | null,
  k: Kernel,
  folio: Folio,
  i: number,
  memcg: Memcg | null,
  pool: PoolObj,
): Op<boolean> {
  if (entry === null) {
    zswapState(k).stats.reject_kmemcache_fail++;
    return returned(false);
  }
  const compress = zswapCompress(k, folio.page(i), entry, pool, memcg);
  return andThen(compress, pageCompressed, k, entry, memcg, pool);
}

function pageCompressed(
  ok: boolean,
  k: Kernel,
  entry: EntryRef,
  memcg: Memcg | null,
  pool: PoolObj,
): Op<boolean> {
  if (!ok) return andThen(zswapState(k).entries.freeAndYield(k, entry), returnedAfter, false);
  return andThen(zswapStoreEntry(k, entry, memcg, pool), returnedAfter, true);
}

/** check_old: drop any entry for the folio's slots, so no stale copy outlives a failed store. */
function* checkOld(k: Kernel, folio: Folio): Op<void> {
  const z = zswapState(k);
  const tree = z.tree(folio.swap.type);
  for (let i = 0; i < folio.nrPages; i++) {
    const off = folio.swap.offset + i;
    const e = tree.get(off);
    if (e !== NO_ENTRY) {
      tree.delete(off);
      yield* zswapEntryFree(k, e);
    }
  }
}
