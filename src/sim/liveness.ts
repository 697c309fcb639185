/**
 * Liveness: what an execution that does not finish is.
 *
 * An execution that reaches the step bound (`--steps-max`) under its strategy is not a bug by
 * itself: the strategy may simply have kept running one task while the task it waits for was
 * never scheduled (that is the scheduler's fault, not the design's). So the executor gives it a
 * *fair continuation*: from the step bound on, every scheduling decision goes round-robin to
 * the next runnable task, and no task migrates, no allocation fails or reclaims. The
 * continuation is deterministic, so it is not recorded in the decision log and a replay token
 * reproduces it (the token carries a non-default step bound).
 *
 * - Every task finishes (or a detector fires) in the continuation: the execution was long but
 *   finite. It is counted as a step-bound hit: the search did not branch beyond the bound, so a
 *   check that saw one is inconclusive, never verified.
 * - After FAIR_WINDOW_STEPS the tasks still run, and the last steps repeat one cycle of
 *   scheduling points (task, CPU, place) with no task finishing: a livelock. Fairness rules out
 *   starvation (every runnable task ran in turn), and the repetition says nothing changes.
 * - They still run without repeating, and one task ran all through the window (1,000 steps or
 *   more) without sleeping: a soft lockup, as the watchdog of a kernel without preemption
 *   (PREEMPT_NONE) reports it.
 * - Otherwise the execution is left unclassified (a step-bound hit: inconclusive).
 *
 * Two liveness reports come without a continuation: a task that runs SOFTLOCKUP_STEPS steps in a
 * row with preemption disabled (its CPU cannot schedule: the watchdog's own case), and a task
 * blocked when nothing can run and nobody who could wake it is left (hung_task; see
 * `stallReport`).
 *
 * Simplification: the kernel measures seconds (watchdog_thresh, hung_task_timeout_secs); the
 * model counts steps. The reports print the kernel's first-report durations (22 s, 120 s) and
 * say how many steps the model saw.
 */
import type { ChoiceKind } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { heldLocksLines } from "../kernel/lockdep.ts";
import { KernelBug } from "../kernel/report.ts";
import type { Task } from "../kernel/task.ts";
import type { ChoiceContext } from "./strategy.ts";

/** Steps of the fair continuation before an execution that still runs is classified. */
export const FAIR_WINDOW_STEPS = 50_000;
/** Steps in a row one task may run with preemption disabled before the watchdog fires. */
export const SOFTLOCKUP_STEPS = 10_000;
/** The livelock check looks at this tail of the window, and wants the cycle this many times. */
const TAIL_STEPS = 20_000;
const REPEATS_MIN = 4;
/** A task that never slept in the window is a soft lockup only if it ran at least this long. */
const SPIN_STEPS_MIN = 1_000;

interface TaskWindow {
  steps: number;
  /** Steps since the task last slept (blocked) in the window; -1 once it slept. */
  sinceSleep: number;
}

/** The fair continuation of one execution, from the step bound on. */
export class FairContinuation {
  private readonly sigs: number[] = [];
  private readonly labelIds = new Map<string, number>();
  private readonly labels: string[] = [];
  private readonly perTask = new Map<Task, TaskWindow>();

  constructor(readonly startStep: number) {}

  /** Round-robin: the runnable task after the current one by id; 0 for every other kind. */
  choose(kind: ChoiceKind, ctx: ChoiceContext): number {
    const ids = ctx.taskIds;
    if (kind !== "schedule" || ids === undefined) return 0;
    const cur = ctx.currentTaskId ?? -1;
    let best = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const bestId = ids[best] as number;
      const after = (x: number) => (x > cur ? x - cur : x - cur + 1_000_000);
      if (after(id) < after(bestId)) best = i;
    }
    return best;
  }

  /** One step of `t` that ended at `label` ("done" when the task finished). */
  record(t: Task, label: string, slept: boolean): void {
    let id = this.labelIds.get(label);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(label);
      this.labelIds.set(label, id);
    }
    this.sigs.push(id * 65_536 + t.id * 64 + t.cpu);
    let w = this.perTask.get(t);
    if (w === undefined) {
      w = { steps: 0, sinceSleep: 0 };
      this.perTask.set(t, w);
    }
    w.steps++;
    if (slept) w.sinceSleep = -1;
    else if (w.sinceSleep >= 0) w.sinceSleep++;
  }

  over(step: number): boolean {
    return step > this.startStep + FAIR_WINDOW_STEPS;
  }

  /** The report for an execution still running at the end of the window, or null. */
  classify(k: Kernel): KernelBug | null {
    const period = this.tailPeriod();
    if (period !== null) return this.livelock(k, period);
    for (const [t, w] of this.perTask) {
      // Never slept in the whole window (tasks spinning side by side share it round-robin).
      if (t.state !== "done" && w.sinceSleep === w.steps && w.steps >= SPIN_STEPS_MIN) {
        return softLockup(t, w.sinceSleep, "in a loop that never sleeps");
      }
    }
    return null;
  }

  /** The smallest period P with the tail of the window P-periodic, REPEATS_MIN times or more. */
  private tailPeriod(): number | null {
    const s = this.sigs;
    const n = s.length;
    const tail = Math.min(TAIL_STEPS, n);
    if (tail < REPEATS_MIN) return null;
    const last = s[n - 1];
    for (let p = 1; p * REPEATS_MIN <= tail; p++) {
      if (s[n - 1 - p] !== last) continue;
      let ok = true;
      for (let j = n - tail + p; j < n; j++) {
        if (s[j] !== s[j - p]) {
          ok = false;
          break;
        }
      }
      if (ok) return p;
    }
    return null;
  }

  private livelock(k: Kernel, period: number): KernelBug {
    const cycle = this.sigs.slice(this.sigs.length - period);
    const involved = new Map<number, number>();
    for (const sig of cycle) {
      const id = Math.floor(sig / 64) % 1024;
      involved.set(id, (involved.get(id) ?? 0) + 1);
    }
    const mostId = [...involved.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
    const t = k.tasks[mostId] as Task;
    const shown = cycle.slice(0, 12).map((sig) => {
      const task = k.tasks[Math.floor(sig / 64) % 1024] as Task;
      return `  ${task.name}/${task.id} cpu${sig % 64}: ${this.labels[Math.floor(sig / 65_536)]}`;
    });
    if (cycle.length > shown.length) shown.push(`  ... (${cycle.length - shown.length} more)`);
    return new KernelBug(
      "livelock",
      `BUG: livelock: task ${t.name}:${t.id} retries forever on CPU#${t.cpu} without progress`,
      [
        `After the step bound (${this.startStep - 1} steps), a fair continuation ran every runnable task in turn`,
        `(no migration, fault or reclaim) for ${FAIR_WINDOW_STEPS} steps. Its last ${Math.min(TAIL_STEPS, this.sigs.length)} steps repeat one cycle`,
        `of ${period} scheduling point(s) ${Math.floor(Math.min(TAIL_STEPS, this.sigs.length) / period)} times, and no task finished in it:`,
        ...shown,
        "A loop waiting for another task would have let that task run in this continuation; this one",
        "waits for a state that never changes.",
        "",
        ...taskLines(k),
      ],
    );
  }
}

