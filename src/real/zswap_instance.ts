/**
 * ZswapInstance: the library's facade over one booted zswap (createZswap() in create_zswap.ts
 * makes it). Every call runs its kernel operation through runOp (run_op.ts), synchronously when
 * it can; errors are mapped in errors.ts. The calls' work lives by concern: the swap path in
 * instance_swap.ts, parameters / hotplug / shrinker in instance_control.ts, read-outs in
 * instance_stats.ts, and the state they share in instance_core.ts.
 */
import type { Kernel } from "../kernel/kernel.ts";
import type { Memcg } from "../mm/memcg.ts";
import type { SwapDevice } from "../mm/swap.ts";
import type { ZswapState } from "../zswap/state.ts";
import type { CompressorClock, CompressorTime } from "./compressor_clock.ts";
import type { CpuWorkerStats } from "./engines/cpu_workers.ts";
import { asZswapError } from "./errors.ts";
import type { RealExecutor } from "./executor.ts";
import {
  instanceCpuOffline,
  instanceCpuOnline,
  instanceSetParam,
  instanceShrink,
  instanceShrinkerCount,
} from "./instance_control.ts";
import { InstanceCore } from "./instance_core.ts";
import {
  instanceMemcgRead,
  instanceMemcgWrite,
  instanceStats,
  instanceZsmallocClasses,
} from "./instance_stats.ts";
import { InstanceSwap } from "./instance_swap.ts";
import type { ParallelSwap } from "./parallel_swap.ts";
import type { SwapFile } from "./swap_file.ts";
import type { SwapSlot } from "./swap_slot.ts";
import type { ParamValue, ZswapStats } from "./types.ts";

// What the CLI and older importers take from here (createZswap itself: create_zswap.ts).
export { ZswapError, ZswapWouldBlockError } from "./errors.ts";
export { realCompressorRegistry } from "./options.ts";
export { SwapSlot } from "./swap_slot.ts";
export * from "./types.ts";

// ---------------------------------------------------------------------------------------------
// The instance
// ---------------------------------------------------------------------------------------------

export class ZswapInstance {
  /** What the parts below share: kernel, executor, swap file, online CPUs, memcg. */
  private readonly c: InstanceCore;
  private readonly io: InstanceSwap;

  /** @internal Use createZswap(). */
  constructor(
    /** The kernel underneath (for tests and tools; not needed to use the library). */
    readonly kernel: Kernel,
    ex: RealExecutor,
    z: ZswapState,
    swap: SwapFile,
    dev: SwapDevice,
    /** Stops what the instance started besides the swap file (deflate-iaa's engines). */
    private readonly closeEngines: (() => Promise<void>) | null = null,
    private readonly clock: CompressorClock | null = null,
    /** Multi-core mode's queue (parallel: true), or null. */
    par: ParallelSwap | null = null,
  ) {
    this.c = new InstanceCore(kernel, ex, z, swap, dev, par);
    this.io = new InstanceSwap(this.c, this);
  }

  /** The memcg every page belongs to (any memcg option), or null: the root cgroup. */
  get memcg(): Memcg | null {
    return this.c.memcg;
  }

  set memcg(memcg: Memcg | null) {
    this.c.memcg = memcg;
  }

  /**
   * Seconds spent inside the compressor binding so far (compress, decompress), or null unless
   * created with `timeCompressor: true`.
   */
  compressorTime(): CompressorTime | null {
    const t = this.clock?.time ?? null;
    const w = this.c.par?.workers.counters();
    if (t === null || w === undefined) return t;
    // In multi-core mode the compressor ran on the workers (or helping), not in the binding calls.
    return {
      compressSeconds: t.compressSeconds + w.compressSeconds,
      decompressSeconds: t.decompressSeconds + w.decompressSeconds,
    };
  }

  /** What the CPU workers did (jobs, helped, seconds), or null unless created with `parallel`. */
  parallelStats(): CpuWorkerStats | null {
    return this.c.par?.workers.counters() ?? null;
  }

  /** The swap file's path. */
  get swapFilePath(): string {
    return this.c.swap.file.path;
  }

  /**
   * zswap_pool_reached_full: the pool hit its limit and has not yet shrunk to the accept
   * threshold, so every store is rejected (to the swap file) meanwhile. Writeback runs in the
   * background: a caller that swaps out in a tight loop gives it turns of the event loop.
   */
  get poolReachedFull(): boolean {
    return this.c.z.poolReachedFull;
  }

  /** Operations in flight now: un-awaited calls and background work (writeback, pool release). */
  get inFlight(): number {
    return this.c.ex.inFlight + (this.c.par?.queued ?? 0);
  }

  /** Number of CPUs (possible CPUs: online or not). */
  get cpus(): number {
    return this.c.cpus;
  }

  // --- swap-out, swap-in (instance_swap.ts) ---------------------------------------------------

