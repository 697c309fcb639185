/**
 * Multi-core real mode (`parallel: true`, `run --parallel`; docs/multicore.md): the library's
 * asynchronous calls go through a queue, their pages' compressions (or decompressions) go to
 * the CPU workers as soon as they are called, and the operations themselves run one at a time,
 * in call order, once their jobs are done.
 *
 * Why this order, and not "each operation waits for its compression while holding its
 * acomp_ctx mutex, the others run meanwhile": a worker round trip (a wake-up on each side)
 * costs more than compressing a page with lz4, and the kernel keeps one compression in flight
 * per CPU, so with two CPUs the workers would spend most of their time asleep (docs/multicore.md,
 * "Design"). Queued ahead, the workers have many pages to work on. And since operations still
 * run whole and in call order, every result is the one-thread result: the same slots, the same
 * zsmalloc handles, the same counters, byte for byte (the tests compare them).
 *
 * Calls made while an operation runs (a nested library call) run at once; the synchronous calls
 * (swapOutSync, swapInSync, free, stats) never wait for the queue.
 */

import type { CryptoKernel } from "../crypto/algorithms/native/index.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { isZeroFilled } from "../mm/swap.ts";
import { zsObjReadBegin } from "../zsmalloc/obj_rw.ts";
import { entryStoredRaw } from "../zswap/entry.ts";
import { zswapState } from "../zswap/state.ts";
import { codecOp } from "./engines/codec_engine.ts";
import { CpuWorkerError, type CpuWorkers } from "./engines/cpu_workers.ts";
import { ZswapError, ZswapWouldBlockError } from "./errors.ts";
import { PAGE_SIZE } from "./types.ts";

/** How long one turn of the queue may sleep waiting for a worker before the event loop runs. */
const WAIT_BUDGET_MS = 50;
/** Jobs worth waking a sleeping worker for (fewer wait for more, or for the calling thread). */
const KICK_JOBS = 8;
/**
 * Operations run in one turn at most. Their callers queue their next calls only once this
 * turn is over (their awaits resume then): running every done operation at once would leave
 * the workers without pages meanwhile, so that the calling thread and the workers took
 * turns instead of working at the same time.
 */
const RUN_PER_TURN = 16;

/** Jobs ahead of the oldest call that this thread looks through for one to run itself. */
const HELP_SCAN = 64;

/** A page's job source: the bytes and op to submit, or null (nothing to prefetch). */
type Source = (i: number) => { readonly op: number; readonly bytes: Uint8Array } | null;

interface Item {
  /** Runs the operation (synchronously, or a promise if it had to wait). */
  readonly run: () => unknown;
  /** "swap out", ...: for the message of a worker failure. */
  readonly what: string;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  /** Jobs submitted for it, in page order. */
  readonly jobs: number[];
  readonly source: Source | null;
  /** Pages of `source`, and the next one to submit. */
  readonly nrSources: number;
  nextSource: number;
}

export class ParallelSwap {
  private readonly queue: Item[] = [];
  private head = 0;
  /** Index in the queue of the first item with pages not yet submitted. */
  private submitFrom = 0;
  private scheduled = false;
  /** An operation awaits (it met a lock held by background work): the queue waits for it. */
  private busy = false;
  /** True while an operation runs: library calls it makes run at once. */
  private inItem = false;
  private failed: CpuWorkerError | null = null;
  private idleWaiters: Array<() => void> = [];
  private readonly bounce = new Uint8Array(PAGE_SIZE);

  constructor(
    readonly workers: CpuWorkers,
    private readonly k: Kernel,
    private readonly kernel: CryptoKernel,
  ) {}

  /** Whether a call now goes through the queue (false inside a running operation). */
  get queues(): boolean {
    return !this.inItem;
  }

