/**
 * Writeback and the shrinkers: zswap_writeback_entry(), the list_lru isolate callback
 * shrink_memcg_cb(), the memcg-aware shrinker (count/scan), shrink_memcg() and the global
 * shrink_worker() that runs when the pool limit is hit.
 */
import type { Op } from "../kernel/effect.ts";
import { sched } from "../kernel/effect.ts";
import { EAGAIN, EEXIST, EIO, ENOENT, ENOMEM } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { traced } from "../kernel/site.ts";
import { spinLock, spinUnlock } from "../kernel/spinlock.ts";
import { type Folio, folioUnlock } from "../mm/folio.ts";
import type { ListLruOne, LruStatus } from "../mm/list_lru.ts";
import { type Memcg, memcgIter } from "../mm/memcg.ts";
import { swapCacheAllocFolio, swapcacheDelete, swapDevice } from "../mm/swap.ts";
import type { SwpEntry } from "../mm/swap_entry.ts";
import { storageWrite } from "../mm/swap_storage.ts";
import { zswapDecompress } from "./compress.ts";
import { lruMemcg, zswapEntryFree } from "./entry.ts";
import type { EntryRef } from "./entry_table.ts";
import { zswapAcceptThrPages, zswapTotalPages, zswapTotalPagesRcu } from "./pool.ts";
import { zswapState } from "./state.ts";

const MAX_RECLAIM_RETRIES = 16;
/** SWAP_CLUSTER_MAX. */
const SWAP_CLUSTER_MAX = 32;

/**
 * Entries shrink_memcg() walks per NUMA node: SWAP_CLUSTER_MAX in 7.3.4; one in 6.12 (6.8 to
 * 6.12), which makes the callers (the store path over memory.zswap.max, shrink_worker) recheck
 * their limit after every entry. A walked entry counts whether it is written back or only
 * rotated (its referenced bit cleared), so a call over 32 referenced entries writes nothing.
 */
function nrToWalkPerNode(k: Kernel): number {
  return zswapState(k).profile === "6.12" ? 1 : SWAP_CLUSTER_MAX;
}

/**
 * zswap_writeback_entry(): `entry` may already be freed; it is not dereferenced until it is
 * validated against the tree under the swapcache folio lock.
 *
 * As 7.3.4 and 6.12 do: the entry is decompressed into the new swapcache folio, erased and freed
 * (its pool space is back at once), and only then is the folio's write submitted. The write
 * completes later, in its own task (the bio's end_io): the folio stays locked in the swap cache
 * until then, so a swap-in of the slot waits for it and reads the folio. A failed write
 * redirties the folio, which stays in the swap cache (in memory) until the slot is swapped in.
 * Simplified: after a successful write the folio is dropped from the swap cache at once, as
 * reclaim soon does with a clean folio marked for reclaim (folio_set_reclaim).
 */
export function zswapWritebackEntry(k: Kernel, entry: EntryRef, swp: SwpEntry): Op<number> {
  return traced(k, "zswap_writeback_entry", writeback(k, entry, swp));
}

function* writeback(k: Kernel, entry: EntryRef, swp: SwpEntry): Op<number> {
  const z = zswapState(k);
  yield* sched("swap_cache_alloc_folio");
  const folio = swapCacheAllocFolio(k, swp, null);
  if (typeof folio === "number") return folio === -EEXIST ? -EEXIST : -ENOMEM;
  const dev = swapDevice(k, swp.type);
  const tree = z.tree(swp.type);
  // Only now, with the folio locked, is the slot stable: check it still maps to our entry.
  if (tree.get(swp.offset) !== entry) {
    yield* abort(k, dev, folio);
    return -ENOMEM;
  }
  if (!(yield* zswapDecompress(k, entry, folio.page(0)))) {
    yield* abort(k, dev, folio);
    return -EIO;
  }
  tree.delete(swp.offset);
  z.events.zswpwb++;
  z.entries.memcg(entry)?.countEvent("zswpwb", 1);
  yield* zswapEntryFree(k, entry);
  folio.uptodate = true;
  folio.reclaim = true;
  // __swap_writepage(): counted as swapped out (count_swpout_vm_event) when submitted.
  z.events.pswpout++;
  // The folio lock passes to the bio: whoever wants the folio now waits for the write to end.
  folio.owner = k.spawn(
    `swap_writepage ${swp.type}:${swp.offset}`,
    k.cpu,
    writeEndIo(k, dev, folio),
  );
  return 0;
}

