/**
 * The library's public types: options and statistics.
 */
import type { IaaSyncMode } from "../crypto/iaa_crypto.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import type { VmEvents } from "../mm/vmstat.ts";
import type { Profile } from "../zswap/params.ts";
import type { ZswapState } from "../zswap/state.ts";
import type { ZswapDebugfs } from "../zswap/stats.ts";
import type { FaultCounts, FaultOptions } from "./faults.ts";
import type { FileIo } from "./file_storage.ts";

/** The page size, as the library's API names it (its home is src/kernel/page.ts). */
export { PAGE_SIZE };
/** The largest folio swapOut takes: a PMD-sized folio (HPAGE_PMD_NR on x86-64). */
export const FOLIO_PAGES_MAX = 512;

// ---------------------------------------------------------------------------------------------
// Options (errors: errors.ts; slots: swap_slot.ts)
// ---------------------------------------------------------------------------------------------

export interface CreateZswapOptions {
  /**
   * The compressor (zswap's `compressor` parameter): lz4 (default), lz4hc, zstd, lzo, deflate.
   * The kernel's Kconfig default is lzo; the library picks lz4, the fastest binding here at a
   * ratio close to lzo's (docs/library.md, "Defaults").
   */
  readonly compressor?: string;
  /**
   * "7.3" (Linux 7.3.4, the default; "latest" is its alias) or "6.12" (Debian's 6.12.117): which
   * kernel's store path, crypto wrappers, design and debugfs files.
   */
  readonly profile?: Profile | "latest";
  /** zswap's `enabled` (default true). */
  readonly enabled?: boolean;
  /** % of totalram the pool may use (kernel default 20). */
  readonly max_pool_percent?: number;
  /** % of the pool limit below which stores are accepted again after a hit (kernel default 90). */
  readonly accept_threshold_percent?: number;
  /** The memcg-aware shrinker (`shrink()`); kernel default (Kconfig) off. */
  readonly shrinker_enabled?: boolean;
  /** The machine's RAM as zswap sees it (totalram_pages * 4096); default: os.totalmem(). */
  readonly totalRamBytes?: number;
  /** Number of CPUs, 1..64; default: os.availableParallelism() (at most 64). */
  readonly cpus?: number;
  /**
   * The swap file, kept on close: a regular file (created if it does not exist) or a block
   * device; a character device, FIFO, socket or directory is refused (EINVAL), as swapon(2)
   * refuses them. Default: a new temp file, removed on close.
   */
  readonly swapFile?: string;
  /** Use an existing swapFile (or a block device), destroying its contents; default false. */
  readonly overwrite?: boolean;
  /**
   * Keep a 64-bit checksum of each page written to the swap file (8 bytes per slot) and fail a
   * read whose page does not match with EIO (a file changed under us); default false.
   */
  readonly checksums?: boolean;
  /** Swap file size, a multiple of 4096 (default 1 GiB, sparse): one slot per page swapped out. */
  readonly swapSizeBytes?: number;
  /**
   * Detector bookkeeping (lockdep, call paths and allocation sites in reports); default off: it
   * costs more than compressing a page. Use-after-free and deadlocks are detected either way.
   */
  readonly instrumented?: boolean;
  /**
   * Put every page in a memory cgroup (a child of the root) with this memory.max, in bytes, as
   * a VM's test cgroup: entries then have an objcg, are charged to it and written back from its
   * LRU. memory.max is recorded, not enforced: the library has no resident set to reclaim from
   * (docs/run.md). Default: the root cgroup (no objcg, nothing charged), as a folio of the root.
   */
  readonly memcgMaxBytes?: number;
  /**
   * memory.zswap.max of that memory cgroup, in bytes (rounded down to pages, as the kernel
   * does): a store that finds the cgroup at its zswap limit first writes back from the
   * cgroup's LRU, then is refused (goes to the swap file). Implies the child cgroup.
   * Default: "max". At run time: `memcgWrite("memory.zswap.max", ...)`.
   */
  readonly memcgZswapMaxBytes?: number;
  /**
   * memory.zswap.writeback of that memory cgroup: false keeps its entries from being written
   * back, and its refused stores from going to the swap file... as the kernel does (see
   * docs/library.md). Implies the child cgroup. Default true.
   */
  readonly memcgZswapWriteback?: boolean;
  /**
   * Debian's boot default (CONFIG_ZSWAP_DEFAULT_ON unset): with `enabled: false` too, zswap is
   * not set up at creation (no pool, zswap_never_enabled()); the first `setParam("enabled",
   * true)` sets it up, as writing Y to /sys/module/zswap/parameters/enabled does. Default false.
   */
  readonly bootOff?: boolean;
  /**
   * Background kernel work (the shrink worker, writeback's writes) yields the event loop at
   * each scheduling point, as a kworker sharing one CPU with the storing task (`run` uses it to
   * mirror a one-vCPU VM; docs/run.md), and awaits its I/O. Default false: background work runs
   * to its end when it starts, with synchronous I/O, so the same calls give the same results.
   */
  readonly shareCpu?: boolean;
  /** Replaces the swap file's positional I/O (tests inject -ENOSPC here). */
  readonly swapFileIo?: FileIo;
  /**
   * Fault injection, named after the kernel's knobs: a probability 0..1 per knob (kmalloc,
   * zs_malloc, compress, decompress, swap_write, swap_read) and a seed, e.g.
   * `{ zs_malloc: 0.01, decompress: 0.001, seed: 7 }`. Each fault takes the kernel's path
   * (docs/library.md, "Fault injection"); stats().faults counts them. Default: none.
   */
  readonly faults?: FaultOptions;
  /**
   * deflate-iaa's engines: worker threads that compress a batch's pages in parallel (profile
   * 7.3-batching). Default 0: batches compress on the calling thread. See docs/batching.md.
   */
  readonly iaaEngines?: number;
  /** deflate-iaa's sync_mode: "async" (default, the driver's caller polls), "sync", "async_irq". */
  readonly iaaSyncMode?: IaaSyncMode;
  /**
   * Time every call into the compressor binding, for `compressorTime()` (default false: two
   * clock reads per page are not free). `zswap-ts run` uses it for its per-phase share.
   */
  readonly timeCompressor?: boolean;
  /**
   * Multi-core mode: one worker thread per CPU (`cpus`) compresses and decompresses the pages
   * of the asynchronous calls (swapOut, swapIn) while they wait in a queue; the calls still run
   * one at a time in call order, so every result is the one-thread result. Pays off with
   * several calls in flight (from several async tasks, or un-awaited). Default false.
   * See docs/multicore.md.
   */
  readonly parallel?: boolean;
}