/** "watchdog: BUG: soft lockup - CPU#n stuck for 22s! [name:pid]" */
export function softLockup(t: Task, steps: number, how: string): KernelBug {
  return new KernelBug(
    "soft-lockup",
    `watchdog: BUG: soft lockup - CPU#${t.cpu} stuck for 22s! [${t.name}:${t.id}]`,
    [
      `CPU: ${t.cpu} PID: ${t.id} Comm: ${t.name}`,
      `(model: ${t.name} ran ${steps} steps without scheduling, ${how}; the kernel measures seconds,`,
      " and 22s is what a kernel with watchdog_thresh=10 prints first)",
      ...heldLocksLines(t),
      "Call Trace:",
      ...callTrace(t),
    ],
  );
}

/**
 * Nothing can run and some tasks are blocked. A task whose wait has no live holder (the holder
 * exited, or nothing holds what it waits for) can never be woken: hung_task's report. Otherwise
 * the blocked tasks wait for each other: a deadlock.
 */
export function stallReport(k: Kernel, blocked: readonly Task[]): KernelBug | null {
  const gone = (t: Task) => (t.blockedOn?.holders() ?? []).every((h) => h.state === "done");
  const hung = blocked.filter(gone);
  const first = hung[0];
  if (first === undefined) return null;
  // hung_task reports every task blocked too long: the ones nobody can wake first, then those
  // that wait for them.
  const lines: string[] = [];
  for (const t of [...hung, ...blocked.filter((b) => !gone(b))]) {
    if (t !== first) lines.push(`INFO: task ${t.name}:${t.id} blocked for more than 120 seconds.`);
    lines.push(
      '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
      `task:${t.name} state:D pid:${t.id} cpu:${t.cpu} waiting for ${k.describeWait(t)}`,
      `(model: blocked forever: nothing can run, and ${whoIsGone(t)})`,
      "Call Trace:",
      ...callTrace(t),
    );
  }
  lines.push("", "Showing all locks held in the system:");
  const holders = k.tasks.filter((t) => t.heldLocks.length > 0);
  for (const t of holders) {
    const exited = (l: string, j: number) =>
      j === 0 && t.state === "done" ? l.replace(/:$/, " (exited):") : l;
    lines.push(...heldLocksLines(t).map(exited));
  }
  if (holders.length === 0) lines.push("(none)");
  lines.push("=============================================");
  return new KernelBug(
    "hung-task",
    `INFO: task ${first.name}:${first.id} blocked for more than 120 seconds.`,
    lines,
  );
}

function whoIsGone(t: Task): string {
  const holders = t.blockedOn?.holders() ?? [];
  if (holders.length === 0) return "no task is left that could wake it";
  const live = holders.filter((h) => h.state !== "done");
  if (live.length > 0)
    return `it waits for ${live.map((h) => `${h.name}/${h.id}`).join(", ")}, blocked too`;
  return `its holder${holders.length > 1 ? "s" : ""} ${holders.map((h) => `${h.name}/${h.id}`).join(", ")} exited without releasing it`;
}

function callTrace(t: Task): string[] {
  if (t.callStack.length === 0) return [` ${t.name}`];
  return [...t.callStack].reverse().map((f) => ` ${f}`);
}

/** Every task that has not finished: state, CPU, what it waits for, its locks. */
function taskLines(k: Kernel): string[] {
  const lines: string[] = [];
  for (const t of k.tasks) {
    if (t.state === "done") continue;
    const state = t.state === "blocked" ? `D waiting for ${k.describeWait(t)}` : "R";
    lines.push(`task:${t.name} pid:${t.id} cpu:${t.cpu} state:${state}`);
    lines.push(...heldLocksLines(t).map((l) => `  ${l}`));
    if (t.callStack.length > 0) lines.push(`  in ${[...t.callStack].reverse().join(" <- ")}`);
  }
  return lines;
}