function* abort(k: Kernel, dev: ReturnType<typeof swapDevice>, folio: Folio): Op<void> {
  folioUnlock(k, folio);
  yield* swapcacheDelete(k, dev, folio);
}

/** The submitted write and end_swap_bio_write(), which holds the folio lock. */
function* writeEndIo(k: Kernel, dev: ReturnType<typeof swapDevice>, folio: Folio): Op<void> {
  k.fp?.sticky("swap"); // it holds the folio and the device its spawner took (src/kernel/access.ts)
  const ret = yield* storageWrite(dev.storage, folio.swap.offset, folio.page(0));
  if (ret < 0) {
    // The data is only in the folio now: redirty it and keep it in the swap cache.
    folio.dirty = true;
    folio.reclaim = false;
    folio.writebackFailed = true;
    k.note(`Write-error on swap-device (${dev.type}:${folio.swap.offset}): ${ret}`);
    folioUnlock(k, folio);
    // The slot was freed meanwhile: nobody will read the folio, reclaim drops it.
    if (dev.count[folio.swap.offset] === 0) yield* swapcacheDelete(k, dev, folio);
    return;
  }
  folioUnlock(k, folio);
  yield* swapcacheDelete(k, dev, folio);
}

/**
 * shrink_memcg_cb(): called with the list_lru lock held. Gives referenced entries a second
 * chance; otherwise rotates the entry (after unlocking nothing tells whether it still lives),
 * copies swpentry, drops the lock and writes back.
 */
function* shrinkMemcgCb(
  k: Kernel,
  item: EntryRef,
  l: ListLruOne,
  stopOnExist: { hit: boolean } | null,
): Op<LruStatus> {
  const z = zswapState(k);
  const t = z.entries;
  if (t.referenced(item)) {
    t.setReferenced(item, false);
    return "rotate";
  }
  l.moveTail(item);
  const swp = t.swpentry(item);
  spinUnlock(k, z.lru.lock);
  const ret = yield* zswapWritebackEntry(k, item, swp);
  spinLock(k, z.lru.lock);
  if (ret !== 0) {
    z.stats.reject_reclaim_fail++;
    if (ret === -EEXIST && stopOnExist !== null) {
      stopOnExist.hit = true;
      return "stop";
    }
    return "retry";
  }
  z.stats.written_back_pages++;
  return "removed_retry";
}

/** shrink_memcg(): -ENOENT (writeback off / offline / nothing), 0 (shrunk), -EAGAIN. */
export function* shrinkMemcg(k: Kernel, memcg: Memcg | null): Op<number> {
  const z = zswapState(k);
  if (memcg !== null && (!memcg.writebackEnabled() || !memcg.online)) return -ENOENT;
  // One node: nothing is scanned exactly when the list is empty.
  const lru = lruMemcg(k, memcg);
  if (z.lru.count(lru) === 0) return -ENOENT;
  const shrunk = yield* z.lru.walk(
    k,
    lru,
    (item, l) => shrinkMemcgCb(k, item, l, null),
    nrToWalkPerNode(k),
  );
  return shrunk > 0 ? 0 : -EAGAIN;
}

