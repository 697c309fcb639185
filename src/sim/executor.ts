/**
 * SimExecutor: runs the tasks of one Kernel to the end, one effect at a time, with every
 * nondeterministic decision taken by a Strategy and recorded in a DecisionLog.
 *
 * Scheduling model (simplified from the kernel, on purpose): one task runs at a time; several
 * CPUs exist so that "which CPU am I on" matters. A running task can be switched away from only
 * at an effect; a task can migrate only when it is switched away (preempted or blocked), which
 * is when the real load balancer can move it. Preempt-disabled tasks are never switched away
 * from; migrate-disabled tasks never move.
 *
 * Past the step bound an execution gets a fair continuation that decides whether it is a
 * liveness bug or only a long execution (see liveness.ts).
 */
import { AccessSink, type Footprint, idKey, READ, WRITE } from "../kernel/access.ts";
import { type ChoiceKind, type Effect, pointLabel } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { heldLocksLines } from "../kernel/lockdep.ts";
import { isKernelBug, KernelBug } from "../kernel/report.ts";
import type { Task } from "../kernel/task.ts";
import { isZsError } from "../zsmalloc/errors.ts";
import type { Coverage } from "./coverage.ts";
import { DecisionLog } from "./decisions.ts";
import { type DporNodeInfo, SleepSet } from "./dpor.ts";
import { MigrationWindows, PrunedExecution } from "./footprint.ts";
import { FairContinuation, SOFTLOCKUP_STEPS, softLockup, stallReport } from "./liveness.ts";
import type { ChoiceContext, SleepingOptions, Strategy } from "./strategy.ts";
import { Trace } from "./trace.ts";
import { zsmallocBug } from "./zs_report.ts";

/** "pruned": stopped early by the partial-order reduction, as redundant (src/sim/footprint.ts). */
export type Outcome = "ok" | "bug" | "step-bound" | "pruned";

export interface ExecutionResult {
  readonly outcome: Outcome;
  readonly bug: KernelBug | null;
  readonly steps: number;
  readonly log: DecisionLog;
  readonly trace: Trace | null;
  /** Number of preemptions (switches away from a task that could have gone on). */
  readonly preemptions: number;
  readonly message: string;
  /**
   * Whether the execution reached the step bound (and went on in a fair continuation). With
   * outcome "step-bound" it was long but not classified as a liveness bug.
   */
  readonly stepBoundHit: boolean;
  /**
   * A composite replay (see replay_run.ts) with tracing: the traces of the earlier executions,
   * whose lock-order edges a circular-locking report may cite.
   */
  readonly earlier?: readonly Trace[];
}

export interface ExecutorOptions {
  /** Steps the strategy decides per execution (default 100,000); a fair continuation follows. */
  readonly stepsMax?: number;
  /** Record a trace (costs time; explorations record only when replaying a failure). */
  readonly trace?: boolean;
  /** Accumulates the points reached and the decisions taken (explorations pass one). */
  readonly coverage?: Coverage;
  /** Partial-order reduction (src/sim/footprint.ts): skip executions with unobserved migrations. */
  readonly por?: boolean;
  /**
   * Dynamic partial-order reduction (src/sim/dpor.ts): sleep sets over step footprints. Needs a
   * strategy with `dporInfo` (the dfs).
   */
  readonly dpor?: boolean;
  /** Record every step's task and footprint in `steps` (the commutation test). */
  readonly footprints?: boolean;
  /** Footprint keys to ignore: a deliberately incomplete sink, for tests. */
  readonly footprintDrop?: (key: string) => boolean;
}

/** One step of an execution, as `footprints: true` records it. */
export interface StepRecord {
  readonly taskId: number;
  readonly fp: Footprint;
  /** The task's state right after the step. */
  readonly after: "runnable" | "blocked" | "done";
  /** Whether a schedule decision chose this step (not a forced continuation). */
  readonly decided: boolean;
  /** The CPU the task ran the step on. */
  readonly cpu: number;
}

