/**
 * Tasks: the simulated kernel's threads of control.
 *
 * A task is a generator (an `Op`) plus the scheduler state the kernel keeps for it: the CPU it
 * is on, whether it can run, and its preemption- and migration-disable depths.
 */
import type { Op } from "./effect.ts";
import type { Site } from "./site.ts";

/** A lock the task holds, as lockdep records it. */
export interface HeldLock {
  /** Lock class (lockdep key): all per-CPU ctx mutexes share one class. */
  readonly cls: string;
  /** This instance, e.g. "ctx(pool1,cpu0)->mutex". */
  readonly name: string;
  readonly read: boolean;
  readonly site: Site;
}

/** Something a task can block on; deadlock reports follow owners through these. */
export interface Waitable {
  readonly name: string;
  /** The tasks that must release it before the waiter can go on. */
  holders(): readonly Task[];
}

export type TaskState = "runnable" | "blocked" | "done";

export class Task {
  state: TaskState = "runnable";
  /** preempt_disable() depth: while > 0 the scheduler never switches away from this task. */
  preemptDisableDepth = 0;
  /** migrate_disable() depth: while > 0 the task stays on its CPU. */
  migrateDisableDepth = 0;
  /** rcu_read_lock() depth. */
  rcuReadDepth = 0;
  /** What this task waits for while blocked (for deadlock reports). */
  waitingFor: string | null = null;
  /** Value handed to the generator on its next resumption. */
  resumeValue: unknown = undefined;
  /** Locks held, innermost last (maintained by lockdep, for ordering checks and reports). */
  readonly heldLocks: HeldLock[] = [];
  /** What the task is blocked on, if anything (for wait-for cycle detection). */
  blockedOn: Waitable | null = null;
  /** Function-name stack maintained by `k.fn()` for reports (innermost last). */
  readonly callStack: string[] = [];
  /**
   * A copy of `callStack` that sites share until the stack changes (tracedFrame clears it):
   * several allocations and locks in one function then cost one copy, not one each.
   */
  stackSnapshot: readonly string[] | null = null;
  /**
   * Reads of `cpu` that can change what happens (smp_processor_id(), raw_cpu_ptr(), hotplug
   * moving tasks off a dying CPU, ...); reports and traces do not count. The partial-order
   * reduction (src/sim/footprint.ts) skips migrations that nothing reads before the next one.
   */
  cpuReads = 0;
  /** Whether the simulator has run a step of it (its first step depends on its spawn). */
  started = false;

  constructor(
    /** Set again only by `reuse`. */
    public id: number,
    public name: string,
    public cpu: number,
    public body: Op<unknown>,
  ) {}

  /**
   * For an executor that recycles the Task of an operation that finished cleanly (the real
   * executor's synchronous path, one operation per page): the task holds nothing then, so it
   * starts over as a new one.
   */
  reuse(id: number, name: string, cpu: number, body: Op<unknown>): void {
    if (this.heldLocks.length !== 0 || this.callStack.length !== 0 || this.blockedOn !== null) {
      throw new Error(`Task.reuse: task ${this.name} still holds locks or frames`);
    }
    this.id = id;
    this.name = name;
    this.cpu = cpu;
    this.body = body;
    this.state = "runnable";
    this.preemptDisableDepth = 0;
    this.migrateDisableDepth = 0;
    this.rcuReadDepth = 0;
    this.waitingFor = null;
    this.resumeValue = undefined;
  }

  get preemptible(): boolean {
    return this.preemptDisableDepth === 0;
  }

  get migratable(): boolean {
    return this.preemptDisableDepth === 0 && this.migrateDisableDepth === 0;
  }
}
