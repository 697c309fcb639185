/**
 * ZswapInstance: the library's facade over one booted zswap (createZswap() in create_zswap.ts
 * makes it). Every call runs its kernel operation through runOp (run_op.ts), synchronously when
 * it can; errors are mapped in errors.ts.
 */
import { cpuDown, cpuUp } from "../kernel/cpu_updown.ts";
import type { Op } from "../kernel/effect.ts";
import { EBUSY, EIO } from "../kernel/errno.ts";
import { faultInject } from "../kernel/fault_inject.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import type { Memcg } from "../mm/memcg.ts";
import { type SwapDevice, swapFree, swapIn, swapOut, swapState } from "../mm/swap.ts";
import { type SwpEntry, swpEntry } from "../mm/swap_entry.ts";
import { zsStatsText } from "../zsmalloc/stats.ts";
import { ParamError } from "../zswap/params.ts";
import { zswapTotalPages } from "../zswap/pool.ts";
import { zswapShrinkerCount, zswapShrinkerScan } from "../zswap/shrinker.ts";
import type { ZswapState } from "../zswap/state.ts";
import { zswapDebugfsForProfile, zswapParamSet } from "../zswap/zswap.ts";
import type { CompressorClock, CompressorTime } from "./compressor_clock.ts";
import type { CpuWorkerStats } from "./engines/cpu_workers.ts";
import {
  asZswapError,
  closedError,
  errnoName,
  swapInError,
  swapOutError,
  wouldBlockError,
  ZswapError,
} from "./errors.ts";
import type { RealExecutor } from "./executor.ts";
import { faultCounts } from "./faults.ts";
import { memcgStats, readMemcgFile, writeMemcgFile } from "./memcg_files.ts";
import { paramText } from "./options.ts";
import type { ParallelSwap } from "./parallel_swap.ts";
import { Pending, runOp } from "./run_op.ts";
import type { SwapFile } from "./swap_file.ts";
import { SwapSlot } from "./swap_slot.ts";
import { describe, FOLIO_PAGES_MAX, PAGE_SIZE, type ParamValue, type ZswapStats } from "./types.ts";

// What the CLI and older importers take from here (createZswap itself: create_zswap.ts).
export { ZswapError, ZswapWouldBlockError } from "./errors.ts";
export { realCompressorRegistry } from "./options.ts";
export { SwapSlot } from "./swap_slot.ts";
export * from "./types.ts";

// ---------------------------------------------------------------------------------------------
// The instance
// ---------------------------------------------------------------------------------------------

export class ZswapInstance {
  /** Online CPUs, in id order; operations take them round-robin. */
  private online: number[];
  private nextCpuIndex = 0;
  private closed = false;
  /** Large folios whose swap-in failed part way: the pages already in, and their bytes. */
  private readonly partialSwapIns = new WeakMap<
    SwapSlot,
    { readonly pagesIn: number; readonly bytes: Uint8Array }
  >();
  /** The memcg every page belongs to (any memcg option), or null: the root cgroup. */
  memcg: Memcg | null = null;
  /** Whether partialSwapIns was ever written: until then, swap-in skips its lookups. */
  private anyPartialSwapIn = false;

  /** @internal Use createZswap(). */
  constructor(
    /** The kernel underneath (for tests and tools; not needed to use the library). */
    readonly kernel: Kernel,
    private readonly ex: RealExecutor,
    private readonly z: ZswapState,
    private readonly swap: SwapFile,
    private readonly dev: SwapDevice,
    /** Stops what the instance started besides the swap file (deflate-iaa's engines). */
    private readonly closeEngines: (() => Promise<void>) | null = null,
    private readonly clock: CompressorClock | null = null,
    /** Multi-core mode's queue (parallel: true), or null. */
    private readonly par: ParallelSwap | null = null,
  ) {
    this.online = kernel.cpus.onlineList();
  }

  /**
   * Seconds spent inside the compressor binding so far (compress, decompress), or null unless
   * created with `timeCompressor: true`.
   */
  compressorTime(): CompressorTime | null {
    const t = this.clock?.time ?? null;
    const w = this.par?.workers.counters();
    if (t === null || w === undefined) return t;
    // In multi-core mode the compressor ran on the workers (or helping), not in the binding calls.
    return {
      compressSeconds: t.compressSeconds + w.compressSeconds,
      decompressSeconds: t.decompressSeconds + w.decompressSeconds,
    };
  }

