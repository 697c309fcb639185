/**
 * The library: zswap on real pages, with real compressors, a zsmalloc pool and a real swap file.
 *
 * `createZswap()` boots a kernel in real mode (N CPUs, totalram), sets up zswap on it (the 7.1
 * per-CPU acomp_ctx design, or 6.12's for the 6.12 profile) with a swap file behind it, and
 * returns a `ZswapInstance`. Every call runs the kernel's own paths: swap-out is swap_writeout()
 * (zero pages to the zero map, otherwise zswap_store(), and what zswap rejects goes to the swap
 * file), swap-in is do_swap_page() (zero map, zswap_load(), or the swap file). Writeback
 * (shrink_worker, queued when the pool limit is hit) runs in the background as a kworker.
 * See docs/library.md.
 *
 * @example
 * const zswap = createZswap({ compressor: "zstd", cpus: 4 });
 * const slot = zswap.swapOutSync(page);         // 4096 bytes, or a large folio of 2^n pages
 * const back = zswap.swapInSync(slot);          // byte for byte the page; the slot is released
 * zswap.stats().debugfs.stored_pages;           // the kernel's counters, by the kernel's names
 * await zswap.close();                          // waits for writeback; removes the temp swap file
 */
import { availableParallelism, totalmem } from "node:os";
import { setCryptoAlgorithms } from "../crypto/acomp.ts";
import {
  nativeCompressorFactories,
  unavailableCompressors,
} from "../crypto/algorithms/native/index.ts";
import { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import { cpuDown, cpuUp } from "../kernel/cpuhp.ts";
import type { Op } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import { KernelBug } from "../kernel/report.ts";
import { type SwapDevice, swapFree, swapIn, swapOut, swapon, swapState } from "../mm/swap.ts";
import { type SwpEntry, swpEntry } from "../mm/swap_entry.ts";
import type { VmEvents } from "../mm/vmstat.ts";
import { zsStatsText } from "../zsmalloc/stats.ts";
import { D0 } from "../zswap/acomp_ctx/d0.ts";
import { D7 } from "../zswap/acomp_ctx/d7.ts";
import { checkProfile, ParamError, type Profile } from "../zswap/params.ts";
import { zswapTotalPages } from "../zswap/pool.ts";
import { zswapShrinkerCount, zswapShrinkerScan } from "../zswap/shrinker.ts";
import type { ZswapState } from "../zswap/state.ts";
import type { ZswapDebugfs } from "../zswap/stats.ts";
import { zswapDebugfsForProfile, zswapInit, zswapParamSet, zswapSetup } from "../zswap/zswap.ts";
import { RealExecutor, type RunSyncOptions, WouldBlockError } from "./executor.ts";
import { type FileIo, FileStorage, SwapFileError } from "./file_storage.ts";
import { describeErrno, errnoName, SwapFile } from "./swap_file.ts";

export const PAGE_SIZE = 4096;
/** The largest folio swapOut takes: a PMD-sized folio (HPAGE_PMD_NR on x86-64). */
export const FOLIO_PAGES_MAX = 512;

const ENOENT = 2;
const EIO = 5;
const EBUSY = 16;
const ENOSPC = 28;

// ---------------------------------------------------------------------------------------------
// Options, errors, slots
// ---------------------------------------------------------------------------------------------

export interface CreateZswapOptions {
  /**
   * The compressor (zswap's `compressor` parameter): lz4 (default), lz4hc, zstd, lzo, deflate.
   * The kernel's Kconfig default is lzo; the library picks lz4, the fastest binding here at a
   * ratio close to lzo's (docs/library.md, "Defaults").
   */
  readonly compressor?: string;
  /** "latest" (7.1: default) or "6.12": which kernel's store path, design and debugfs files. */
  readonly profile?: Profile;
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
  /** The swap file (created or truncated, and kept); default: a temp file, removed on close. */
  readonly swapFile?: string;
  /** Swap file size, a multiple of 4096 (default 1 GiB, sparse): one slot per page swapped out. */
  readonly swapSizeBytes?: number;
  /**
   * Detector bookkeeping (lockdep, call paths and allocation sites in reports); default off: it
   * costs more than compressing a page. Use-after-free and deadlocks are detected either way.
   */
  readonly instrumented?: boolean;
  /** Replaces the swap file's positional I/O (tests inject -ENOSPC here). */
  readonly swapFileIo?: FileIo;
}

/**
 * A library call failed. `code` is an errno name: EINVAL (bad input), ENOSPC (swap file full
 * or no free slot), EIO (a read or decompression failed), EBUSY (the last online CPU),
 * ESHUTDOWN (closed), EBUG (a kernel bug report: the message is its title, `cause` the report).
 */
export class ZswapError extends Error {
  override name = "ZswapError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A *Sync call met a lock held by an asynchronous operation still in flight (writeback, or an
 * un-awaited swapOut): it goes on asynchronously, and `pending` settles with its result.
 */
export class ZswapWouldBlockError<T> extends ZswapError {
  override name = "ZswapWouldBlockError";
  constructor(
    message: string,
    readonly pending: Promise<T>,
  ) {
    super("EWOULDBLOCK", message);
  }
}

/** Where a swapped-out page (or large folio) is: swap slots offset .. offset + nrPages - 1. */
export class SwapSlot {
  readonly #owner: ZswapInstance;
  /** True until it is swapped in or freed. */
  #live = true;

  /** @internal Created by ZswapInstance.swapOut. */
  constructor(
    owner: ZswapInstance,
    readonly offset: number,
    readonly nrPages: number,
  ) {
    this.#owner = owner;
  }

  get live(): boolean {
    return this.#live;
  }

  /** @internal */
  static check(slot: unknown, owner: ZswapInstance, what: string): SwapSlot {
    if (!(slot instanceof SwapSlot)) {
      throw new ZswapError(
        "EINVAL",
        `Cannot ${what}: expected a SwapSlot from swapOut, got ${describe(slot)}`,
      );
    }
    if (slot.#owner !== owner) {
      throw new ZswapError(
        "EINVAL",
        `Cannot ${what} slot ${slot.offset}: it belongs to another zswap instance`,
      );
    }
    if (!slot.#live) {
      throw new ZswapError(
        "EINVAL",
        `Cannot ${what} slot ${slot.offset}: it was already swapped in or freed`,
      );
    }
    return slot;
  }

  /** @internal */
  static release(slot: SwapSlot): void {
    slot.#live = false;
  }
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
  readonly readErrors: number;
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

// ---------------------------------------------------------------------------------------------
// Creation
// ---------------------------------------------------------------------------------------------

const DEFAULT_SWAP_SIZE_BYTES = 2 ** 30;
const SYNC_IO: RunSyncOptions = { syncIo: true };
const ASYNC_IO: RunSyncOptions = { syncIo: false };

/** The real compressors (no `sim`), with the reasons for the kernel's that are missing. */
export function realCompressorRegistry(): CompressorRegistry {
  return new CompressorRegistry(nativeCompressorFactories, unavailableCompressors);
}

/** Boots zswap on real pages; see CreateZswapOptions for the defaults. Throws ZswapError. */
export function createZswap(options: CreateZswapOptions = {}): ZswapInstance {
  const o = checkOptions(options);
  const k = new Kernel({ nrCpus: o.cpus, mode: "real", instrumented: o.instrumented });
  const registry = realCompressorRegistry();
  if (!registry.has(o.compressor)) throw unknownCompressor(registry, o.compressor);
  // scomp_lock is the 6.13-6.14 model (scenario C5); neither profile here has it.
  setCryptoAlgorithms(k, registry).scompLockModel = false;
  const z = zswapInit(k, {
    design: o.profile === "6.12" ? D0 : D7,
    profile: o.profile,
    params: {
      enabled: o.enabled,
      compressor: o.compressor,
      max_pool_percent: o.maxPoolPercent,
      accept_threshold_percent: o.acceptThresholdPercent,
      shrinker_enabled: o.shrinkerEnabled,
    },
  });
  memory(k).totalramPages = Math.floor(o.totalRamBytes / PAGE_SIZE);
  let file: FileStorage;
  try {
    file = FileStorage.open({
      nrSlots: o.swapSizeBytes / PAGE_SIZE,
      ...(o.swapFile !== undefined ? { path: o.swapFile } : {}),
      ...(options.swapFileIo !== undefined ? { io: options.swapFileIo } : {}),
    });
  } catch (e) {
    if (e instanceof SwapFileError) throw new ZswapError("EINVAL", e.message, { cause: e });
    throw e;
  }
  const swap = new SwapFile(file);
  const dev = swapon(k, swap);
  const ex = new RealExecutor(k);
  let ret: number;
  try {
    ret = ex.runSync("zswap_setup", 0, zswapSetup(k));
  } catch (e) {
    swap.close();
    throw asZswapError(e, "set up zswap");
  }
  if (ret !== 0) {
    swap.close();
    throw new ZswapError(
      "ENOMEM",
      `Cannot set up zswap: creating the ${o.compressor} pool failed (${ret})`,
    );
  }
  return new ZswapInstance(k, ex, z, swap, dev);
}

interface CheckedOptions {
  compressor: string;
  profile: Profile;
  enabled: boolean;
  maxPoolPercent: number;
  acceptThresholdPercent: number;
  shrinkerEnabled: boolean;
  totalRamBytes: number;
  cpus: number;
  swapFile: string | undefined;
  swapSizeBytes: number;
  instrumented: boolean;
}

function checkOptions(o: CreateZswapOptions): CheckedOptions {
  if (typeof o !== "object" || o === null) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected an options object, got ${describe(o)}`,
    );
  }
  let profile: Profile;
  try {
    profile = checkProfile(o.profile ?? "latest");
  } catch (e) {
    throw new ZswapError("EINVAL", (e as Error).message);
  }
  const totalRamBytes = o.totalRamBytes ?? totalmem();
  if (!Number.isSafeInteger(totalRamBytes) || totalRamBytes < PAGE_SIZE) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected totalRamBytes to be an integer >= ${PAGE_SIZE}, got ${describe(o.totalRamBytes)}`,
    );
  }
  const cpus = o.cpus ?? Math.min(64, availableParallelism());
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected cpus to be an integer 1..64, got ${describe(o.cpus)}`,
    );
  }
  const swapSizeBytes = o.swapSizeBytes ?? DEFAULT_SWAP_SIZE_BYTES;
  if (
    !Number.isSafeInteger(swapSizeBytes) ||
    swapSizeBytes < PAGE_SIZE ||
    swapSizeBytes % PAGE_SIZE !== 0
  ) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected swapSizeBytes to be a positive multiple of ${PAGE_SIZE}, got ${describe(o.swapSizeBytes)}`,
    );
  }
  if (o.swapFile !== undefined && (typeof o.swapFile !== "string" || o.swapFile === "")) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected swapFile to be a path, got ${describe(o.swapFile)}`,
    );
  }
  return {
    compressor: checkString("compressor", o.compressor ?? "lz4"),
    profile,
    enabled: checkBool("enabled", o.enabled ?? true),
    maxPoolPercent: percent("max_pool_percent", o.max_pool_percent ?? 20),
    acceptThresholdPercent: percent("accept_threshold_percent", o.accept_threshold_percent ?? 90),
    shrinkerEnabled: checkBool("shrinker_enabled", o.shrinker_enabled ?? false),
    totalRamBytes,
    cpus,
    swapFile: o.swapFile,
    swapSizeBytes,
    instrumented: checkBool("instrumented", o.instrumented ?? false),
  };
}

function checkString(name: string, v: unknown): string {
  if (typeof v !== "string")
    throw new ZswapError("EINVAL", `Cannot set ${name}: expected a string, got ${describe(v)}`);
  return v;
}

function checkBool(name: string, v: unknown): boolean {
  if (typeof v !== "boolean")
    throw new ZswapError(
      "EINVAL",
      `Cannot set ${name}: expected true or false, got ${describe(v)}`,
    );
  return v;
}

/** An integer 0..100, given as a number or a decimal string. */
function percent(name: string, v: unknown): number {
  const n =
    typeof v === "number"
      ? v
      : typeof v === "string" && /^\s*\d+\s*$/.test(v)
        ? Number(v)
        : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 100) {
    throw new ZswapError(
      "EINVAL",
      `Cannot set ${name}: expected an integer 0..100, got ${numberText(v)}`,
    );
  }
  return n;
}

/** 140 and "140" as 140; other strings quoted. */
function numberText(v: unknown): string {
  return typeof v === "string" && /^\s*-?[\d.]+\s*$/.test(v) ? v.trim() : describe(v);
}

function unknownCompressor(registry: CompressorRegistry, name: string): ZswapError {
  try {
    registry.get(name);
  } catch (e) {
    return new ZswapError("EINVAL", (e as Error).message);
  }
  return new ZswapError("EINVAL", `Unknown compressor '${name}'`);
}

// ---------------------------------------------------------------------------------------------
// The instance
// ---------------------------------------------------------------------------------------------

export class ZswapInstance {
  /** Online CPUs, in id order; operations take them round-robin. */
  private online: number[];
  private nextCpuIndex = 0;
  private closed = false;

  /** @internal Use createZswap(). */
  constructor(
    /** The kernel underneath (for tests and tools; not needed to use the library). */
    readonly kernel: Kernel,
    private readonly ex: RealExecutor,
    private readonly z: ZswapState,
    private readonly swap: SwapFile,
    private readonly dev: SwapDevice,
  ) {
    this.online = kernel.cpus.onlineList();
  }

  /** The swap file's path. */
  get swapFilePath(): string {
    return this.swap.file.path;
  }

  /**
   * zswap_pool_reached_full: the pool hit its limit and has not yet shrunk to the accept
   * threshold, so every store is rejected (to the swap file) meanwhile. Writeback runs in the
   * background: a caller that swaps out in a tight loop gives it turns of the event loop.
   */
  get poolReachedFull(): boolean {
    return this.z.poolReachedFull;
  }

  /** Operations in flight now: un-awaited calls and background work (writeback, pool release). */
  get inFlight(): number {
    return this.ex.inFlight;
  }

  /** Number of CPUs (possible CPUs: online or not). */
  get cpus(): number {
    return this.kernel.cpus.possible.length;
  }

  // --- swap-out -------------------------------------------------------------------------------

  /**
   * Swaps a page (4096 bytes) or a large folio (2^n pages, up to 512) out: into zswap, or, when
   * zswap rejects it, to the swap file. `page` is read until the promise settles; do not change
   * it before. Rejects with ZswapError: EINVAL (bad page), ENOSPC (no free slot, or the swap
   * file's disk is full: the page was not swapped out and is still yours).
   */
  async swapOut(page: Uint8Array): Promise<SwapSlot> {
    const nr = this.checkPage(page);
    const writeErrors = this.swap.writeErrors;
    let ret: unknown;
    try {
      ret = this.ex.runSync(
        "swapout",
        this.nextCpu(),
        swapOut(this.kernel, this.dev.type, page, null, false),
        ASYNC_IO,
      );
    } catch (e) {
      if (!(e instanceof WouldBlockError)) throw asZswapError(e, "swap out");
      try {
        ret = await e.pending;
      } catch (e2) {
        throw asZswapError(e2, "swap out");
      }
    }
    return this.slotOf(ret, nr, writeErrors);
  }

  /**
   * swapOut without a promise: a page zswap rejects is written to the swap file with a
   * synchronous pwrite. Throws ZswapWouldBlockError only when an asynchronous operation in
   * flight holds what this one needs (see docs/library.md).
   */
  swapOutSync(page: Uint8Array): SwapSlot {
    const nr = this.checkPage(page);
    const writeErrors = this.swap.writeErrors;
    let ret: unknown;
    try {
      ret = this.ex.runSync(
        "swapout",
        this.nextCpu(),
        swapOut(this.kernel, this.dev.type, page, null, false),
        SYNC_IO,
      );
    } catch (e) {
      if (e instanceof WouldBlockError) {
        const pending = (e.pending as Promise<unknown>).then((r) =>
          this.slotOf(r, nr, writeErrors),
        );
        throw new ZswapWouldBlockError<SwapSlot>(wouldBlockMessage("swapOutSync", e), pending);
      }
      throw asZswapError(e, "swap out");
    }
    return this.slotOf(ret, nr, writeErrors);
  }

  // --- swap-in --------------------------------------------------------------------------------

  /**
   * Swaps the page(s) of `slot` back in, from zswap, the zero map or the swap file, and releases
   * the slot. Returns the bytes in `dst` when given (slot.nrPages * 4096 bytes), else in a new
   * array. Rejects with ZswapError EINVAL (a stale or foreign slot) or EIO (a read failed).
   */
  async swapIn(slot: SwapSlot, dst?: Uint8Array): Promise<Uint8Array> {
    const s = SwapSlot.check(slot, this, "swap in");
    const out = this.checkDst(s, dst);
    for (let i = 0; i < s.nrPages; i++) {
      const op = this.swapInOp(s, i, out);
      let ret: unknown;
      try {
        ret = this.ex.runSync("swapin", this.nextCpu(), op, ASYNC_IO);
      } catch (e) {
        if (!(e instanceof WouldBlockError)) throw asZswapError(e, "swap in");
        try {
          ret = await e.pending;
        } catch (e2) {
          throw asZswapError(e2, "swap in");
        }
      }
      this.checkSwapInResult(s, i, ret);
    }
    SwapSlot.release(s);
    return out;
  }

  /** swapIn without a promise (a page on the swap file is read with a synchronous pread). */
  swapInSync(slot: SwapSlot, dst?: Uint8Array): Uint8Array {
    const s = SwapSlot.check(slot, this, "swap in");
    const out = this.checkDst(s, dst);
    for (let i = 0; i < s.nrPages; i++) {
      let ret: unknown;
      try {
        ret = this.ex.runSync("swapin", this.nextCpu(), this.swapInOp(s, i, out), SYNC_IO);
      } catch (e) {
        if (e instanceof WouldBlockError) {
          const rest = (e.pending as Promise<unknown>).then(async (r) => {
            this.checkSwapInResult(s, i, r);
            for (let j = i + 1; j < s.nrPages; j++) {
              this.checkSwapInResult(
                s,
                j,
                await this.ex.run("swapin", this.nextCpu(), this.swapInOp(s, j, out)),
              );
            }
            SwapSlot.release(s);
            return out;
          });
          throw new ZswapWouldBlockError<Uint8Array>(wouldBlockMessage("swapInSync", e), rest);
        }
        throw asZswapError(e, "swap in");
      }
      this.checkSwapInResult(s, i, ret);
    }
    SwapSlot.release(s);
    return out;
  }

  /**
   * Drops the slot without reading it (swap_free(): the process unmapped the page); its zswap
   * entry is invalidated, or its swap file slot released. Throws ZswapError EINVAL for a stale
   * or foreign slot.
   */
  free(slot: SwapSlot): void {
    const s = SwapSlot.check(slot, this, "free");
    for (let i = 0; i < s.nrPages; i++) {
      // swap_free() takes no lock that an in-flight operation could hold, so it never blocks.
      try {
        this.ex.runSync(
          "swap_free",
          this.nextCpu(),
          swapFree(this.kernel, swpEntry(this.dev.type, s.offset + i)),
          SYNC_IO,
        );
      } catch (e) {
        throw asZswapError(e, "free");
      }
    }
    SwapSlot.release(s);
  }

  // --- parameters, CPUs, shrinker -------------------------------------------------------------

  /**
   * Sets a zswap parameter by its sysfs name (enabled, compressor, max_pool_percent,
   * accept_threshold_percent, shrinker_enabled). A compressor switch makes a new current pool;
   * pages stored in the old one stay readable, and the old pool goes when its last entry does.
   * Rejects with ZswapError EINVAL for a bad name or value.
   */
  async setParam(name: string, value: ParamValue): Promise<void> {
    this.checkOpen();
    const text = paramText(name, value);
    let ret: number;
    try {
      ret = await this.exec(`set ${name}`, zswapParamSet(this.kernel, name, text));
    } catch (e) {
      if (e instanceof ParamError) throw new ZswapError("EINVAL", e.message);
      throw asZswapError(e, `set ${name}`);
    }
    if (ret === 0) return;
    if (name === "enabled") {
      throw new ZswapError(
        "EINVAL",
        "Cannot set enabled: zswap has no pool (its creation failed at setup)",
      );
    }
    throw new ZswapError("ENOMEM", `Cannot set ${name} to '${text}': the kernel returned ${ret}`);
  }

  /** Takes `cpu` offline (cpu_down). Rejects with EBUSY for the last online CPU, EINVAL for a bad id. */
  async cpuOffline(cpu: number): Promise<void> {
    this.checkCpu(cpu, "take offline");
    const ret = await this.exec(`cpu_down ${cpu}`, cpuDown(this.kernel, cpu), this.controlCpu(cpu));
    this.online = this.kernel.cpus.onlineList();
    if (ret === -EBUSY)
      throw new ZswapError("EBUSY", `Cannot take CPU ${cpu} offline: it is the last online CPU`);
    if (ret !== 0)
      throw new ZswapError("EIO", `Cannot take CPU ${cpu} offline: cpu_down returned ${ret}`);
  }

  /** Brings `cpu` online (cpu_up: zswap's prepare callback runs for every pool first). */
  async cpuOnline(cpu: number): Promise<void> {
    this.checkCpu(cpu, "bring online");
    const ret = await this.exec(`cpu_up ${cpu}`, cpuUp(this.kernel, cpu), this.controlCpu(cpu));
    this.online = this.kernel.cpus.onlineList();
    if (ret !== 0)
      throw new ZswapError("ENOMEM", `Cannot bring CPU ${cpu} online: cpu_up returned ${ret}`);
  }

  /**
   * zswap_shrinker_scan(): writes back up to `nrToScan` entries (coldest first, after a second
   * chance for referenced ones) to the swap file; resolves with the number written back. Does
   * nothing (0) unless shrinker_enabled.
   */
  async shrink(nrToScan: number): Promise<number> {
    this.checkOpen();
    if (!Number.isSafeInteger(nrToScan) || nrToScan < 0) {
      throw new ZswapError(
        "EINVAL",
        `Cannot shrink: expected nrToScan to be an integer >= 0, got ${describe(nrToScan)}`,
      );
    }
    return await this.exec(
      "zswap_shrinker_scan",
      zswapShrinkerScan(this.kernel, this.z.rootMemcg, nrToScan),
    );
  }

  /** zswap_shrinker_count(): what the shrinker would call freeable now (0 unless shrinker_enabled). */
  shrinkerCount(): number {
    this.checkOpen();
    return zswapShrinkerCount(this.kernel, this.z.rootMemcg);
  }

  // --- statistics, lifetime -------------------------------------------------------------------

  /**
   * The zsmalloc class table of every pool on the list, as the kernel prints it in
   * /sys/kernel/debug/zsmalloc/<pool>/classes.
   */
  zsmallocClasses(): string {
    return this.z.pools
      .map(
        (p) =>
          `/sys/kernel/debug/zsmalloc/${p.data.zsPool.name}/classes (${p.data.tfmName}):\n${zsStatsText(p.data.zsPool)}`,
      )
      .join("\n");
  }

  /** The kernel's counters by their names, and figures derived from them. */
  stats(): ZswapStats {
    const k = this.kernel;
    const debugfs = zswapDebugfsForProfile(k);
    const storedBytes = this.z.stats.stored_pages * PAGE_SIZE;
    const compressedBytes = this.z.rootMemcg.zswapBytes;
    const poolBytes = zswapTotalPages(k) * PAGE_SIZE;
    const ram = memory(k).totalramPages;
    const limitPages = Math.floor((ram * this.z.params.max_pool_percent) / 100);
    return {
      debugfs,
      vmstat: { ...swapState(k).events },
      derived: {
        storedBytes,
        compressedBytes,
        compressionRatio: compressedBytes > 0 ? storedBytes / compressedBytes : 0,
        poolEfficiency: poolBytes > 0 ? compressedBytes / poolBytes : 0,
        poolLimitBytes: limitPages * PAGE_SIZE,
        acceptThresholdBytes:
          Math.floor((limitPages * this.z.params.accept_threshold_percent) / 100) * PAGE_SIZE,
      },
      swapFile: {
        path: this.swap.file.path,
        temporary: this.swap.file.temporary,
        nrSlots: this.dev.nrSlots,
        slotsInUse: this.dev.nrSlots - this.dev.nrFree,
        writeErrors: this.swap.writeErrors,
        readErrors: this.swap.readErrors,
        lastWriteError: this.swap.lastWriteErrno === 0 ? null : errnoName(this.swap.lastWriteErrno),
      },
      cpusOnline: [...this.online],
      params: { ...this.z.params },
    };
  }

  /**
   * Waits until no operation is in flight, background writeback included. Rejects with a
   * ZswapError EBUG if background work hit a kernel bug report.
   */
  async flush(): Promise<void> {
    await this.ex.idle();
    const e = this.ex.backgroundErrors[0];
    if (e !== undefined) throw asZswapError(e, "run background work");
  }

  /**
   * Waits for work in flight, then closes the swap file (a temporary one is removed). Later
   * calls throw ZswapError ESHUTDOWN. Rejects like flush() if background work failed.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      this.swap.close();
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  private nextCpu(): number {
    if (this.closed) throw closedError();
    const online = this.online;
    if (this.nextCpuIndex >= online.length) this.nextCpuIndex = 0;
    return online[this.nextCpuIndex++] as number;
  }

  /** A CPU to run hotplug on: an online one other than `cpu` when there is one. */
  private controlCpu(cpu: number): number {
    return this.online.find((c) => c !== cpu) ?? (this.online[0] as number);
  }

  /** Runs `op` without a promise when it can, else awaits it. */
  private async exec<T>(name: string, op: Op<T>, cpu = this.nextCpu()): Promise<T> {
    try {
      return this.ex.runSync(name, cpu, op, ASYNC_IO);
    } catch (e) {
      if (e instanceof WouldBlockError) return (await e.pending) as T;
      throw e;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  private checkPage(page: Uint8Array): number {
    this.checkOpen();
    if (!(page instanceof Uint8Array)) {
      throw new ZswapError(
        "EINVAL",
        `Cannot swap out: expected a Uint8Array page, got ${describe(page)}`,
      );
    }
    const nr = page.length / PAGE_SIZE;
    if (!Number.isInteger(nr) || nr < 1 || nr > FOLIO_PAGES_MAX || (nr & (nr - 1)) !== 0) {
      throw new ZswapError(
        "EINVAL",
        `Cannot swap out: expected ${PAGE_SIZE} bytes or a large folio of 2^n pages (up to ${FOLIO_PAGES_MAX}), got ${page.length} bytes`,
      );
    }
    return nr;
  }

  private checkDst(s: SwapSlot, dst: Uint8Array | undefined): Uint8Array {
    if (dst === undefined) return new Uint8Array(s.nrPages * PAGE_SIZE);
    if (!(dst instanceof Uint8Array) || dst.length !== s.nrPages * PAGE_SIZE) {
      throw new ZswapError(
        "EINVAL",
        `Cannot swap in slot ${s.offset}: expected dst of ${s.nrPages * PAGE_SIZE} bytes, got ${dst instanceof Uint8Array ? `${dst.length} bytes` : describe(dst)}`,
      );
    }
    return dst;
  }

  private checkCpu(cpu: number, what: string): void {
    this.checkOpen();
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) {
      throw new ZswapError(
        "EINVAL",
        `Cannot ${what} CPU ${describe(cpu)}: expected 0..${this.cpus - 1}`,
      );
    }
  }

  private swapInOp(s: SwapSlot, i: number, out: Uint8Array): Op<Uint8Array | number> {
    const dst = s.nrPages === 1 ? out : out.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    return swapIn(this.kernel, swpEntry(this.dev.type, s.offset + i), null, dst);
  }

  private checkSwapInResult(s: SwapSlot, i: number, ret: unknown): void {
    if (typeof ret !== "number") return;
    const where = `slot ${s.offset + i}`;
    if (ret === -ENOENT)
      throw new ZswapError("EIO", `Cannot swap in ${where}: the slot is not in use (a lost page)`);
    if (ret === -EIO && this.z.stats.decompress_fail > 0) {
      throw new ZswapError(
        "EIO",
        `Cannot swap in ${where}: decompression failed (decompress_fail ${this.z.stats.decompress_fail})`,
      );
    }
    throw new ZswapError(
      "EIO",
      `Cannot swap in ${where}: reading swap file ${this.swap.file.path} failed (${describeErrno(-ret)})`,
    );
  }

  private slotOf(ret: unknown, nr: number, writeErrorsBefore: number): SwapSlot {
    if (typeof ret !== "number") return new SwapSlot(this, (ret as SwpEntry).offset, nr);
    const path = this.swap.file.path;
    if (this.swap.writeErrors > writeErrorsBefore) {
      throw new ZswapError(
        errnoName(-ret),
        `Cannot swap out: writing swap file ${path} failed (${describeErrno(-ret)}); the page was not swapped out`,
      );
    }
    if (ret === -ENOSPC) {
      throw new ZswapError(
        "ENOSPC",
        `Cannot swap out: no ${nr === 1 ? "free slot" : `${nr} free contiguous slots`} in swap file ${path} (${this.dev.nrSlots} slots, ${this.dev.nrFree} free); swap pages in, free slots, or use a bigger swapSizeBytes`,
      );
    }
    throw new ZswapError(
      errnoName(-ret),
      `Cannot swap out: swap_writeout returned ${describeErrno(-ret)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Errors and formatting
// ---------------------------------------------------------------------------------------------

function paramText(name: string, value: ParamValue): string {
  if (!(PARAM_NAMES as readonly string[]).includes(name)) {
    throw new ZswapError(
      "EINVAL",
      `Unknown zswap parameter '${name}'; available: ${PARAM_NAMES.join(", ")}`,
    );
  }
  switch (name) {
    case "max_pool_percent":
    case "accept_threshold_percent":
      return String(percent(name, value));
    case "enabled":
    case "shrinker_enabled":
      if (typeof value === "boolean") return value ? "Y" : "N";
      if (typeof value === "string") return value;
      throw new ZswapError(
        "EINVAL",
        `Cannot set ${name}: expected true or false (or Y/N), got ${describe(value)}`,
      );
    default:
      if (typeof value !== "string" || value === "") {
        throw new ZswapError(
          "EINVAL",
          `Cannot set ${name}: expected a compressor name, got ${describe(value)}`,
        );
      }
      return value;
  }
}

function closedError(): ZswapError {
  return new ZswapError("ESHUTDOWN", "Cannot use zswap: the instance is closed");
}

function wouldBlockMessage(call: string, e: WouldBlockError): string {
  return `${call}: ${e.message.replace(/^runSync: /, "")}; it goes on asynchronously: await the error's pending promise, or use the async call`;
}

/** A ZswapError for anything a library call throws (KernelBug reports become EBUG). */
function asZswapError(e: unknown, what: string): unknown {
  if (e instanceof ZswapError) return e;
  if (e instanceof KernelBug)
    return new ZswapError("EBUG", `Cannot ${what}: kernel bug: ${e.title}`, { cause: e });
  return e;
}

function describe(v: unknown): string {
  if (typeof v === "string") return `'${v}'`;
  if (v === null || v === undefined || typeof v !== "object") return String(v);
  if (Array.isArray(v)) return "an array";
  return `a ${(v as object).constructor?.name ?? "object"}`;
}
