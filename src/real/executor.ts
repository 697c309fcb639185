/**
 * RealExecutor: runs kernel-side operations (`Op<T>` generators) on the Node event loop, for a
 * Kernel created with `mode: "real"`.
 *
 * Where SimExecutor explores interleavings, this executor takes the "normal" answer at every
 * decision and runs each operation straight through:
 *
 * - `sched`: continue at once (no preemption, no migration);
 * - `choose`: answer 0 (allocations succeed, no direct reclaim, no migration), unless an
 *   `answerChoice` is given (fault injection answers kmalloc's "fault" choices there);
 * - `io`: await `effect.async()` and resume with its result (a rejection is thrown into the
 *   operation, so its `finally` blocks run);
 * - `block`: a kernel primitive has put the task on a wait queue (a mutex held by another
 *   in-flight operation): park it; `k.wake(task)` calls `k.onWake`, which resumes it from a
 *   microtask (never nested inside the waker's step).
 *
 * Operations interleave on the event loop, so `k.current` is set to the task before every
 * resumption and restored afterwards. Each operation gets a `Task` of its own, with ids from this
 * executor's counter; it is in `k.tasks` only while it is in flight (so CPU offline migrates it,
 * and a grace period waits for it), and nothing is kept once it settles: `k.tasks` stays as long
 * as the number of operations in flight, not the number ever run.
 *
 * Tasks that kernel code spawns (a queued work item's kworker, a call_rcu callback) reach the
 * executor through `k.onSpawn`: each starts from a microtask, never nested inside the operation
 * that queued it, and runs like any other operation. What one of them throws is passed to
 * `onBackgroundError` (default: kept in `backgroundErrors`), since nobody awaits it.
 *
 * A KernelBug (or any other exception) thrown by an operation rejects its promise. Like a BUG()
 * in the kernel, it kills only that task: locks it held stay held.
 *
 * @example
 * const k = new Kernel({ nrCpus: 2, mode: "real" });
 * const ex = new RealExecutor(k);
 * const n = ex.runSync("store", 0, zswapStore(k, pool, page)); // hot path: no promise
 * const m = await ex.run("writeback", 1, zswapWritebackEntry(k, pool, entry)); // may await I/O
 */
