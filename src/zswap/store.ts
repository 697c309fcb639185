/**
 * zswap_store(): store every page of a locked swapcache folio, or none (check_old).
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { kfreeAndYield } from "../kernel/memory.ts";
import { traced } from "../kernel/site.ts";
import { queueWork } from "../kernel/workqueue.ts";
import { type Folio, folioAssertLocked } from "../mm/folio.ts";
import type { Memcg } from "../mm/memcg.ts";
import { swpEntry } from "../mm/swap_entry.ts";
import { zswapCompress } from "./compress.ts";
import { zswapEntryCacheAlloc, zswapEntryFree, zswapStoreEntry } from "./entry.ts";
import { zswapCheckLimits, zswapPoolCurrentGet, zswapPoolPut, zswapTotalPagesRcu } from "./pool.ts";
import { shrinkMemcg } from "./shrinker.ts";
import { zswapState } from "./state.ts";
import { storesInBatches, zswapStoreBatched } from "./store_batch.ts";
import type { PoolObj } from "./types.ts";

export function zswapStore(k: Kernel, folio: Folio): Op<boolean> {
  return traced(k, "zswap_store", store(k, folio));
}

function* store(k: Kernel, folio: Folio): Op<boolean> {
  const z = zswapState(k);
  folioAssertLocked(k, folio);
  // 6.12 refuses large folios before anything else, without check_old (mTHP stores came in 6.13).
  if (z.profile === "6.12" && folio.nrPages > 1) return false;
  let ret = false;
  if (z.params.enabled) {
    ret = yield* tryStore(k, folio);
    // put_objcg: any failure while the pool is full (not only the limit check) kicks the
    // global shrinker, so that stores are accepted again once it is below the threshold.
    if (!ret && z.poolReachedFull && z.shrinkWork !== null) queueWork(k, z.shrinkWork);
  }
  if (!ret) yield* checkOld(k, folio);
  return ret;
}

function* tryStore(k: Kernel, folio: Folio): Op<boolean> {
  const z = zswapState(k);
  // get_obj_cgroup_from_folio(): a root-cgroup folio has no objcg (the walk up to, not
  // including, the root finds none), so it is neither limited by memory.zswap.max nor charged.
  const memcg = folio.memcg === z.rootMemcg ? null : folio.memcg;
  if (memcg !== null && !memcg.mayZswap()) {
    if ((yield* shrinkMemcg(k, memcg)) !== 0) return false;
  }
  if (zswapCheckLimits(k, yield* zswapTotalPagesRcu(k))) return false;
  const pool = yield* zswapPoolCurrentGet(k);
  if (pool === null) return false;
  let ok = true;
  if (storesInBatches(z.profile)) ok = yield* zswapStoreBatched(k, folio, memcg, pool);
  else
    for (let i = 0; i < folio.nrPages && ok; i++)
      ok = yield* zswapStorePage(k, folio, i, memcg, pool);
  if (ok) {
    z.events.zswpout += folio.nrPages;
    memcg?.countEvent("zswpout", folio.nrPages);
  }
  yield* zswapPoolPut(k, pool);
  return ok;
}

/** zswap_store_page(). */
function* zswapStorePage(
  k: Kernel,
  folio: Folio,
  i: number,
  memcg: Memcg | null,
  pool: PoolObj,
): Op<boolean> {
  const z = zswapState(k);
  // The folio's own swp_entry_t for its first page (one object less to keep per entry).
  const swp = i === 0 ? folio.swap : swpEntry(folio.swap.type, folio.swap.offset + i);
  const entry = yield* zswapEntryCacheAlloc(k, swp);
  if (entry === null) {
    z.stats.reject_kmemcache_fail++;
    return false;
  }
  if (!(yield* zswapCompress(k, folio.page(i), entry.data, pool, memcg))) {
    yield* kfreeAndYield(k, entry);
    return false;
  }
  yield* zswapStoreEntry(k, entry, memcg, pool);
  return true;
}

/** check_old: drop any entry for the folio's slots, so no stale copy outlives a failed store. */
function* checkOld(k: Kernel, folio: Folio): Op<void> {
  const z = zswapState(k);
  const tree = z.tree(folio.swap.type);
  for (let i = 0; i < folio.nrPages; i++) {
    const off = folio.swap.offset + i;
    const e = tree.get(off);
    if (e !== undefined) {
      tree.delete(off);
      yield* zswapEntryFree(k, e);
    }
  }
}
