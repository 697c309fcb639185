/**
 * The commutation test: evidence that the step footprints (src/kernel/access.ts) are complete,
 * which the dynamic partial-order reduction (src/sim/dpor.ts) rests on.
 *
 * For an execution (a base strategy, usually random), every pair of adjacent steps of different
 * tasks that the footprints call independent is swapped: the execution is run again, driven by
 * its sequence of tasks with the pair exchanged (every task answers its own fault, reclaim and
 * pick decisions as before, and migrates so that each of its steps runs on the same CPU as
 * before). The swap must change nothing observable: the same steps must be possible (the second
 * task must be runnable before the first's step), each task's own trace (its notes, locks,
 * allocations, wake-ups, sleeps, bugs; object ids normalised, since they only name objects) must
 * be the same sequence, and the end must be the same (outcome, bug kind, zswap's statistics).
 * A footprint that misses an access shows up as a swap that changes something.
 */

import { conflictKey, conflicts } from "../kernel/access.ts";
import type { ChoiceKind } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { type ExecutionResult, SimExecutor, type StepRecord } from "../sim/executor.ts";
import type { Program } from "../sim/explore.ts";
import type { ChoiceContext, Strategy } from "../sim/strategy.ts";
import { RandomStrategy } from "../sim/strategy_random.ts";
import type { Trace } from "../sim/trace.ts";

/** One decision as the base execution took it, with the task it belongs to. */
interface TakenDecision {
  readonly kind: ChoiceKind;
  readonly n: number;
  readonly value: number;
  readonly taskId: number | null;
  readonly label: string;
}

/** Wraps a strategy and keeps every decision with its task. */
class Recording implements Strategy {
  readonly name: string;
  readonly taken: TakenDecision[] = [];
  constructor(private readonly inner: Strategy) {
    this.name = `recording(${inner.name})`;
  }
  choose(n: number, kind: ChoiceKind, ctx: ChoiceContext): number {
    const value = this.inner.choose(n, kind, ctx);
    this.taken.push({ kind, n, value, taskId: ctx.currentTaskId, label: ctx.label });
    return value;
  }
}

export class Diverged extends Error {
  override name = "Diverged";
}

/** Drives an execution by a sequence of tasks (one per step) and per-task decisions. */
class TaskSequence implements Strategy {
  readonly name = "task-sequence";
  executor: SimExecutor | null = null;
  private readonly queues = new Map<number, TakenDecision[]>();

  constructor(
    private readonly k: Kernel,
    private readonly seq: readonly number[],
    private readonly cpus: readonly number[],
    taken: readonly TakenDecision[],
  ) {
    for (const d of taken) {
      if (d.kind === "schedule" || isSwitchMigration(d)) continue;
      const id = d.taskId ?? -1;
      let q = this.queues.get(id);
      if (q === undefined) this.queues.set(id, (q = []));
      q.push(d);
    }
  }

  choose(n: number, kind: ChoiceKind, ctx: ChoiceContext): number {
    const done = (this.executor as SimExecutor).steps.length;
    if (kind === "schedule") {
      const want = this.seq[done];
      const v = ctx.taskIds?.indexOf(want ?? -1) ?? -1;
      if (v < 0) throw new Diverged(`step ${done}: task ${want} is not runnable`);
      return v;
    }
    if (kind === "migrate" && ctx.label.startsWith("migrate ") && !ctx.label.includes(" off cpu"))
      return this.migrateTo(n, ctx, done);
    const q = this.queues.get(ctx.currentTaskId ?? -1);
    const d = q?.shift();
    if (d === undefined || d.kind !== kind || d.n !== n)
      throw new Diverged(`step ${done}: task ${ctx.currentTaskId} took another decision (${kind})`);
    return d.value;
  }

  /** Moves the task switched away from to the CPU of its next step in the sequence. */
  private migrateTo(n: number, ctx: ChoiceContext, done: number): number {
    const t = this.k.tasks[ctx.currentTaskId ?? -1];
    if (t === undefined) throw new Diverged("migrate: no task");
    // The step being switched away from is not recorded yet: t's next step comes after it.
    let j = done + 1;
    while (j < this.seq.length && this.seq[j] !== t.id) j++;
    const target = j < this.seq.length ? (this.cpus[j] as number) : t.cpu;
    if (target === t.cpu) return 0;
    const others = this.k.cpus.onlineList().filter((c) => c !== t.cpu);
    const v = others.indexOf(target) + 1;
    if (v <= 0 || v >= n) throw new Diverged(`migrate: cpu${target} is not online`);
    return v;
  }
}

function isSwitchMigration(d: TakenDecision): boolean {
  return d.kind === "migrate" && !d.label.includes(" off cpu");
}

/** What a task did, in order, with the scheduler's own events and object ids left out. */
function perTask(trace: Trace): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const e of trace.events) {
    if (e.taskId < 0 || e.effect === "migrate") continue;
    if (e.effect === "choose" && (e.extra?.kind === "schedule" || e.extra?.kind === "migrate"))
      continue;
    let detail = e.detail;
    const cut = detail.indexOf("; ");
    if ((e.effect === "sched" || e.effect === "sleep") && cut >= 0) detail = detail.slice(0, cut);
    if (e.effect === "sched" || e.effect === "sleep")
      detail = detail.replace(/^(schedule|migrate) = .*/, "");
    detail = detail.replace(/#\d+/g, "#").replace(/ffff8880[0-9a-f]+/g, "ADDR");
    let list = out.get(e.taskId);
    if (list === undefined) out.set(e.taskId, (list = []));
    list.push(`${e.effect} ${detail}`);
  }
  return out;
}