  /**
   * Swaps a page (4096 bytes) or a large folio (2^n pages, up to 512) out: into zswap, or, when
   * zswap rejects it, to the swap file. `page` is read until the promise settles; do not change
   * it before. Rejects with ZswapError: EINVAL (bad page), ENOSPC (no free slot, or the swap
   * file's disk is full: the page was not swapped out and is still yours), EAGAIN (zswap refused
   * it and the memcg's memory.zswap.writeback is 0: it stays in memory, as in the kernel).
   */
  swapOut(page: Uint8Array): Promise<SwapSlot> {
    return this.io.swapOut(page);
  }

  /**
   * swapOut without a promise: a page zswap rejects is written to the swap file with a
   * synchronous pwrite. Throws ZswapWouldBlockError only when an asynchronous operation in
   * flight holds what this one needs (see docs/library.md).
   */
  swapOutSync(page: Uint8Array): SwapSlot {
    return this.io.swapOutSync(page);
  }

  /**
   * Swaps the page(s) of `slot` back in, from zswap, the zero map or the swap file, and releases
   * the slot. Returns the bytes in `dst` when given (slot.nrPages * 4096 bytes), else in a new
   * array. Rejects with ZswapError EINVAL (a stale or foreign slot) or EIO (a read failed).
   */
  swapIn(slot: SwapSlot, dst?: Uint8Array): Promise<Uint8Array> {
    return this.io.swapIn(slot, dst);
  }

  /** swapIn without a promise (a page on the swap file is read with a synchronous pread). */
  swapInSync(slot: SwapSlot, dst?: Uint8Array): Uint8Array {
    return this.io.swapInSync(slot, dst);
  }

  /**
   * Drops the slot without reading it (swap_free(): the process unmapped the page); its zswap
   * entry is invalidated, or its swap file slot released. Throws ZswapError EINVAL for a stale
   * or foreign slot.
   */
  free(slot: SwapSlot): void {
    this.io.free(slot);
  }

  // --- parameters, CPUs, shrinker (instance_control.ts) ---------------------------------------

  /**
   * Sets a zswap parameter by its sysfs name (enabled, compressor, max_pool_percent,
   * accept_threshold_percent, shrinker_enabled). A compressor switch makes a new current pool;
   * pages stored in the old one stay readable, and the old pool goes when its last entry does.
   * Rejects with ZswapError EINVAL for a bad name or value.
   */
  setParam(name: string, value: ParamValue): Promise<void> {
    return instanceSetParam(this.c, name, value);
  }

  /** Takes `cpu` offline (cpu_down). Rejects with EBUSY for the last online CPU, EINVAL for a bad id. */
  cpuOffline(cpu: number): Promise<void> {
    return instanceCpuOffline(this.c, cpu);
  }

  /** Brings `cpu` online (cpu_up: zswap's prepare callback runs for every pool first). */
  cpuOnline(cpu: number): Promise<void> {
    return instanceCpuOnline(this.c, cpu);
  }

  /**
   * zswap_shrinker_scan(): writes back up to `nrToScan` entries (coldest first, after a second
   * chance for referenced ones) to the swap file; resolves with the number written back. Does
   * nothing (0) unless shrinker_enabled.
   */
  shrink(nrToScan: number): Promise<number> {
    return instanceShrink(this.c, nrToScan);
  }

  /** zswap_shrinker_count(): what the shrinker would call freeable now (0 unless shrinker_enabled). */
  shrinkerCount(): number {
    return instanceShrinkerCount(this.c);
  }

  // --- statistics (instance_stats.ts), lifetime -----------------------------------------------

  /**
   * The zsmalloc class table of every pool on the list, as the kernel prints it in
   * /sys/kernel/debug/zsmalloc/<pool>/classes.
   */
  zsmallocClasses(): string {
    return instanceZsmallocClasses(this.c);
  }

  /** The kernel's counters by their names, and figures derived from them. */
  stats(): ZswapStats {
    return instanceStats(this.c);
  }

  /**
   * Reads one of the memory cgroup's files (memory.max, memory.zswap.max, memory.zswap.current,
   * memory.zswap.writeback, memory.stat's zswap lines) as `cat` prints it. ENOENT without a
   * memcg option: the root cgroup has no memory.zswap.* files.
   */
  memcgRead(file: string): string {
    return instanceMemcgRead(this.c, file);
  }

  /** Writes a memory cgroup file as `echo value >` does (memcg_files.ts: syntax and errors). */
  memcgWrite(file: string, value: string): void {
    instanceMemcgWrite(this.c, file, value);
  }

  /**
   * Waits until no operation is in flight, background writeback included. Rejects with a
   * ZswapError EBUG if background work hit a kernel bug report.
   */
  async flush(): Promise<void> {
    await this.c.par?.idle();
    await this.c.ex.idle();
    const e = this.c.ex.backgroundErrors[0];
    if (e !== undefined) throw asZswapError(e, "run background work");
  }

  /**
   * Waits for work in flight, then closes the swap file (a temporary one is removed). Later
   * calls throw ZswapError ESHUTDOWN. Rejects like flush() if background work failed.
   */
  async close(): Promise<void> {
    const c = this.c;
    if (c.closed) return;
    await c.par?.idle(); // calls queued before close() run first (multi-core mode)
    if (c.closed) return;
    c.closed = true;
    try {
      await this.flush();
    } finally {
      c.swap.close();
      await this.closeEngines?.();
    }
  }
}