export const STEPS_MAX_DEFAULT = 100_000;

/** What a migration touches, as a footprint: the task's CPU, and the online mask it reads. */
function MIGRATION_FP(id: number): Footprint {
  return new Map([
    [idKey("cpu:", id), WRITE],
    ["cpus", READ],
  ]);
}
/** Kernel operations one step may run before it is a loop without a preemption point. */
export const STEP_OPS_MAX = 1_000_000;

export class StepBoundError extends Error {
  override name = "StepBoundError";
}

export class SimExecutor {
  readonly log = new DecisionLog();
  readonly trace: Trace | null;
  private readonly stepsMax: number;
  private step = 0;
  private preemptions = 0;
  private readonly coverage: Coverage | null;
  /** Set once the step bound is passed. */
  private fair: FairContinuation | null = null;
  /** The label of the last preemption point (where a switch would happen). */
  private lastPoint = "";
  /** The task running with preemption disabled, and for how many steps in a row. */
  private streakTask: Task | null = null;
  private streak = 0;
  /** With partial-order reduction: the migrations not yet observed (null once the fair part runs). */
  private windows: MigrationWindows | null;
  /** Footprints of the running step, when dpor or footprints are on. */
  private readonly sink: AccessSink | null;
  /** With dpor: the sleep set (null once the fair part runs). */
  private sleep: SleepSet | null;
  /** The task whose step ran last, and the dfs node of the decision that scheduled it. */
  private stepTask: Task | null = null;
  private stepInfo: DporNodeInfo | null = null;
  private stepDecided = false;
  private stepCpu = -1;
  /** With `footprints`: every step. */
  readonly steps: StepRecord[] = [];
  private readonly recordSteps: boolean;

  constructor(
    private readonly k: Kernel,
    private readonly strategy: Strategy,
    options: ExecutorOptions = {},
  ) {
    this.stepsMax = options.stepsMax ?? STEPS_MAX_DEFAULT;
    this.coverage = options.coverage ?? null;
    this.trace = options.trace ? new Trace() : null;
    this.windows = options.por || options.dpor ? new MigrationWindows() : null;
    this.sleep = options.dpor ? new SleepSet() : null;
    this.recordSteps = options.footprints === true;
    this.sink =
      options.dpor || this.recordSteps ? new AccessSink(options.footprintDrop ?? null) : null;
    k.fp = this.sink;
    k.trace = this.trace;
    k.stepOpsMax = STEP_OPS_MAX;
  }

  /** Runs until every task is done, a detector fires, or the step bound is hit. */
  run(): ExecutionResult {
    try {
      this.loop();
      for (const hook of this.k.finishHooks) hook();
      if (this.fair !== null) {
        return this.result(
          "step-bound",
          null,
          `Step bound hit: the strategy decided ${this.stepsMax} steps; a fair continuation finished the execution at step ${this.step} (long, not a liveness bug; raise --steps-max to search it)`,
        );
      }
      return this.result("ok", null, "all tasks finished");
    } catch (thrown) {
      const e = isZsError(thrown) ? zsmallocBug(this.k, thrown) : thrown;
      if (isKernelBug(e)) {
        this.trace?.add(this.k.current, "bug", e.title);
        return this.result("bug", e, e.title);
      }
      if (e instanceof StepBoundError) return this.result("step-bound", null, e.message);
      if (e instanceof PrunedExecution) return this.result("pruned", null, e.message);
      throw e;
    }
  }

  private result(outcome: Outcome, bug: KernelBug | null, message: string): ExecutionResult {
    return {
      outcome,
      bug,
      steps: this.step,
      log: this.log,
      trace: this.trace,
      preemptions: this.preemptions,
      message,
      stepBoundHit: this.fair !== null,
    };
  }

