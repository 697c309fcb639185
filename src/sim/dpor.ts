/**
 * Dynamic partial-order reduction over the order of independent steps: sleep sets (Godefroid
 * 1996) on top of the bounded dfs, made sound under the preemption bound by a cost condition.
 *
 * A step is what a task runs between two scheduling decisions; its footprint (src/kernel/access.ts)
 * is what it read, wrote and added of shared state. Two steps of different tasks are independent
 * when their footprints do not conflict; then running them in either order reaches the same state
 * with each task seeing the same things (src/sim/commute.test.ts checks this on the scenarios).
 *
 * The dfs explores the options of a "schedule" decision in order. Once option p is explored at a
 * decision E (its whole subtree), every later option q at E may put p to *sleep*: along E.q..., p
 * stays asleep while each step taken is independent of p's first step at E; if the search then
 * schedules p, the execution X = E.q.u.p.w is equivalent to Y = E.p.q.u.w, in p's subtree,
 * which the dfs has explored (or skipped for a twin of its own). The execution is stopped there
 * (outcome "pruned", as the migration reduction's) and the dfs backtracks from it.
 *
 * Under the preemption bound this is sound only if Y costs no more than X (Coons, Musuvathi and
 * McKinley, "Bounded partial-order reduction", OOPSLA 2013: the bound makes independent steps
 * dependent). Counting the switches that differ between X and Y, for every continuation w,
 * cost(Y) <= cost(X) holds when at E the running task was p itself, runnable (q preempted p), or
 * when p's step at E ends with p blocked or finished. Only such p are put to sleep. Migrations
 * are matched one for one (each task is switched away after the same steps in X and Y), except
 * one: the task switched away from when X schedules p may migrate there, and Y has no switch
 * there when w starts with that task; so X is stopped only when that migrate decision answers 0,
 * and a task that migrates leaves every sleep set (its CPU, which its steps may read, changed).
 * docs/checking.md ("Partial-order reduction") has the argument in full.
 *
 * Fault, reclaim, pick and migrate decisions stay full branches. A step whose first run had
 * several variants (a fault inside it) sleeps with the union of their footprints.
 */
import { conflicts, type Footprint, unionFootprint } from "../kernel/access.ts";

/** What the dfs learned about one option of a schedule decision (its first step). */
export interface StepSummary {
  /** Owned by the summary (a copy of the first variant's footprint, then merged into). */
  fp: Map<string, number>;
  /** Whether some variant of the step ended with the task runnable (preempted, not blocked). */
  runnableAfter: boolean;
  /** Whether some variant ended runnable with preemption disabled (no switch possible there). */
  pinnedAfter: boolean;
}

/** Per schedule decision of the dfs tree: the options explored so far, by task id. */
export class DporNodeInfo {
  readonly explored = new Map<number, StepSummary>();

  record(taskId: number, fp: Footprint, runnableAfter: boolean, pinnedAfter: boolean): void {
    const old = this.explored.get(taskId);
    if (old === undefined) {
      this.explored.set(taskId, { fp: new Map(fp), runnableAfter, pinnedAfter });
      return;
    }
    for (const [key, m] of fp) old.fp.set(key, (old.fp.get(key) ?? 0) | m);
    old.runnableAfter ||= runnableAfter;
    old.pinnedAfter ||= pinnedAfter;
  }
}

/** The sleep set along one execution: task id -> the footprint of its step that was explored. */
export class SleepSet {
  private readonly asleep = new Map<number, Footprint>();
  /** Added at the last decision; they join after the step it scheduled (if independent). */
  private pending: Array<[number, Footprint]> = [];

  has(taskId: number): boolean {
    return this.asleep.has(taskId);
  }

  get size(): number {
    return this.asleep.size;
  }

  /**
   * At a schedule decision E that chose `chosen`: the options explored before it whose twin
   * costs no more (see the file comment) fall asleep once `chosen`'s step turns out independent.
   */
  decided(info: DporNodeInfo, chosen: number, prevId: number | null, prevRunnable: boolean): void {
    this.pending = [];
    for (const [id, s] of info.explored) {
      if (id === chosen || this.asleep.has(id)) continue;
      const preemptedHere = prevRunnable && prevId === id;
      if (s.pinnedAfter) continue;
      if (preemptedHere || !s.runnableAfter) this.pending.push([id, s.fp]);
    }
  }

  /** A step ended with footprint `fp`: sleepers it conflicts with wake up; pending ones join. */
  stepped(fp: Footprint): void {
    for (const [id, sfp] of this.asleep) if (conflicts(sfp, fp)) this.asleep.delete(id);
    for (const [id, sfp] of this.pending) if (!conflicts(sfp, fp)) this.asleep.set(id, sfp);
    this.pending = [];
  }

  /** `taskId` runs or migrates: it leaves the set. */
  wake(taskId: number): void {
    this.asleep.delete(taskId);
  }
}
