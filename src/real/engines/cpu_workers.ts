/**
 * CPU workers: multi-core real mode's compressors on other cores (docs/multicore.md).
 *
 * An EnginePool (pool.ts) whose engines run the native compressors (codec_engine.ts), one
 * engine per CPU by default. The calling thread submits a page's compression as a *job* ahead
 * of the zswap operation that needs it; when the operation's compress() or decompress() call
 * comes, the backend wrapper (`wrap`) takes the job's result instead of running the compressor
 * itself, provided the job is the same call: same algorithm and kernel wrapper, same output
 * room, same input bytes (compared, so a page changed since, or a compressor switched since,
 * falls back to computing on the calling thread). The compressors are pure functions of those,
 * so the bytes stored are the bytes the calling thread would have made.
 *
 * Which pages become jobs: those whose op costs enough on the calling thread (OffloadPolicy,
 * offload_policy.ts). Waiting for a job: the calling thread first *helps* (runs a job no
 * engine has claimed yet, with its own copy of the handler; ParallelSwap looks ahead for one)
 * rather than sleep while an engine works; otherwise it sleeps on the completion counter, a
 * bounded time, so that it sees an engine that died.
 */
import type { CryptoKernel } from "../../crypto/algorithms/native/index.ts";
import type { CompressorRegistry } from "../../crypto/algorithms/registry.ts";
import type { CompressorBackend } from "../../crypto/algorithms/types.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { codecOp, createHandler, ENOTRECOVERABLE, failureMessage } from "./codec_engine.ts";
import { OffloadPolicy } from "./offload_policy.ts";
import { EnginePool, siblingModule } from "./pool.ts";
import type { EngineHandler } from "./ring.ts";

/** Descriptor slots: jobs queued ahead at most (each slot holds a page in and a page out). */
const SLOTS = 256;
/** One sleep on the completion counter, at most (then the caller checks for a dead engine). */
const WAIT_SLICE_MS = 20;
/**
 * Jobs waiting unclaimed before a working engine wakes a sleeping one (pool.ts chainJobs): a
 * page takes an engine 2-15 us (lz4, zstd), about what waking a thread costs, so one engine
 * takes a short run of pages alone.
 */
const CHAIN_JOBS = 4;
/**
 * Completions the calling thread sleeps for when the operation it runs next waits for its job:
 * each wake-up of the calling thread costs it a system call and a context switch, so it waits
 * for several pages and then runs their operations in one go.
 */
const WAIT_JOBS = 8;
/**
 * A decompression goes to a worker only when it costs at least this many microseconds on the
 * calling thread (OffloadPolicy: a low percentile of its last timings there): a job costs the
 * threads about 6.5 us of CPU in all, and lz4, lzo, zstd and deflate decompress a page here
 * in 1-10 us; measured with every decompression offloaded, no load gained. So their swap-ins
 * decompress on the calling thread, as with one thread.
 */
export const OFFLOAD_DECOMPRESS_US = 20;
/**
 * A compression goes to a worker only when it costs at least this many microseconds on the
 * calling thread (the same measure): below it, the job's cost on the calling thread (the copy
 * into the ring, the comparison, the copy back, the queue) eats what moving the compression
 * saves, and the workers' part adds CPU the other core would need (docs/multicore.md, "Which
 * pages go to the workers"). Measured on 2 cores: lz4 (5-6.6 us a page) stays; lzo's
 * JavaScript LZO1X-1 (9-11), zstd (13-25) and deflate (190-200) go.
 */
export const OFFLOAD_COMPRESS_US = 8;
/** A job running longer than this is a hung engine (a page takes well under a millisecond). */
export const JOB_TIMEOUT_MS = 10_000;

/** A CPU worker failed (its thread died, or its handler threw): the instance cannot go on. */
export class CpuWorkerError extends Error {
  override name = "CpuWorkerError";
}