  private loop(): void {
    let cur = this.pickNext(null);
    while (cur !== null) {
      if (++this.step > this.stepsMax) this.pastBound();
      this.watchdog(cur);
      this.k.step = this.step;
      this.k.stepOps = 0;
      if (this.trace) this.trace.step = this.step;
      this.k.current = cur;
      this.stepTask = cur;
      const value = cur.resumeValue;
      cur.resumeValue = undefined;
      const r = cur.body.next(value);
      if (r.done) {
        cur.state = "done";
        // Others read whether a task ended (hotplug's task walk, the stall report).
        this.sink?.write(idKey("task:", cur.id));
        if (this.windows?.endsUnobserved(cur)) {
          throw new PrunedExecution(`${cur.name} ended on a CPU nothing read since it migrated`);
        }
        this.trace?.add(cur, "done", "");
        this.fair?.record(cur, "done", false);
        cur = this.pickNext(null);
        continue;
      }
      const effect = r.value;
      this.fair?.record(cur, effect.label, effect.t === "block");
      if (effect.t === "sched") {
        this.lastPoint = effect.label;
        this.coverage?.reach(effect.label);
      }
      cur = this.handle(cur, effect);
    }
    this.k.current = null;
    const blocked = this.k.tasks.filter((t) => t.state === "blocked");
    if (blocked.length > 0) this.stall(blocked);
  }

  /** Past the step bound: start the fair continuation, or classify it once it has run long enough. */
  private pastBound(): void {
    if (this.fair === null) {
      this.fair = new FairContinuation(this.step);
      this.windows = null;
      this.sleep = null;
      return;
    }
    if (!this.fair.over(this.step)) return;
    const bug = this.fair.classify(this.k);
    if (bug !== null) throw bug;
    throw new StepBoundError(
      `Step bound hit: the strategy decided ${this.stepsMax} steps, and a fair continuation of ${this.step - this.fair.startStep} more steps neither finished nor repeated a cycle (not classified; raise --steps-max)`,
    );
  }

  /** A task that runs on with preemption disabled keeps its CPU from scheduling: the watchdog. */
  private watchdog(cur: Task): void {
    if (cur.preemptible) {
      this.streakTask = null;
      return;
    }
    if (cur !== this.streakTask) {
      this.streakTask = cur;
      this.streak = 0;
    }
    if (++this.streak > SOFTLOCKUP_STEPS) {
      throw softLockup(cur, this.streak, "with preemption disabled");
    }
  }

  /** Answers one effect; returns the task that runs next. */
  private handle(cur: Task, effect: Effect): Task | null {
    switch (effect.t) {
      case "sched":
        this.trace?.add(cur, "sched", effect.label);
        return this.pickNext(cur);
      case "block":
        this.trace?.add(cur, "sleep", effect.label);
        return this.pickNext(cur);
      case "choose": {
        const v = this.choose(effect.n, effect.kind, effect.label, cur);
        this.trace?.add(cur, "choose", `${effect.label} = ${v}`, { kind: effect.kind, value: v });
        cur.resumeValue = v;
        return cur;
      }
      case "io":
        this.trace?.add(cur, "io", effect.label);
        cur.resumeValue = effect.sync();
        return cur;
    }
  }