import { type ChooseEffect, type Effect, NO_EFFECTS, type Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { OpCall } from "../kernel/site.ts";
import { Task } from "../kernel/task.ts";
import { WouldBlockError } from "./would_block.ts";

export interface RealExecutorOptions {
  /**
   * Bound on effects answered for one operation (default 100,000,000): an operation that never
   * finishes (a `sched` loop) fails with a message instead of hanging the event loop.
   */
  readonly stepsMax?: number;
  /**
   * Spawned tasks (kworkers) yield the event loop at each scheduling point (`sched`) and await
   * their I/O, as a kworker sharing one CPU with the task that queued it; default false: a
   * spawned task runs until it blocks, with synchronous I/O. `run` turns it on (docs/run.md).
   */
  readonly shareCpu?: boolean;
  /**
   * Called with what a spawned task (a kworker, an RCU callback) threw; nobody awaits those.
   * Default: keep it in `backgroundErrors` (the first 100).
   */
  readonly onBackgroundError?: (task: Task, e: unknown) => void;
  /**
   * Answers `choose` effects (default: always 0, the normal outcome). Real mode's fault
   * injection answers "fault" choices here (an allocation fails), so it takes the kernel's own
   * failure path.
   */
  readonly answerChoice?: (e: ChooseEffect) => number;
}

/** Options of one runSync call. */
export interface RunSyncOptions {
  /**
   * Answer `io` effects with their synchronous side (pread/pwrite on the calling thread) instead
   * of handing the operation over (default false). For callers that prefer blocking the thread
   * to awaiting, as fs.readFileSync does.
   */
  readonly syncIo?: boolean;
}

const BACKGROUND_ERRORS_MAX = 100;

/** An operation started by `run` (or handed over by `runSync`) that has not settled yet. */
interface InFlight {
  readonly task: Task;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  /** Effects answered so far (bounded by stepsMax). */
  steps: number;
  /** An error to throw into the operation at its next resumption (a rejected io). */
  error: { readonly e: unknown } | null;
  /** Spawned by kernel code (k.spawn): yields the event loop at its scheduling points. */
  readonly background?: boolean;
}

export class RealExecutor {
  private readonly k: Kernel;
  private readonly stepsMax: number;
  /** Ids for this executor's tasks (they are not in k.tasks, so k.spawn's ids do not apply). */
  private nextId: number;
  /** Blocked operations, by task; bounded by the number in flight. */
  private readonly parked = new Map<Task, InFlight>();
  private inFlightCount = 0;
  private readonly onBackgroundError: (task: Task, e: unknown) => void;
  private readonly answerChoice: (e: ChooseEffect) => number;
  private readonly shareCpu: boolean;
  /** The Task of the last operation runSync finished cleanly, for the next one (see runSync). */
  private spare: Task | null = null;
  /** Resolved (and emptied) when no operation is in flight. */
  private idleWaiters: Array<() => void> = [];
  /** What spawned tasks threw (when no onBackgroundError was given), the first 100. */
  readonly backgroundErrors: unknown[] = [];

  constructor(k: Kernel, options: RealExecutorOptions = {}) {
    if (k.mode !== "real") {
      throw new Error(`RealExecutor: expected a kernel created with mode "real", got "${k.mode}"`);
    }
    if (k.onWake !== null || k.onSpawn !== null) {
      throw new Error(
        "RealExecutor: this kernel already has a wake handler (one executor per kernel)",
      );
    }
    this.k = k;
    this.stepsMax = options.stepsMax ?? 100_000_000;
    this.answerChoice = options.answerChoice ?? (() => 0);
    this.shareCpu = options.shareCpu ?? false;
    this.nextId = k.tasks.length;
    this.onBackgroundError =
      options.onBackgroundError ??
      ((_t, e) => {
        if (this.backgroundErrors.length < BACKGROUND_ERRORS_MAX) this.backgroundErrors.push(e);
      });
    k.onWake = (t) => this.onWake(t);
    k.onSpawn = (name, cpu, body) => this.spawn(name, cpu, body);
  }

  /** Operations started and not yet settled (running, awaiting I/O, or blocked). */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Operations now blocked on a wait queue (for diagnostics: a lost wakeup leaves them here). */
  get blocked(): number {
    return this.parked.size;
  }

  /** Resolves when no operation is in flight (spawned work included), at once if none is. */
  idle(): Promise<void> {
    if (this.inFlightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Runs `op` as a new task on `cpu` (must be online); resolves with its result, rejects with
   * what it throws (a KernelBug report, usually). The operation starts synchronously.
   */
  run<T>(name: string, cpu: number, op: Op<T>): Promise<T> {
    let task: Task;
    try {
      task = this.newTask(name, cpu, op);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.start(task, 0);
  }

  /**
   * Synchronous fast path: runs `op` to completion when it never blocks and never does I/O,
   * with no promise and no allocation beyond its Task. Throws WouldBlockError if it would
   * block or await; the operation then goes on asynchronously (see `WouldBlockError.pending`),
   * so callers that can block should use `run`, or fall back to `await e.pending`.
   */
  runSync<T>(name: string, cpu: number, op: Op<T>, options?: RunSyncOptions): T {
    return this.runSyncCall(name, cpu, opItself, op, undefined, undefined, undefined, options);
  }

  /**
   * runSync of the operation `start(k, a, b, c, d)` returns, called once the new task is current:
   * for an operation written as a plain function that returns an Op (it does its work up to
   * its first effect at the call, see andThen in kernel/effect.ts), which must run on its task.
   * On the real hot path (swap out, swap in) it then makes no generator at all.
   */
  runSyncCall<T, A, B, C, D>(
    name: string,
    cpu: number,
    start: OpCall<T, A, B, C, D>,
    a: A,
    b: B,
    c: C,
    d: D,
    options?: RunSyncOptions,
  ): T {
    const k = this.k;
    const task = this.newTask(name, cpu, NO_EFFECTS, this.spare);
    this.spare = null;
    const syncIo = options?.syncIo === true;
    const prev = k.current;
    let r: IteratorResult<Effect, T>;
    let op: Op<T> = NO_EFFECTS as Op<T>;
    let steps = 0;
    k.current = task;
    try {
      op = start(k, a, b, c, d);
      task.body = op;
      r = op.next();
      while (!r.done) {
        const e = r.value;
        if (e.t === "sched") r = op.next();
        else if (e.t === "choose") r = op.next(this.answerChoice(e));
        else if (e.t === "io" && syncIo) r = answerSync(op, e.sync);
        else break;
        if (++steps > this.stepsMax) throw this.stepBound(task);
      }
    } catch (e) {
      this.forget(task);
      k.current = prev;
      throw e;
    }
    k.current = prev;
    if (r.done) {
      this.forget(task);
      // Nothing refers to a task that finished here without instrumentation (no lock, no
      // recorded site): the next runSync takes it over, one allocation less per operation.
      if (!k.instrumented) this.spare = task;
      return r.value;
    }
    throw this.handOver(task, r.value, steps);
  }

  /** A task spawned by kernel code (k.spawn): started from a microtask, awaited by nobody. */
  private spawn(name: string, cpu: number, body: Op<unknown>): Task {
    const task = this.newTask(name, cpu, body);
    const f: InFlight = {
      task,
      resolve: () => {},
      reject: (e) => this.onBackgroundError(task, e),
      steps: 0,
      error: null,
      background: true,
    };
    this.inFlightCount++;
    queueMicrotask(() => this.drive(f));
    return task;
  }

  private newTask(name: string, cpu: number, op: Op<unknown>, spare: Task | null = null): Task {
    if (!this.k.cpus.isOnline(cpu)) {
      throw new RangeError(`Cannot run operation '${name}' on CPU ${cpu}: it is not online`);
    }
    let task: Task;
    if (spare === null) task = new Task(this.nextId++, name, cpu, op);
    else {
      task = spare;
      task.reuse(this.nextId++, name, cpu, op);
    }
    this.k.tasks.push(task);
    return task;
  }

  /** The task is done: out of k.tasks (usually the last entry: operations nest LIFO). */
  private forget(task: Task): void {
    task.state = "done";
    const tasks = this.k.tasks;
    if (tasks[tasks.length - 1] === task) tasks.pop();
    else {
      const i = tasks.lastIndexOf(task);
      if (i >= 0) tasks.splice(i, 1);
    }
  }

  /** Starts driving `task`; `first` is an effect it already yielded (handed over by runSync). */
  private start<T>(task: Task, steps: number, first?: Effect): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const f: InFlight = {
        task,
        resolve: resolve as (v: unknown) => void,
        reject,
        steps,
        error: null,
      };
      this.inFlightCount++;
      if (first === undefined) {
        this.drive(f);
        return;
      }
      // The first effect is answered for `task` (fault injection and traces see it running).
      const prev = this.k.current;
      this.k.current = task;
      let goOn: boolean;
      try {
        goOn = this.answer(f, first);
      } catch (e) {
        this.settle(f);
        reject(e);
        return;
      } finally {
        this.k.current = prev;
      }
      if (goOn) this.drive(f);
    });
  }

  /** runSync met `effect`: hand the operation to the asynchronous path and explain. */
  private handOver(task: Task, effect: Effect, steps: number): WouldBlockError {
    // runSync answers every other kind of effect itself.
    const kind = effect.t === "io" ? "io" : "block";
    const { name, cpu } = task;
    const pending = this.start(task, steps, effect);
    return new WouldBlockError(name, cpu, kind, effect.label, pending);
  }

  /**
   * Resumes `f` and answers its effects until it finishes, throws, blocks or awaits I/O.
   * Never called nested inside another operation's step: wakeups and I/O completions come
   * back through microtasks.
   */
  private drive(f: InFlight): void {
    const k = this.k;
    const t = f.task;
    const prev = k.current;
    try {
      for (;;) {
        k.current = t;
        k.step++;
        if (++f.steps > this.stepsMax) throw this.stepBound(t);
        const value = t.resumeValue;
        t.resumeValue = undefined;
        const error = f.error;
        f.error = null;
        const r = error === null ? t.body.next(value) : t.body.throw(error.e);
        if (r.done) {
          this.settle(f);
          f.resolve(r.value);
          return;
        }
        if (!this.answer(f, r.value)) return;
      }
    } catch (e) {
      this.settle(f);
      f.reject(e);
    } finally {
      k.current = prev;
    }
  }

  /**
   * Answers one effect. Returns true when the task can go on at once; false when it is parked
   * (blocked) or awaiting I/O, and will be driven again from a microtask.
   */
  private answer(f: InFlight, e: Effect): boolean {
    const t = f.task;
    switch (e.t) {
      case "sched":
        if (!f.background || !this.shareCpu) return true;
        // Background kernel work (a kworker) gives up the CPU at its scheduling points, as a
        // kworker sharing a CPU with the task that queued it does: the rest of the step runs
        // on a later turn of the event loop, after what is already queued there.
        setImmediate(() => this.drive(f));
        return false;
      case "choose":
        t.resumeValue = this.answerChoice(e);
        return true;
      case "block":
        if (t.state !== "blocked") {
          throw new Error(`task ${t.name} yielded '${e.label}' but is ${t.state}, not blocked`);
        }
        this.parked.set(t, f);
        return false;
      case "io":
        if (f.background && !this.shareCpu) {
          // Background work that does not share the CPU runs to its end, I/O included: its
          // completion then cannot reorder the operations around it (same seed, same run).
          try {
            t.resumeValue = e.sync();
          } catch (err) {
            f.error = { e: err };
          }
          return true;
        }
        this.awaitIo(f, e.async);
        return false;
    }
  }

  private awaitIo(f: InFlight, io: () => Promise<unknown>): void {
    let p: Promise<unknown>;
    try {
      p = io();
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (v) => {
        f.task.resumeValue = v;
        this.drive(f);
      },
      (e: unknown) => {
        f.error = { e };
        this.drive(f);
      },
    );
  }

  /** k.wake() landed here: resume the parked task from a microtask, not inside the waker. */
  private onWake(t: Task): void {
    const f = this.parked.get(t);
    if (f === undefined) {
      throw new Error(`RealExecutor: woke task ${t.name}, which is not parked in this executor`);
    }
    this.parked.delete(t);
    queueMicrotask(() => this.drive(f));
  }

  private settle(f: InFlight): void {
    this.forget(f.task);
    if (--this.inFlightCount > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private stepBound(t: Task): Error {
    return new Error(
      `RealExecutor: operation '${t.name}' exceeded ${this.stepsMax} effects without finishing (a livelock, or raise stepsMax)`,
    );
  }
}

/** runSync's `start`: the operation was made by the caller. */
function opItself<T>(_k: Kernel, op: Op<T>): Op<T> {
  return op;
}

/** Answers an io effect with its synchronous side; what that throws is thrown into the op. */
function answerSync<T>(op: Op<T>, sync: () => unknown): IteratorResult<Effect, T> {
  let v: unknown;
  try {
    v = sync();
  } catch (e) {
    return op.throw(e);
  }
  return op.next(v);
}