/** Counters of what the workers did (ZswapInstance.parallelStats). */
export interface CpuWorkerStats {
  /** Worker threads. */
  readonly workers: number;
  /** Jobs submitted (a page to compress or decompress, ahead of its operation). */
  readonly jobs: number;
  /** Jobs whose result an operation used. */
  readonly used: number;
  /** Jobs the calling thread ran itself (no engine had claimed them yet). */
  readonly helped: number;
  /** Seconds the handler spent on used jobs, compress and decompress, whichever thread ran them. */
  readonly compressSeconds: number;
  readonly decompressSeconds: number;
  /** Times a worker went to sleep for want of jobs (each costs a wake-up: a system call). */
  readonly sleeps: number;
  /** Times the calling thread slept waiting for a worker's job. */
  readonly waits: number;
}

export interface CpuWorkersOptions {
  readonly workers: number;
  /** The handler module (default codec_engine); tests pass one that fails. */
  readonly handler?: URL;
  /** Whether the calling thread runs jobs no engine has claimed yet (default true). */
  readonly help?: boolean;
  /** OFFLOAD_DECOMPRESS_US unless given (tests pass 0: every decompression is a job). */
  readonly offloadDecompressUs?: number;
  /** OFFLOAD_COMPRESS_US unless given (0: every compression is a job; Infinity: none). */
  readonly offloadCompressUs?: number;
  /** Tests: decides instead of the thresholds (the results must not depend on it). */
  readonly offloadChoice?: (op: number) => boolean;
}

export class CpuWorkers {
  readonly pool: EnginePool;
  private local: EngineHandler | null = null;
  /** Per slot: the op and room of the job in it (the calling thread's own record). */
  private readonly opOf = new Int32Array(SLOTS);
  private readonly roomOf = new Int32Array(SLOTS);
  private readonly submittedAt = new Float64Array(SLOTS);
  /** The jobs of the operation now running, in order, and where the next search starts. */
  private current: readonly number[] = [];
  private cursor = 0;
  private stats = { jobs: 0, used: 0, helped: 0, compressUs: 0, decompressUs: 0, waits: 0 };
  /** The pool's sleep count when this instance took it (a kept pool carries its count over). */
  private readonly sleeps0: number;

  private constructor(
    pool: EnginePool,
    private readonly helps: boolean,
    /** Which ops are worth a job (their running mean costs). */
    readonly policy: OffloadPolicy,
  ) {
    this.pool = pool;
    this.sleeps0 = pool.sleeps;
  }

