/**
 * The simulated kernel's core: CPUs, tasks, the current task, and the hooks executors and
 * detectors share. Subsystems (locks, memory, hotplug, RCU, ...) live in their own files and
 * keep their state on the objects they manage; this class only holds what everything needs.
 */
import { type AccessSink, idKey } from "./access.ts";
import { CpuMasks } from "./cpus.ts";
import type { Op } from "./effect.ts";
import { heldLocksLines, LockdepGraph } from "./lockdep.ts";
import { DEFAULT_POINTS, type PointsLevel, pointMask } from "./points.ts";
import { KernelBug } from "./report.ts";
import { siteLines, siteOf, whereOf } from "./site.ts";
import { Task } from "./task.ts";

export interface KernelConfig {
  /** Number of possible (and present) CPUs. */
  readonly nrCpus: number;
  /** CPUs online at boot (default: all). */
  readonly onlineCpus?: readonly number[];
  /** "sim" runs under SimExecutor (detectors on); "real" under RealExecutor. */
  readonly mode?: "sim" | "real";
  /** Lock-order graph; pass one graph to every execution of an exploration to keep it across them. */
  readonly lockdep?: LockdepGraph;
  /**
   * Lockdep, call paths (`traced`), allocation and free sites, trace notes. Default: on in
   * "sim" (the checker's reports need them), off in "real" (see `Kernel.instrumented`).
   */
  readonly instrumented?: boolean;
  /**
   * Lockdep's ordering checks (recursive and circular locking reports). Off: "exact mode", where
   * only a real deadlock (a wait-for cycle, nothing runnable) is reported: it tells a lockdep
   * class-level report from a deadlock that can happen. Held locks are tracked either way.
   */
  readonly lockdepChecks?: boolean;
  /**
   * Which preemption points exist besides the sleeping calls (src/kernel/points.ts). Default
   * DEFAULT_POINTS in "sim"; real mode has none.
   */
  readonly points?: PointsLevel;
}

/** What an event refers to, for the trace's readers (marks, lock spans, flow arrows). */
export interface TraceExtra {
  /** The object allocated, freed or accessed (its id, as in "req#3"). */
  readonly obj?: number;
  /** The lock instance taken or released. */
  readonly lock?: string;
  /** A choice's kind and answer (0 is the normal one). */
  readonly kind?: string;
  readonly value?: number;
  /** The other task of a wake or a migration (the woken or migrated task's id). */
  readonly other?: number;
}

/** Receives trace events that are not scheduling points (e.g. "kfree req#3"). */
export interface TraceSink {
  note(task: Task | null, text: string): void;
  add(task: Task | null, effect: string, detail: string, extra?: TraceExtra): void;
}

export class Kernel {
  readonly cpus: CpuMasks;
  readonly mode: "sim" | "real";
  readonly lockdep: LockdepGraph;
  /**
   * Whether the detectors' bookkeeping runs: lockdep's lock-order graph and held-lock lists,
   * the call path that `traced` keeps for reports, and the sites that allocations and frees
   * record. Off by default in real mode: there it would cost more than compressing the page
   * (lockdep alone walks the lock graph on every mutex_lock), and nothing explores
   * interleavings. Use-after-free, double free, wait-for cycles, sleeping in atomic context and
   * unlock-by-non-owner are still detected either way; their reports then lack the call path.
   */
  readonly instrumented: boolean;
  readonly lockdepChecks: boolean;
  /** The points level, and its kinds as a bit mask (read at every point). */
  readonly points: PointsLevel;
  readonly pointMask: number;
  readonly tasks: Task[] = [];
  /** The task whose code is running now; set by the executor before every resumption. */
  current: Task | null = null;
  /** Set by the executor while it records a trace. */
  trace: TraceSink | null = null;
  /** The executor's step counter (for report sites). */
  step = 0;
  /**
   * Kernel operations (uses of `task`) in the current step, and the most one step may run. The
   * simulator resets the count every step and sets a bound: a loop with no preemption point in
   * it would otherwise hang the checker, where the kernel would report a soft lockup.
   */
  stepOps = 0;
  stepOpsMax = Number.POSITIVE_INFINITY;
  /** Per-subsystem state, keyed by subsystem name, so subsystems stay in their own files. */
  readonly subsystems = new Map<string, unknown>();
  /** Describes what a blocked task waits for, for deadlock reports (set by lock subsystems). */
  describeWait: (t: Task) => string = describeWaitDefault;
  /** Called when every task is blocked; may throw a more precise report (wait-for cycle). */
  onStall: ((blocked: readonly Task[]) => void) | null = null;
  /** Called by `wake` (the real executor resumes the woken operation from here). */
  onWake: ((t: Task) => void) | null = null;
  /**
   * When set, `spawn` hands the new task to this function instead of keeping it in `tasks` (the
   * real executor runs spawned work from here; the simulator leaves it null and picks tasks
   * from `tasks`).
   */
  onSpawn: ((name: string, cpu: number, body: Op<unknown>) => Task) | null = null;
  /**
   * The current step's footprint (src/kernel/access.ts): set by the simulator when it reduces by
   * footprints, null otherwise (real mode always), so annotations cost nothing there.
   */
  fp: AccessSink | null = null;
  /** Called after all tasks finish; detectors (leaks, oracles) run here. */
  readonly finishHooks: Array<() => void> = [];