/** What stats() returns. */
export interface ZswapStats {
  /** /sys/kernel/debug/zswap/*, by the kernel's names (6.12 has fewer files). */
  readonly debugfs: Partial<ZswapDebugfs>;
  /** /proc/vmstat events of zswap and the swap layer, by the kernel's names. */
  readonly vmstat: VmEvents;
  readonly derived: DerivedStats;
  readonly swapFile: SwapFileStats;
  /** CPUs online now, in id order. */
  readonly cpusOnline: readonly number[];
  /** The zswap parameters now (sysfs names). */
  readonly params: Readonly<ZswapState["params"]>;
  /** Faults injected so far, by knob (all 0 without the `faults` option). */
  readonly faults: FaultCounts;
  /** The pages' memory cgroup and its zswap files; null: the root cgroup (no memcg option). */
  readonly memcg: MemcgStats | null;
}

/** What `stats().memcg` reports: the files' values as numbers (null: "max"). */
export interface MemcgStats {
  /** The cgroup's path, as /proc/PID/cgroup would name it. */
  readonly path: string;
  readonly memoryMax: number | null;
  readonly zswapMax: number | null;
  /** memory.zswap.current: compressed bytes charged (MEMCG_ZSWAP_B). */
  readonly zswapCurrent: number;
  readonly zswapWriteback: boolean;
  /** memory.stat's zswap lines, by their names: zswap and zswapped in bytes, events in pages. */
  readonly stat: MemcgZswapStat;
}

export interface MemcgZswapStat {
  readonly zswap: number;
  readonly zswapped: number;
  readonly zswpin: number;
  readonly zswpout: number;
  readonly zswpwb: number;
}

export interface DerivedStats {
  /** stored_pages * 4096: what zswap holds, uncompressed. */
  readonly storedBytes: number;
  /** Sum of the stored entries' lengths (incompressible pages count 4096). */
  readonly compressedBytes: number;
  /** storedBytes / compressedBytes (0 when empty). */
  readonly compressionRatio: number;
  /** compressedBytes / pool_total_size: how well zsmalloc packs the objects (0 when empty). */
  readonly poolEfficiency: number;
  /** The pool limit in bytes: totalram * max_pool_percent / 100. */
  readonly poolLimitBytes: number;
  /** Where stores are accepted again after the limit was hit (accept_threshold_percent). */
  readonly acceptThresholdBytes: number;
}

export interface SwapFileStats {
  readonly path: string;
  readonly temporary: boolean;
  readonly nrSlots: number;
  /** Slots referenced by a swapped-out page or by the swapcache. */
  readonly slotsInUse: number;
  readonly writeErrors: number;
  /** Reads that failed (EIO): an OS error, or one of the three kinds below. */
  readonly readErrors: number;
  /** Reads past the end of the file: it was truncated under us. */
  readonly shortReads: number;
  /** Reads that came back as zeros where a page had been written (a hole: truncated and regrown). */
  readonly vanishedReads: number;
  /** Whether a checksum is kept per written slot (the `checksums` option). */
  readonly checksums: boolean;
  /** Reads whose page did not match its checksum. */
  readonly checksumErrors: number;
  /** Errno name of the last failed write ("ENOSPC"), or null. */
  readonly lastWriteError: string | null;
}

export type ParamValue = string | number | boolean;

/** The parameters setParam knows (sysfs names). */
export const PARAM_NAMES = [
  "enabled",
  "compressor",
  "max_pool_percent",
  "accept_threshold_percent",
  "shrinker_enabled",
] as const;

/** A short description of a bad argument, for error messages. */
export function describe(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  if (v === null || v === undefined || typeof v !== "object") return String(v);
  if (Array.isArray(v)) return "an array";
  return `a ${(v as object).constructor?.name ?? "object"}`;
}