/** zswap_shrinker_count(): freeable entries scaled by the compression ratio. */
export function zswapShrinkerCount(k: Kernel, memcg: Memcg | null): number {
  const z = zswapState(k);
  if (!z.params.shrinker_enabled || (memcg !== null && !memcg.writebackEnabled())) return 0;
  // With memcgs, the memcg's own (hierarchical) zswap figures: compressed bytes in whole pages
  // (MEMCG_ZSWAP_B >> PAGE_SHIFT) and entries (MEMCG_ZSWAPPED); without, the global ones.
  const nrBacking = memcg !== null ? Math.floor(memcg.zswapBytes / PAGE_SIZE) : zswapTotalPages(k);
  const nrStored = memcg !== null ? memcg.zswapped : z.stats.stored_pages;
  if (nrStored === 0) return 0;
  let nrFreeable = z.lru.count(lruMemcg(k, memcg));
  if (memcg !== null) {
    const used = Math.min(nrFreeable, memcg.nrDiskSwapins);
    memcg.nrDiskSwapins -= used;
    nrFreeable -= used;
  }
  return Math.floor((nrFreeable * nrBacking) / nrStored);
}

/** zswap_shrinker_scan(): writes back up to `nrToScan` entries; returns the number freed. */
export function zswapShrinkerScan(k: Kernel, memcg: Memcg | null, nrToScan: number): Op<number> {
  return traced(k, "zswap_shrinker_scan", shrinkerScan(k, memcg, nrToScan));
}

function* shrinkerScan(k: Kernel, memcg: Memcg | null, nrToScan: number): Op<number> {
  const z = zswapState(k);
  if (!z.params.shrinker_enabled || (memcg !== null && !memcg.writebackEnabled())) return 0;
  const stop = { hit: false };
  const lru = lruMemcg(k, memcg);
  return yield* z.lru.walk(k, lru, (item, l) => shrinkMemcgCb(k, item, l, stop), nrToScan);
}

/**
 * shrink_worker(): global reclaim down to the accept threshold, round-robin over the online
 * memcgs from the zswap_next_shrink cursor. A memcg without writeback candidates (-ENOENT) is
 * skipped; the end of a tree walk (mem_cgroup_iter() returning NULL) that found no candidate
 * counts as a failure, as does a failed shrink, and MAX_RECLAIM_RETRIES failures end the work:
 * without the first rule the worker would spin forever when every memcg with entries has
 * writeback disabled.
 */
export function* shrinkWorker(k: Kernel): Op<void> {
  const z = zswapState(k);
  const thr = zswapAcceptThrPages(k);
  let failures = 0;
  let attempts = 0;
  do {
    spinLock(k, z.shrinkLock);
    const memcg = memcgIterOnline(z.rootMemcg, z.nextShrink);
    z.nextShrink = memcg;
    spinUnlock(k, z.shrinkLock);
    if (memcg === null) {
      if (attempts === 0 && ++failures === MAX_RECLAIM_RETRIES) break;
      attempts = 0;
    } else {
      const ret = yield* shrinkMemcg(k, memcg);
      if (ret === -ENOENT) continue; // not a candidate: neither an attempt nor a failure
      attempts++;
      if (ret !== 0 && ++failures === MAX_RECLAIM_RETRIES) break;
    }
    yield* sched("cond_resched in shrink_worker");
  } while ((yield* zswapTotalPagesRcu(k)) > thr);
}

/**
 * mem_cgroup_iter(NULL, cur) skipping offline memcgs (mem_cgroup_tryget_online()): the next
 * online memcg after `cur` in pre-order, or null at the end of the tree walk (the next call
 * starts again from the root).
 */
function memcgIterOnline(root: Memcg, cur: Memcg | null): Memcg | null {
  let m = memcgIter(root, cur);
  while (m !== null && !m.online) m = memcgIter(root, m);
  return m;
}

/**
 * zswap_memcg_offline_cleanup(): a memcg going offline must not stay under the shrink worker's
 * cursor (in the kernel the cursor holds a reference, which would keep the zombie alive):
 * advance the cursor to the next online memcg.
 */
export function zswapMemcgOfflineCleanup(k: Kernel, memcg: Memcg): void {
  const z = zswapState(k);
  spinLock(k, z.shrinkLock);
  if (z.nextShrink === memcg) z.nextShrink = memcgIterOnline(z.rootMemcg, memcg);
  spinUnlock(k, z.shrinkLock);
}

export { EIO, ENOMEM };