export interface SwapFailure {
  readonly index: number;
  readonly tasks: readonly [number, number];
  readonly what: string;
}

export interface CommuteReport {
  readonly steps: number;
  /** Adjacent pairs of different tasks. */
  readonly pairs: number;
  /** Of those, the pairs the footprints call independent: each was swapped and run. */
  readonly swapped: number;
  readonly failures: readonly SwapFailure[];
}

interface Run {
  readonly r: ExecutionResult;
  readonly k: Kernel;
  readonly steps: readonly StepRecord[];
}

/** Keys the sink ignores (a test's knocked-out annotation), or null. */
export type Drop = ((key: string) => boolean) | null;

function runWith(program: Program, make: (k: Kernel) => Strategy, drop: Drop): Run {
  const k = new Kernel(program.config);
  program.setup(k);
  const strategy = make(k);
  const ex = new SimExecutor(k, strategy, {
    footprints: true,
    trace: true,
    ...(drop !== null ? { footprintDrop: drop } : {}),
  });
  if (strategy instanceof TaskSequence) strategy.executor = ex;
  const r = ex.run();
  return { r, k, steps: ex.steps };
}

/** The end state a swap must not change. */
function endOf(run: Run, digest: (k: Kernel) => string): string {
  const r = run.r;
  return `${r.outcome} ${r.bug?.kind ?? "-"} ${r.outcome === "bug" ? "" : digest(run.k)}`;
}

/**
 * Swaps every independent adjacent pair of one execution of `program` under `base` (see the
 * file comment). `digest` renders the state that must not change (e.g. zswap's statistics).
 */
export function commuteExecution(
  program: Program,
  base: () => Strategy,
  digest: (k: Kernel) => string = () => "",
  pairsMax = Number.POSITIVE_INFINITY,
  drop: Drop = null,
): CommuteReport {
  let rec: Recording | null = null;
  const orig = runWith(
    program,
    () => {
      rec = new Recording(base());
      return rec;
    },
    drop,
  );
  const taken = (rec as Recording | null)?.taken ?? [];
  const steps = orig.steps;
  const seq = steps.map((s) => s.taskId);
  const cpus = steps.map((s) => s.cpu);
  // A bug ends its step before it is recorded: the swapped runs must reach that step too.
  const last = orig.k.current;
  if (orig.r.outcome === "bug" && last !== null) {
    seq.push(last.id);
    cpus.push(last.cpu);
  }
  const want = perTask(orig.r.trace as Trace);
  const wantEnd = endOf(orig, digest);
  const failures: SwapFailure[] = [];
  let pairs = 0;
  let swapped = 0;
  // The last step may have been cut by a bug; it has no record and is not swapped.
  for (let i = 0; i + 1 < steps.length && swapped < pairsMax; i++) {
    const a = steps[i] as StepRecord;
    const b = steps[i + 1] as StepRecord;
    if (a.taskId === b.taskId) continue;
    pairs++;
    if (conflicts(a.fp, b.fp)) continue;
    // A task migrates only when switched away: a swap that leaves no switch where one of the
    // two moved cannot be scheduled (the reduction matches this, src/sim/dpor.ts).
    if (movedWithoutSwitch(steps, i)) continue;
    swapped++;
    const s2 = [...seq];
    s2[i] = b.taskId;
    s2[i + 1] = a.taskId;
    const c2 = [...cpus];
    c2[i] = b.cpu;
    c2[i + 1] = a.cpu;
    const what = trySwap(program, s2, c2, taken, want, wantEnd, digest);
    if (what !== null) failures.push({ index: i, tasks: [a.taskId, b.taskId], what });
  }
  return { steps: steps.length, pairs, swapped, failures };
}

/** Whether swapping steps i and i+1 would need a migration where no switch is left. */
function movedWithoutSwitch(steps: readonly StepRecord[], i: number): boolean {
  const a = steps[i] as StepRecord;
  const b = steps[i + 1] as StepRecord;
  const before = steps[i - 1];
  const after = steps[i + 2];
  if (after !== undefined && after.taskId === a.taskId && after.cpu !== a.cpu) return true;
  return before !== undefined && before.taskId === b.taskId && before.cpu !== b.cpu;
}

function trySwap(
  program: Program,
  seq: number[],
  cpus: number[],
  taken: readonly TakenDecision[],
  want: Map<number, string[]>,
  wantEnd: string,
  digest: (k: Kernel) => string,
): string | null {
  let run: Run;
  try {
    run = runWith(program, (k) => new TaskSequence(k, seq, cpus, taken), null);
  } catch (e) {
    if (e instanceof Diverged) return `diverged: ${e.message}`;
    throw e;
  }
  if (run.r.outcome !== "bug" && run.steps.length !== seq.length)
    return `ran ${run.steps.length} steps, not ${seq.length}`;
  const got = perTask(run.r.trace as Trace);
  for (const [id, lines] of want) {
    const other = got.get(id) ?? [];
    const n = Math.max(lines.length, other.length);
    for (let j = 0; j < n; j++) {
      if (lines[j] !== other[j])
        return `task ${id} event ${j}: '${lines[j] ?? "(none)"}' became '${other[j] ?? "(none)"}'`;
    }
  }
  const end = endOf(run, digest);
  return end === wantEnd ? null : `end '${wantEnd}' became '${end}'`;
}

/** Random base executions: `executions` seeds from `seed`. */
export function randomBase(seed: number): () => Strategy {
  return () => new RandomStrategy(seed);
}

export { conflictKey };