  private choose(
    n: number,
    kind: ChoiceKind,
    label: string,
    cur: Task | null,
    taskIds?: number[],
    redundant = false,
    sleeping: SleepingOptions | null = null,
  ): number {
    const currentTaskId = cur?.id ?? null;
    // Literals rather than spreads: this runs at every decision.
    let ctx: ChoiceContext =
      taskIds === undefined
        ? { currentTaskId, step: this.step, label }
        : { currentTaskId, step: this.step, label, taskIds };
    // Rare (a migration nothing reads the CPU after): the spread costs nothing measurable.
    if (redundant) ctx = { ...ctx, redundant };
    if (sleeping !== null) ctx = { ...ctx, ...sleeping };
    // The fair continuation is deterministic: it is neither asked of the strategy nor logged.
    if (this.fair !== null) return this.fair.choose(kind, ctx);
    const v = this.strategy.choose(n, kind, ctx);
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new Error(
        `strategy ${this.strategy.name} answered ${v} to a ${kind} decision with ${n} options`,
      );
    }
    this.log.record(v, n, kind);
    this.coverage?.choice(kind, v);
    return v;
  }

  /**
   * Chooses the next task. Option 0 is `prev` when it can go on, else the lowest-id runnable
   * task. If `prev` is switched away from (preempted or blocked), it may migrate.
   */
  private pickNext(prev: Task | null): Task | null {
    if (prev !== null && prev.state === "runnable" && !prev.preemptible) return prev;
    const ended = this.sink === null || this.stepTask === null ? null : this.sink.take();
    if (ended !== null && this.recordSteps) this.recordStep(ended);
    // The sleep set the decision sees: after the step that just ended (its migration, if the
    // decision brings one, is applied in endStep).
    if (ended !== null) this.sleep?.stepped(ended);
    const candidates: Task[] = [];
    if (prev !== null && prev.state === "runnable") candidates.push(prev);
    for (const t of this.k.tasks) if (t.state === "runnable" && t !== prev) candidates.push(t);
    let next: Task | null = null;
    let info: DporNodeInfo | null = null;
    if (candidates.length === 1) next = candidates[0] as Task;
    else if (candidates.length > 1) {
      const ids = candidates.map((t) => t.id);
      const sleeping = this.sleepingOptions(prev, candidates);
      const v = this.choose(
        candidates.length,
        "schedule",
        "pick next task",
        prev,
        ids,
        false,
        sleeping,
      );
      next = candidates[v] as Task;
      if (this.sleep !== null && this.fair === null) info = this.strategy.dporInfo?.() ?? null;
      if (this.trace !== null) this.traceSchedule(prev, next, v, candidates.length);
    }
    let migrated = false;
    if (prev !== null && prev !== next && prev.state !== "done") {
      if (prev.state === "runnable" && this.fair === null) {
        this.preemptions++;
        this.coverage?.preempt(this.lastPoint);
      }
      migrated = this.maybeMigrate(prev);
    }
    if (ended !== null) this.endStep(ended as Map<string, number>, prev, migrated);
    if (next !== null && this.sink !== null)
      this.startStep(next, info, candidates.length > 1, migrated);
    return next;
  }

  /** Records the step that just ended (its migration, if any, joins its footprint later). */
  private recordStep(fp: Footprint): void {
    const t = this.stepTask as Task;
    const cpu = this.stepCpu;
    this.steps.push({ taskId: t.id, fp, after: t.state, decided: this.stepDecided, cpu });
  }

  /** The step of `stepTask` ended with footprint `fp` (its migration, if any, included). */
  private endStep(fp: Map<string, number>, prev: Task | null, migrated: boolean): void {
    const t = this.stepTask as Task;
    // A migration is the moved task's write of its CPU, at the end of its step.
    // It reads the online mask: where the task can go depends on which CPUs are up.
    if (migrated && prev !== null) {
      fp.set(idKey("cpu:", prev.id), (fp.get(idKey("cpu:", prev.id)) ?? 0) | WRITE);
      fp.set("cpus", (fp.get("cpus") ?? 0) | READ);
    }
    if (this.sleep === null) return;
    if (migrated && prev !== null) this.sleep.stepped(MIGRATION_FP(prev.id));
    const runnable = t.state === "runnable";
    this.stepInfo?.record(t.id, fp, runnable, runnable && !t.preemptible);
  }

  /**
   * `next` is about to run a step. With dpor: the options explored before it at this decision
   * may fall asleep, and a sleeping `next` stops the execution (see src/sim/dpor.ts), unless the
   * task switched away from migrated here (its twin has no switch there).
   */
  private startStep(
    next: Task,
    info: DporNodeInfo | null,
    decided: boolean,
    migrated: boolean,
  ): void {
    const ran = this.stepTask;
    this.stepInfo = info;
    this.stepDecided = decided;
    this.stepCpu = next.cpu;
    this.sink?.startStep(next.id);
    // A woken task's step depends on the step that woke it (which wrote task:<id>).
    this.sink?.read(idKey("task:", next.id));
    // A task exists from its spawn on: its first step depends on the step that spawned it.
    if (!next.started) {
      next.started = true;
      this.sink?.read("tasks");
    }
    const sleep = this.sleep;
    if (sleep === null) return;
    if (info !== null)
      sleep.decided(info, next.id, ran?.id ?? null, ran !== null && ran.state === "runnable");
    if (!sleep.has(next.id)) return;
    if (migrated) {
      sleep.wake(next.id);
      return;
    }
    throw new PrunedExecution(
      `${next.name} is asleep: this order of independent steps was explored in an equivalent execution`,
    );
  }

  /**
   * With dpor: the options of this decision whose task is asleep, and how many options the
   * migrate decision that follows a switch away from `prev` has (0: none, or only redundant
   * moves): the dfs skips a sleeping option whose whole subtree would be stopped (src/sim/dpor.ts).
   */
  private sleepingOptions(prev: Task | null, candidates: readonly Task[]): SleepingOptions | null {
    const sleep = this.sleep;
    if (sleep === null || sleep.size === 0 || this.fair !== null) return null;
    const asleep: number[] = [];
    for (let i = 0; i < candidates.length; i++)
      if (sleep.has((candidates[i] as Task).id)) asleep.push(i);
    if (asleep.length === 0) return null;
    let moveOptions = 0;
    if (prev !== null && prev.state !== "done" && prev.migratable) {
      const others = this.k.cpus.onlineList().filter((c) => c !== prev.cpu).length;
      if (others > 0 && !(this.windows?.redundantMove(prev) ?? false)) moveOptions = others + 1;
    }
    return { asleep, moveOptions };
  }

  /** Whether `t` moved. */
  private maybeMigrate(t: Task): boolean {
    if (!t.migratable) return false;
    const others = this.k.cpus.onlineList().filter((c) => c !== t.cpu);
    if (others.length === 0) return false;
    const redundant = this.windows?.redundantMove(t) ?? false;
    const v = this.choose(
      others.length + 1,
      "migrate",
      pointLabel("migrate", t.name),
      t,
      undefined,
      redundant,
    );
    if (v === 0) {
      this.trace?.choice(t, `migrate = 0: stays on cpu${t.cpu}`, "migrate", 0);
      return false;
    }
    const to = others[v - 1] as number;
    this.trace?.add(t, "migrate", `cpu${t.cpu} -> cpu${to} (migrate = ${v})`, {
      kind: "migrate",
      value: v,
    });
    t.cpu = to;
    this.windows?.moved(t);
    this.sleep?.wake(t.id);
    return true;
  }

  /** The scheduler's choice, joined to the scheduling point it answers (see Trace.choice). */
  private traceSchedule(prev: Task | null, next: Task, v: number, n: number): void {
    const going = prev === null || prev.state !== "runnable" ? "" : `, ${prev.name} preempted`;
    const who = prev === next ? `${next.name} goes on` : `${next.name} runs${going}`;
    (this.trace as Trace).choice(prev ?? next, `schedule = ${v} of ${n}: ${who}`, "schedule", v);
  }

  /** Nothing can run but some tasks are blocked: a hung task, or a deadlock. */
  private stall(blocked: Task[]): never {
    this.k.onStall?.(blocked);
    const hung = stallReport(this.k, blocked);
    if (hung !== null) throw hung;
    const lines = [
      `All runnable tasks are blocked; ${blocked.length} task(s) can never run again:`,
    ];
    for (const t of blocked) {
      lines.push(`task:${t.name} state:D cpu:${t.cpu} waiting for ${this.k.describeWait(t)}`);
      lines.push(...heldLocksLines(t).map((l) => `  ${l}`));
    }
    throw new KernelBug(
      "deadlock",
      "INFO: task hung: deadlock detected, no task can make progress",
      lines,
    );
  }
}