  constructor(config: KernelConfig) {
    this.cpus = new CpuMasks(config.nrCpus, config.onlineCpus ?? []);
    this.mode = config.mode ?? "sim";
    this.lockdep = config.lockdep ?? new LockdepGraph();
    this.instrumented = config.instrumented ?? this.mode === "sim";
    this.lockdepChecks = config.lockdepChecks ?? true;
    this.points = config.points ?? DEFAULT_POINTS;
    this.pointMask = this.mode === "sim" ? pointMask(this.points) : 0;
  }

  /** Creates a task on `cpu` running `body`. */
  spawn(name: string, cpu: number, body: Op<unknown>): Task {
    if (!this.cpus.isOnline(cpu)) {
      throw new RangeError(`Cannot spawn task '${name}' on CPU ${cpu}: it is not online`);
    }
    if (this.onSpawn !== null) return this.onSpawn(name, cpu, body);
    // The new task's id and its place among the candidates depend on who spawns first.
    this.fp?.write("tasks");
    const task = new Task(this.tasks.length, name, cpu, body);
    this.tasks.push(task);
    return task;
  }

  /** The running task; asserts there is one. */
  get task(): Task {
    const t = this.current;
    if (t === null) throw new Error("no current task: kernel code ran outside an executor");
    if (++this.stepOps > this.stepOpsMax) throw noPreemptionPointBug(t, this.stepOps);
    return t;
  }

  /** smp_processor_id(): the CPU the current task is on right now. */
  get cpu(): number {
    const t = this.task;
    t.cpuReads++;
    this.fp?.read(idKey("cpu:", t.id));
    return t.cpu;
  }

  /**
   * Marks the current task blocked and yields to the executor until `wake` is called.
   * Blocking with preemption disabled (a spinlock held) or inside an RCU read-side critical
   * section is reported, as schedule() would in the kernel.
   */
  *blockCurrent(waitingFor: string): Op<unknown> {
    const t = this.task;
    if (t.preemptDisableDepth > 0 || t.rcuReadDepth > 0) {
      throw sleepInAtomicBug(this, `schedule() to wait for ${waitingFor}`);
    }
    t.state = "blocked";
    t.waitingFor = waitingFor;
    // Blocking and waking one task are dependent: the waker must run after the sleeper.
    this.fp?.write(idKey("task:", t.id));
    return yield { t: "block", label: `wait ${waitingFor}` };
  }

  /** Makes a blocked task runnable; `value` is what its blocking yield returns. */
  wake(t: Task, value?: unknown): void {
    if (t.state !== "blocked") throw new Error(`wake: task ${t.name} is ${t.state}, not blocked`);
    this.fp?.write(idKey("task:", t.id));
    t.state = "runnable";
    t.waitingFor = null;
    // Woken means no longer waiting, even before it runs: wait-for checks must not see it.
    t.blockedOn = null;
    t.resumeValue = value;
    if (this.trace !== null) this.trace.add(this.current, "wake", t.name, { other: t.id });
    this.onWake?.(t);
  }

  /** Adds a line to the trace (no scheduling point). */
  note(text: string): void {
    this.trace?.note(this.current, text);
  }

  /** Typed per-subsystem state, created on first use. */
  subsystem<T>(name: string, create: () => T): T {
    let s = this.subsystems.get(name) as T | undefined;
    if (s === undefined) {
      s = create();
      this.subsystems.set(name, s);
    }
    return s;
  }
}

/** "waits for X (held by A, B)" when the task is blocked on a Waitable, else its wait label. */
function describeWaitDefault(t: Task): string {
  const label = t.waitingFor ?? "unknown";
  const w = t.blockedOn;
  if (w === null) return label;
  const holders = w.holders().map((h) => `${h.name}/${h.id}`);
  return `${label} (held by ${holders.length > 0 ? holders.join(", ") : "nobody"})`;
}

/**
 * The report of might_sleep() / schedule() in atomic context, in the kernel's format: the
 * preemption and RCU nesting depths, the locks held, and the call path.
 */
export function sleepInAtomicBug(k: Kernel, what: string): KernelBug {
  const t = k.task;
  const site = siteOf(k);
  return new KernelBug(
    "sleep-in-atomic",
    `BUG: sleeping function called from invalid context at ${whereOf(site)}`,
    [
      `in_atomic(): ${t.preemptDisableDepth > 0 ? 1 : 0}, irqs_disabled(): 0, non_block: 0, pid: ${t.id}, name: ${t.name}`,
      `preempt_count: ${t.preemptDisableDepth}, expected: 0`,
      `RCU nest depth: ${t.rcuReadDepth}, expected: 0`,
      `${what} may sleep`,
      ...heldLocksLines(t),
      "",
      ...siteLines("Call path", site),
    ],
  );
}

/** A task looped through `n` kernel operations without reaching a preemption point. */
function noPreemptionPointBug(t: Task, n: number): KernelBug {
  return new KernelBug(
    "soft-lockup",
    `watchdog: BUG: soft lockup - CPU#${t.cpu} stuck for 22s! [${t.name}:${t.id}]`,
    [
      `CPU: ${t.cpu} PID: ${t.id} Comm: ${t.name}`,
      `(model: ${t.name} ran ${n - 1} kernel operations in one step: a loop with no preemption point in it)`,
      ...heldLocksLines(t),
      "Call Trace:",
      ...(t.callStack.length > 0 ? [...t.callStack].reverse() : [t.name]).map((f) => ` ${f}`),
    ],
  );
}