  /** Operations queued and not yet settled. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /**
   * A swap-out of `page` (a page or a large folio): its pages' compressions start now. Not for
   * a zero-filled one: swap_writeout() puts it in the zero map without calling zswap (measured:
   * 12% of the default corpus, whose jobs were all thrown away).
   */
  swapOut<T>(page: Uint8Array, run: () => T): Promise<T> {
    const z = zswapState(this.k);
    const name = z.params.enabled ? z.pools[0]?.data.tfmName : undefined;
    const op = name === undefined ? -1 : codecOp("compress", this.kernel, name);
    const source: Source | null =
      op < 0 || !this.workers.offloads(op) || isZeroFilled(page)
        ? null
        : (i) => ({ op, bytes: page.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE) });
    return this.enqueue("swap out", run, source, page.length / PAGE_SIZE);
  }

  /**
   * A swap-in of `nrPages` slots from `offset` of swap device `type`: each page still in zswap
   * is decompressed now, from what its entry holds at the moment the job is submitted, if a
   * decompression with its algorithm costs more than a job (CpuWorkers.offloads); otherwise
   * the operation decompresses on this thread, as with one thread.
   */
  swapIn<T>(type: number, offset: number, nrPages: number, run: () => T): Promise<T> {
    // No decompression offloaded (the usual case: they cost less than a job): no page to look at.
    const source: Source | null = this.workers.policy.mayOffload(1)
      ? (i) => this.peekCompressed(type, offset + i)
      : null;
    return this.enqueue("swap in", run, source, nrPages);
  }

  /** Any other call: queued in call order, no jobs. */
  call<T>(what: string, run: () => T | Promise<T>): Promise<T> {
    return this.enqueue(what, run, null, 0);
  }

  /** Resolves when the queue is empty. */
  idle(): Promise<void> {
    if (this.queued === 0 && !this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue<T>(
    what: string,
    run: () => unknown,
    source: Source | null,
    n: number,
  ): Promise<T> {
    if (this.failed !== null) return Promise.reject(this.failure(what, this.failed));
    if (source === null && this.queued === 0 && !this.busy && this.k.tasks.length === 0)
      return this.runNow(run);
    return new Promise<T>((resolve, reject) => {
      const item: Item = {
        run,
        what,
        resolve: resolve as (v: unknown) => void,
        reject,
        jobs: [],
        source,
        nrSources: source === null ? 0 : n,
        nextSource: 0,
      };
      this.queue.push(item);
      this.topUp();
      this.schedule();
    });
  }

  /**
   * Runs a call now, without the queue: nothing is ahead of it, it has no job to wait for
   * (its compressor is not offloaded, or it is a call without pages), and no background work
   * is in flight (which the queue would give a turn of the event loop first). Such a call
   * gains nothing from the queue and would pay for it (an item, closures, turns of the event
   * loop, and the garbage): this is what keeps `parallel` near one thread's speed for a
   * compressor not worth offloading.
   */
  private runNow<T>(run: () => unknown): Promise<T> {
    let v: unknown;
    this.inItem = true;
    try {
      v = run();
    } catch (e) {
      if (!(e instanceof ZswapWouldBlockError)) return Promise.reject(e);
      v = e.pending;
    } finally {
      this.inItem = false;
    }
    if (!(v instanceof Promise)) return Promise.resolve(v as T);
    this.holdWhile(v);
    return v as Promise<T>;
  }

  /** An operation went on asynchronously (`pending`): the queue waits until it settles. */
  private holdWhile(pending: Promise<unknown> | null): void {
    if (pending === null) return;
    this.busy = true;
    const resume = () => {
      this.busy = false;
      this.schedule();
    };
    pending.then(resume, resume);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Submits queued pages, oldest first, while the ring has room. */
  private topUp(): void {
    const q = this.queue;
    while (this.submitFrom < q.length && this.workers.free > 0) {
      const item = q[this.submitFrom] as Item;
      if (item.nextSource >= item.nrSources) {
        this.submitFrom++;
        continue;
      }
      const s = (item.source as Source)(item.nextSource++);
      if (s === null) continue;
      const slot = this.workers.submit(s.op, s.bytes, PAGE_SIZE);
      if (slot >= 0) item.jobs.push(slot);
    }
  }

  /** Runs the operations whose jobs are done, in order; see the file comment. */
  private drain(): void {
    this.scheduled = false;
    if (this.busy) return;
    let ran = 0;
    for (;;) {
      const item = this.queue[this.head];
      if (item === undefined) {
        this.settleIdle();
        return;
      }
      this.topUp();
      this.workers.kick(KICK_JOBS);
      const next = this.ready(item, ran);
      if (next === "again") continue;
      if (next === "later" || ran >= RUN_PER_TURN) {
        // Give the callers a turn to queue more (the workers stay busy), then come back.
        this.schedule();
        return;
      }
      if (next === "timeout") {
        // Let the event loop run (a worker's exit is reported there) before waiting again.
        setTimeout(() => this.drain(), 0);
        return;
      }
      if (next === "failed") return;
      this.shift();
      const pending = this.runItem(item);
      if (pending !== null) {
        this.holdWhile(pending);
        return;
      }
      ran++;
      if (this.k.tasks.length > 0) {
        // Background work (a kworker) is in flight: it runs now, as it would after an awaited
        // call on one thread (its start is a queued microtask; sharing the CPU, it continues
        // on the next turn of the event loop), and the next operation after that.
        queueMicrotask(() => this.schedule());
        return;
      }
    }
  }

  /**
   * Whether `item` can run now ("run"); if not, what to do: look again ("again": this thread
   * ran one of the jobs, or waited for one), come back later ("later": `ran` operations ran in
   * this turn already; "timeout": the wait budget is spent), or stop ("failed": a worker did).
   */
  private ready(item: Item, ran: number): "run" | "again" | "later" | "timeout" | "failed" {
    try {
      if (this.workers.allDone(item.jobs)) {
        this.workers.waitAll(item.jobs, 0); // they are done: this checks that none failed
        // Pages still unsubmitted (the ring was full of its own jobs) compress on this thread.
        item.nextSource = item.nrSources;
        return "run";
      }
      if (ran > 0) return "later";
      // Work-sharing: rather than sleep while the workers compress, this thread compresses
      // too, the oldest job no worker has claimed (the head's first), so that two cores give
      // zswap plus a worker's worth of compression, not a worker's alone.
      // Wake a worker first if all sleep and 2 jobs came since the last wake-up (for one job,
      // the system call costs about what the job does).
      this.workers.kick(2);
      if (this.helpNext()) return "again";
      return this.workers.waitAll(item.jobs, WAIT_BUDGET_MS, false) ? "again" : "timeout";
    } catch (e) {
      this.failAll(e);
      return "failed";
    }
  }

  /** Runs the oldest unclaimed job of the queue (HELP_SCAN jobs at most) here; whether it did. */
  private helpNext(): boolean {
    let scanned = 0;
    for (let i = this.head; i < this.submitFrom + 1 && i < this.queue.length; i++) {
      const jobs = (this.queue[i] as Item).jobs;
      if (this.workers.helpOne(jobs)) return true;
      scanned += jobs.length;
      if (scanned >= HELP_SCAN) break;
    }
    return false;
  }

  private shift(): void {
    this.queue[this.head++] = undefined as unknown as Item;
    if (this.submitFrom < this.head) this.submitFrom = this.head;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.submitFrom -= this.head;
      this.head = 0;
    }
  }

  /** Runs `item` with its jobs; returns a promise if it went on asynchronously, else null. */
  private runItem(item: Item): Promise<unknown> | null {
    let v: unknown;
    this.workers.begin(item.jobs);
    this.inItem = true;
    try {
      v = item.run();
    } catch (e) {
      if (!(e instanceof ZswapWouldBlockError)) {
        item.reject(e);
        return null;
      }
      v = e.pending;
    } finally {
      this.inItem = false;
      this.workers.end();
    }
    if (!(v instanceof Promise)) {
      item.resolve(v);
      return null;
    }
    v.then(item.resolve, item.reject);
    return v;
  }

  /** A worker failed: every queued operation (none of which ran) fails with the same error. */
  private failAll(e: unknown): void {
    const err =
      e instanceof CpuWorkerError ? e : new CpuWorkerError(String((e as Error)?.message ?? e));
    this.failed = err;
    while (this.queued > 0) {
      const item = this.queue[this.head] as Item;
      this.shift();
      item.reject(this.failure(item.what, err));
    }
    this.settleIdle();
  }

  private failure(what: string, e: CpuWorkerError): ZswapError {
    return new ZswapError(
      "ENOTRECOVERABLE",
      `Cannot ${what}: ${e.message}; nothing queued ran (the pages are still yours); close the instance`,
      { cause: e },
    );
  }

  private settleIdle(): void {
    if (this.queued > 0 || this.busy || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** The compressed bytes of the page at `offset`, if it is in zswap now; null otherwise. */
  private peekCompressed(type: number, offset: number) {
    const z = zswapState(this.k);
    const e = z.tree(type).get(offset);
    const pool = e === 0 ? undefined : z.entries.pool(e)?.data;
    if (pool === undefined || entryStoredRaw(z.profile, z.entries, e)) return null;
    const op = codecOp("decompress", this.kernel, pool.tfmName);
    if (op < 0 || !this.workers.offloads(op)) return null;
    return { op, bytes: zsObjReadBegin(pool.zsPool, z.entries.handle(e), this.bounce) };
  }
}