  /** What the CPU workers did (jobs, helped, seconds), or null unless created with `parallel`. */
  parallelStats(): CpuWorkerStats | null {
    return this.par?.workers.counters() ?? null;
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
    return this.ex.inFlight + (this.par?.queued ?? 0);
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
   * file's disk is full: the page was not swapped out and is still yours), EAGAIN (zswap refused
   * it and the memcg's memory.zswap.writeback is 0: it stays in memory, as in the kernel).
   */
  async swapOut(page: Uint8Array): Promise<SwapSlot> {
    if (this.par?.queues) {
      this.checkPage(page);
      return this.par.swapOut(page, () => this.swapOutSync(page));
    }
    const nr = this.checkPage(page);
    const writeErrors = this.writeFailures();
    const r = this.swapOutOp(page, false);
    return this.slotOf(r instanceof Pending ? await r.promise : r, nr, writeErrors);
  }

  /**
   * swapOut without a promise: a page zswap rejects is written to the swap file with a
   * synchronous pwrite. Throws ZswapWouldBlockError only when an asynchronous operation in
   * flight holds what this one needs (see docs/library.md).
   */
  swapOutSync(page: Uint8Array): SwapSlot {
    const nr = this.checkPage(page);
    const writeErrors = this.writeFailures();
    const r = this.swapOutOp(page, true);
    if (!(r instanceof Pending)) return this.slotOf(r, nr, writeErrors);
    const slot = r.promise.then((ret) => this.slotOf(ret, nr, writeErrors));
    throw wouldBlockError("swapOutSync", r.blocked, slot);
  }

  private swapOutOp(
    page: Uint8Array,
    syncIo: boolean,
  ): SwpEntry | number | Pending<SwpEntry | number> {
    const op = swapOut(this.kernel, this.dev.type, page, this.memcg, false);
    return runOp(this.ex, "swapout", this.nextCpu(), op, syncIo, "swap out");
  }

  // --- swap-in --------------------------------------------------------------------------------

  /**
   * Swaps the page(s) of `slot` back in, from zswap, the zero map or the swap file, and releases
   * the slot. Returns the bytes in `dst` when given (slot.nrPages * 4096 bytes), else in a new
   * array. Rejects with ZswapError EINVAL (a stale or foreign slot) or EIO (a read failed).
   */
  async swapIn(slot: SwapSlot, dst?: Uint8Array): Promise<Uint8Array> {
    const s = SwapSlot.check(slot, this, "swap in");
    if (this.par?.queues)
      return this.par.swapIn(this.dev.type, s.offset, s.nrPages, () => this.swapInSync(s, dst));
    const out = this.checkDst(s, dst);
    for (let i = this.resumeSwapIn(s, out); i < s.nrPages; i++) {
      const decompressFailBefore = this.z.stats.decompress_fail;
      try {
        const r = this.swapInOp(s, i, out, false);
        const ret = r instanceof Pending ? await r.promise : r;
        this.checkSwapInResult(s, i, ret, decompressFailBefore);
      } catch (e) {
        throw this.swapInFailed(s, i, out, e);
      }
    }
    return this.swapInDone(s, out);
  }

  /** swapIn without a promise (a page on the swap file is read with a synchronous pread). */
  swapInSync(slot: SwapSlot, dst?: Uint8Array): Uint8Array {
    const s = SwapSlot.check(slot, this, "swap in");
    const out = this.checkDst(s, dst);
    for (let i = this.resumeSwapIn(s, out); i < s.nrPages; i++) {
      const decompressFailBefore = this.z.stats.decompress_fail;
      let r: Uint8Array | number | Pending<Uint8Array | number>;
      try {
        r = this.swapInOp(s, i, out, true);
        if (!(r instanceof Pending)) this.checkSwapInResult(s, i, r, decompressFailBefore);
      } catch (e) {
        throw this.swapInFailed(s, i, out, e);
      }
      if (r instanceof Pending) {
        const rest = this.swapInRest(s, i, out, r.promise, decompressFailBefore);
        throw wouldBlockError("swapInSync", r.blocked, rest);
      }
    }
    return this.swapInDone(s, out);
  }

  /** swapInSync's page `i` went asynchronous: wait for it, then swap in the rest. */
  private async swapInRest(
    s: SwapSlot,
    i: number,
    out: Uint8Array,
    pending: Promise<unknown>,
    decompressFailBefore: number,
  ): Promise<Uint8Array> {
    let j = i;
    try {
      this.checkSwapInResult(s, i, await pending, decompressFailBefore);
      for (j = i + 1; j < s.nrPages; j++) {
        const before = this.z.stats.decompress_fail;
        const r = this.swapInOp(s, j, out, false);
        this.checkSwapInResult(s, j, r instanceof Pending ? await r.promise : r, before);
      }
    } catch (e) {
      throw this.swapInFailed(s, j, out, e);
    }
    return this.swapInDone(s, out);
  }

  /**
   * A large folio's swap-in failed at page `i`: pages 0..i-1 are in (their slots released, as
   * pages faulted in stay mapped when a later one gets SIGBUS), so keep their bytes for the
   * next try, which resumes at page `i`; `free` then drops only the pages still out.
   */
  private swapInFailed(s: SwapSlot, i: number, out: Uint8Array, e: unknown): unknown {
    if (i > 0) {
      this.anyPartialSwapIn = true;
      this.partialSwapIns.set(s, { pagesIn: i, bytes: out.slice(0, i * PAGE_SIZE) });
    }
    return asZswapError(e, "swap in");
  }

  /** The first page still out; the bytes of those a failed swap-in already read go to `out`. */
  private resumeSwapIn(s: SwapSlot, out: Uint8Array): number {
    if (!this.anyPartialSwapIn) return 0;
    const partial = this.partialSwapIns.get(s);
    if (partial === undefined) return 0;
    out.set(partial.bytes);
    return partial.pagesIn;
  }

  private swapInDone(s: SwapSlot, out: Uint8Array): Uint8Array {
    if (this.anyPartialSwapIn) this.partialSwapIns.delete(s);
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
    // Pages a failed swap-in already read are no longer out: their slots may be someone else's.
    const first = this.partialSwapIns.get(s)?.pagesIn ?? 0;
    this.partialSwapIns.delete(s);
    for (let i = first; i < s.nrPages; i++) {
      const op = swapFree(this.kernel, swpEntry(this.dev.type, s.offset + i));
      // swap_free() takes no lock that an in-flight operation could hold, so it never blocks.
      if (runOp(this.ex, "swap_free", this.nextCpu(), op, true, "free") instanceof Pending)
        throw new Error("free: swap_free blocked, which it never does");
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
    if (this.par?.queues) return this.par.call(`set ${name}`, () => this.setParam(name, value));
    const text = paramText(name, value);
    let ret: number;
    try {
      ret = await this.exec(`set ${name}`, zswapParamSet(this.kernel, name, text));
    } catch (e) {
      if (e instanceof ParamError) throw new ZswapError("EINVAL", e.message, { cause: e });
      throw e;
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
    if (this.par?.queues) return this.par.call("take a CPU offline", () => this.cpuOffline(cpu));
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
    if (this.par?.queues) return this.par.call("bring a CPU online", () => this.cpuOnline(cpu));
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
    if (this.par?.queues) return this.par.call("shrink", () => this.shrink(nrToScan));
    if (!Number.isSafeInteger(nrToScan) || nrToScan < 0) {
      throw new ZswapError(
        "EINVAL",
        `Cannot shrink: expected nrToScan to be an integer >= 0, got ${describe(nrToScan)}`,
      );
    }
    return await this.exec(
      "zswap_shrinker_scan",
      zswapShrinkerScan(this.kernel, this.memcg ?? this.z.rootMemcg, nrToScan),
    );
  }

  /** zswap_shrinker_count(): what the shrinker would call freeable now (0 unless shrinker_enabled). */
  shrinkerCount(): number {
    this.checkOpen();
    return zswapShrinkerCount(this.kernel, this.memcg ?? this.z.rootMemcg);
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
    const compressedBytes = this.z.compressedBytes;
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
        shortReads: this.swap.file.check.shortReads,
        vanishedReads: this.swap.file.check.vanishedReads,
        checksums: this.swap.file.check.checksums,
        checksumErrors: this.swap.file.check.checksumErrors,
        lastWriteError: this.swap.lastWriteErrno === 0 ? null : errnoName(this.swap.lastWriteErrno),
      },
      cpusOnline: [...this.online],
      params: { ...this.z.params },
      faults: faultCounts(k),
      memcg: this.memcg === null ? null : memcgStats(this.memcg),
    };
  }

  /**
   * Reads one of the memory cgroup's files (memory.max, memory.zswap.max, memory.zswap.current,
   * memory.zswap.writeback, memory.stat's zswap lines) as `cat` prints it. ENOENT without a
   * memcg option: the root cgroup has no memory.zswap.* files.
   */
  memcgRead(file: string): string {
    return readMemcgFile(this.ownMemcg(file), file);
  }

  /** Writes a memory cgroup file as `echo value >` does (memcg_files.ts: syntax and errors). */
  memcgWrite(file: string, value: string): void {
    this.checkOpen();
    writeMemcgFile(this.ownMemcg(file), file, value);
  }

  private ownMemcg(file: string): Memcg {
    if (this.memcg !== null) return this.memcg;
    throw new ZswapError(
      "ENOENT",
      `No ${file}: pages belong to the root cgroup, which has no memory.zswap files; pass memcgMaxBytes, memcgZswapMaxBytes or memcgZswapWriteback`,
    );
  }

  /**
   * Waits until no operation is in flight, background writeback included. Rejects with a
   * ZswapError EBUG if background work hit a kernel bug report.
   */
  async flush(): Promise<void> {
    await this.par?.idle();
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
    await this.par?.idle(); // calls queued before close() run first (multi-core mode)
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      this.swap.close();
      await this.closeEngines?.();
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

  /** Runs `op` without a promise when it can, else awaits it (errors: ZswapError). */
  private async exec<T>(name: string, op: Op<T>, cpu = this.nextCpu()): Promise<T> {
    const r = runOp(this.ex, name, cpu, op, false, name);
    return r instanceof Pending ? await r.promise : r;
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

  /** Swaps in page `i` of `s` into its place in `out` (errors thrown: ZswapError). */
  private swapInOp(
    s: SwapSlot,
    i: number,
    out: Uint8Array,
    syncIo: boolean,
  ): Uint8Array | number | Pending<Uint8Array | number> {
    const dst = s.nrPages === 1 ? out : out.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    const op = swapIn(this.kernel, swpEntry(this.dev.type, s.offset + i), this.memcg, dst);
    return runOp(this.ex, "swapin", this.nextCpu(), op, syncIo, "swap in");
  }

  private checkSwapInResult(
    s: SwapSlot,
    i: number,
    ret: unknown,
    decompressFailBefore: number,
  ): void {
    if (typeof ret !== "number") return;
    const slot = s.offset + i;
    const failed = this.z.stats.decompress_fail;
    throw swapInError(ret, {
      slot,
      path: this.swap.file.path,
      // The swap file's own check says why it refused this slot, if it did (slot_check.ts).
      readProblem: ret === -EIO ? this.swap.lastReadProblem(slot) : null,
      decompressFail: failed > decompressFailBefore ? failed : null,
    });
  }

  /** Failed swap file writes: real ones and those injected (swap_write). */
  private writeFailures(): number {
    return this.swap.writeErrors + (faultInject(this.kernel)?.injected.get("swap_write") ?? 0);
  }

  private slotOf(ret: unknown, nr: number, writeErrorsBefore: number): SwapSlot {
    if (typeof ret !== "number") return new SwapSlot(this, (ret as SwpEntry).offset, nr);
    throw swapOutError(ret, {
      path: this.swap.file.path,
      nrPages: nr,
      nrSlots: this.dev.nrSlots,
      nrFree: this.dev.nrFree,
      writeFailed: this.writeFailures() > writeErrorsBefore,
      injected: this.swap.writeErrors === 0,
    });
  }
}
