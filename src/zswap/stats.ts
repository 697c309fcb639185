/**
 * Statistics with the kernel's names: the debugfs counters of /sys/kernel/debug/zswap/ and the
 * vmstat events (src/mm/vmstat.ts) that zswap and the swap layer count.
 *
 * As in the kernel, the counters are plain numbers without synchronization.
 */
export interface ZswapDebugfs {
  pool_limit_hit: number;
  reject_reclaim_fail: number;
  reject_alloc_fail: number;
  reject_kmemcache_fail: number;
  reject_compress_fail: number;
  reject_compress_poor: number;
  decompress_fail: number;
  written_back_pages: number;
  /** Derived at read time: zswap_total_pages() * PAGE_SIZE. */
  pool_total_size: number;
  stored_pages: number;
  stored_incompressible_pages: number;
}

export function newDebugfs(): ZswapDebugfs {
  return {
    pool_limit_hit: 0,
    reject_reclaim_fail: 0,
    reject_alloc_fail: 0,
    reject_kmemcache_fail: 0,
    reject_compress_fail: 0,
    reject_compress_poor: 0,
    decompress_fail: 0,
    written_back_pages: 0,
    pool_total_size: 0,
    stored_pages: 0,
    stored_incompressible_pages: 0,
  };
}

/** The 6.12 debugfs file set: no decompress_fail and no stored_incompressible_pages yet. */
export const DEBUGFS_6_12: readonly (keyof ZswapDebugfs)[] = [
  "pool_limit_hit",
  "reject_reclaim_fail",
  "reject_alloc_fail",
  "reject_kmemcache_fail",
  "reject_compress_fail",
  "reject_compress_poor",
  "written_back_pages",
  "pool_total_size",
  "stored_pages",
];