  /**
   * Starts the workers and waits until they have loaded (a few hundred ms of CPU, once), or
   * takes the ones a closed instance left idle (`close`).
   */
  static create(o: CpuWorkersOptions): CpuWorkers {
    const handler = o.handler ?? siblingModule(import.meta.url, "codec_engine");
    const offload = new OffloadPolicy(
      {
        compressUs: o.offloadCompressUs ?? OFFLOAD_COMPRESS_US,
        decompressUs: o.offloadDecompressUs ?? OFFLOAD_DECOMPRESS_US,
      },
      o.offloadChoice ?? null,
    );
    const warm = takeIdle(handler, o.workers);
    if (warm !== null) return new CpuWorkers(warm, o.help ?? true, offload);
    let pool: EnginePool;
    try {
      pool = EnginePool.start({
        handler,
        engines: o.workers,
        slots: SLOTS,
        inBytesMax: PAGE_SIZE,
        outBytesMax: PAGE_SIZE,
        chainJobs: CHAIN_JOBS,
      });
    } catch (e) {
      throw new CpuWorkerError(`Cannot start the CPU workers: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return new CpuWorkers(pool, o.help ?? true, offload);
  }

  get workers(): number {
    return this.pool.engines;
  }

  /** Whether `op` is worth a job now (OffloadPolicy: OFFLOAD_COMPRESS_US, OFFLOAD_DECOMPRESS_US). */
  offloads(op: number): boolean {
    return this.policy.offloads(op);
  }

  /** Slots free for jobs. */
  get free(): number {
    return this.pool.free;
  }

  /** Queues a job: `op` (codecOp) of `input` with `room` bytes of output; -1 if the ring is full. */
  submit(op: number, input: Uint8Array, room: number): number {
    if (input.length > PAGE_SIZE || room > PAGE_SIZE) return -1;
    const slot = this.pool.submit(op, input, room, false);
    if (slot < 0) return -1;
    this.opOf[slot] = op;
    this.roomOf[slot] = room;
    this.submittedAt[slot] = performance.now();
    this.stats.jobs++;
    return slot;
  }

  /**
   * Wakes engines for the jobs submitted since the last kick (submit does not), once there
   * are `min` of them: waking a sleeping thread is a system call on each side, so a few jobs
   * are left to the calling thread (which helps) or to the next kick.
   */
  kick(min = 1): void {
    this.pool.kick(min);
  }

  /**
   * Waits until every job in `slots` is done: runs those no engine has claimed on this thread
   * when `help`, then sleeps on completions. Returns false if `budgetMs` passed first (the
   * caller gives the event loop a turn and comes back). Throws CpuWorkerError for a dead or
   * hung engine, or a job that failed.
   */
  waitAll(slots: readonly number[], budgetMs: number, help = true): boolean {
    const deadline = performance.now() + budgetMs;
    for (const slot of slots) {
      while (!this.pool.done(slot)) {
        if (help && this.helps && this.pool.help(slot, this.handler())) {
          this.ranHere(slot);
          break;
        }
        this.checkHealth(slot);
        const seen = this.pool.completions;
        if (this.pool.done(slot)) break;
        const left = deadline - performance.now();
        if (left <= 0) return false;
        this.pool.kick();
        const want = Math.max(1, Math.min(WAIT_JOBS, this.pool.outstanding));
        this.stats.waits++;
        this.pool.waitCompletion(seen, Math.min(left, WAIT_SLICE_MS), want);
      }
      if (this.pool.result(slot) === -ENOTRECOVERABLE) {
        throw new CpuWorkerError(
          `a CPU worker failed: ${failureMessage(this.pool.output(slot, PAGE_SIZE))}`,
        );
      }
    }
    return true;
  }

  /** Whether every job in `slots` is done (no waiting). */
  allDone(slots: readonly number[]): boolean {
    for (const slot of slots) if (!this.pool.done(slot)) return false;
    return true;
  }

  /** Runs one job of `slots` that no engine has claimed yet on this thread; whether it did. */
  helpOne(slots: readonly number[]): boolean {
    if (!this.helps) return false;
    for (const slot of slots) {
      if (this.pool.help(slot, this.handler())) {
        this.ranHere(slot);
        return true;
      }
    }
    return false;
  }

  /** This thread ran the job in `slot`: its timing is one of the calling thread's costs. */
  private ranHere(slot: number): void {
    this.stats.helped++;
    this.policy.observe(this.opOf[slot] as number, this.pool.serviceUs(slot));
  }

  /** The jobs whose results the next compress/decompress calls may take (until `end`). */
  begin(slots: readonly number[]): void {
    this.current = slots;
    this.cursor = 0;
  }

  /** The operation is over: its jobs are released, used or not. */
  end(): void {
    for (const slot of this.current) this.pool.release(slot);
    this.current = [];
  }

  /** Releases jobs that no operation will use (an operation that was never run). */
  discard(slots: readonly number[]): void {
    for (const slot of slots) {
      // A job an engine still runs is released when done: wait for it (bounded by the job).
      if (!this.pool.done(slot)) this.waitAll([slot], JOB_TIMEOUT_MS);
      this.pool.release(slot);
    }
  }

  /**
   * The registry with every backend that a worker can run wrapped: a call that matches a job
   * of the running operation returns the job's result; any other runs here, as before.
   */
  wrap(registry: CompressorRegistry, kernel: CryptoKernel): CompressorRegistry {
    return registry.mapBackends((b) => this.wrapBackend(b, kernel));
  }

  private wrapBackend(b: CompressorBackend, kernel: CryptoKernel): CompressorBackend {
    const cop = codecOp("compress", kernel, b.name);
    const dop = codecOp("decompress", kernel, b.name);
    if (cop < 0) return b;
    return {
      name: b.name,
      compress: (src, dst) => {
        const r = this.take(cop, src, dst);
        if (r !== null) return r;
        const t0 = performance.now();
        const n = b.compress(src, dst);
        this.policy.observe(cop, (performance.now() - t0) * 1e3);
        return n;
      },
      decompress: (src, dst) => {
        const r = this.take(dop, src, dst);
        if (r !== null) return r;
        const t0 = performance.now();
        const n = b.decompress(src, dst);
        this.policy.observe(dop, (performance.now() - t0) * 1e3);
        return n;
      },
    };
  }

  /** The result of the running operation's job for this call, copied to dst; null if none. */
  private take(op: number, src: Uint8Array, dst: Uint8Array): number | null {
    const jobs = this.current;
    for (let i = this.cursor; i < jobs.length; i++) {
      const slot = jobs[i] as number;
      if (this.opOf[slot] !== op || this.roomOf[slot] !== dst.length) continue;
      if (!this.pool.done(slot) && !this.waitAll([slot], JOB_TIMEOUT_MS)) continue;
      if (!bytesEqual(this.pool.input(slot), src)) continue;
      const r = this.pool.result(slot);
      if (r > 0) dst.set(this.pool.output(slot, r));
      this.cursor = i + 1;
      this.stats.used++;
      const us = this.pool.serviceUs(slot);
      if ((op & 1) === 0) this.stats.compressUs += us;
      else this.stats.decompressUs += us;
      return r;
    }
    return null;
  }

  counters(): CpuWorkerStats {
    const s = this.stats;
    return {
      workers: this.workers,
      jobs: s.jobs,
      used: s.used,
      helped: s.helped,
      compressSeconds: s.compressUs / 1e6,
      decompressSeconds: s.decompressUs / 1e6,
      sleeps: this.pool.sleeps - this.sleeps0,
      waits: s.waits,
    };
  }

  /**
   * Ends the workers, or keeps them for the next instance (`keepIdle`): healthy, with nothing
   * in flight, they wait asleep (unref'd, so the process can still exit) for a later create()
   * with the same handler and as many workers, which then starts with their compiled code.
   */
  close(): Promise<void> {
    if (keepIdle(this.pool)) return Promise.resolve();
    return this.pool.close();
  }

  private handler(): EngineHandler {
    this.local ??= createHandler();
    return this.local;
  }

  /** Throws for a dead engine, or a job running past JOB_TIMEOUT_MS (a hung engine). */
  private checkHealth(slot: number): void {
    const f = this.pool.failure;
    if (f !== null) throw new CpuWorkerError(`a CPU worker failed: ${f.message}`, { cause: f });
    if (performance.now() - (this.submittedAt[slot] as number) > JOB_TIMEOUT_MS)
      throw new CpuWorkerError(
        `a CPU worker did not finish a page in ${JOB_TIMEOUT_MS / 1000} s (hung)`,
      );
  }
}

/*
 * Idle workers. Each worker thread is an isolate of its own, which compiles the compressors'
 * JavaScript (pako's deflate, the ring loop) afresh: measured, a new pair of workers spends
 * about 150 ms of CPU compiling (V8's background threads) and runs its first few hundred
 * deflate pages at 1.5-3x their later cost. A process that creates instance after instance
 * (the benchmarks, a test suite, a server opening one per job) would pay that every time,
 * where the calling thread's compiled code carries over from one instance to the next. So a
 * closed instance leaves its workers here, at most one set.
 */
let idle: { readonly handler: string; readonly pool: EnginePool } | null = null;

function keepIdle(pool: EnginePool): boolean {
  const clean = pool.failure === null && pool.free === SLOTS && pool.outstanding === 0;
  if (!clean || idle !== null) return false;
  idle = { handler: pool.handler.href, pool };
  return true;
}

function takeIdle(handler: URL, workers: number): EnginePool | null {
  const i = idle;
  if (i === null || i.handler !== handler.href || i.pool.engines !== workers) return null;
  idle = null;
  if (i.pool.failure === null) return i.pool;
  void i.pool.close();
  return null;
}

/** Ends the idle workers, if any (tests that count threads; the process exits without it). */
export function endIdleCpuWorkers(): Promise<void> {
  const i = idle;
  idle = null;
  return i === null ? Promise.resolve() : i.pool.close();
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
