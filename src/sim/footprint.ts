/**
 * Partial-order reduction for the bounded exhaustive search: migrations nobody observes.
 *
 * A "migrate" answer other than 0 moves a preempted task to another CPU and costs one unit of
 * the preemption bound. Its footprint is one variable, the task's CPU. The reads of that
 * variable that can change what happens are counted on the task (`Task.cpuReads`, at
 * smp_processor_id(), raw_cpu_ptr(), call_rcu(), hotplug moving tasks off a dying CPU, the
 * migrate_disable() bookkeeping, the writeback completion's CPU); reports and traces print the
 * CPU but do not count, because they do not change the steps.
 *
 * The rule: a migration of task t is *unobserved* when t's CPU is not read between it and t's
 * next migration (or t's end). An execution E with an unobserved migration at decision i
 * (moving t to X) and the next one at j (moving t to Y) has a twin E': i answered 0 (t stays),
 * j answered with whatever takes t to Y from where it stayed (0 if it stayed on Y). Every step
 * of E' reads what the same step of E read (nothing read t's CPU in between), so E' runs the
 * same steps, takes the same decisions after j, and fires the same detectors; and E' costs at
 * least one departure less (i is free, j costs at most what it cost). Without a j, E' is E with
 * i answered 0, one departure cheaper. By induction on the cost, every execution within the
 * bound has a twin within the bound with no unobserved migration. So the search may skip
 * every execution with one, and does so at two places:
 *
 * - at a migrate decision of a task whose last migration is still unobserved, a non-zero
 *   answer would close an unobserved window: the dfs never tries one (`ChoiceContext.redundant`);
 * - when a task ends with its last migration unobserved, the rest of the execution is
 *   redundant: it stops there (outcome "pruned"), and so does every execution sharing that prefix.
 *
 * Only decisions the strategy takes count: once the step bound is passed, the fair continuation
 * decides alone (and its liveness signatures read every CPU), so the windows close there.
 * Whether an execution is skipped depends on that execution alone, never on which executions
 * ran before it: the reduction composes with the dfs units of a split search (src/check/split.ts).
 */
import type { Task } from "../kernel/task.ts";

export class MigrationWindows {
  /** Each task with a migration not yet observed, and its `cpuReads` when it moved. */
  private readonly pending = new Map<Task, number>();

  /** Whether a non-zero migrate answer for `t` now would close an unobserved window. */
  redundantMove(t: Task): boolean {
    return this.pending.get(t) === t.cpuReads;
  }

  /** `t` moved to another CPU (a non-zero migrate answer). */
  moved(t: Task): void {
    this.pending.set(t, t.cpuReads);
  }

  /** `t` ended: whether its last migration was never observed (the execution is redundant). */
  endsUnobserved(t: Task): boolean {
    return this.pending.get(t) === t.cpuReads;
  }
}

/** Thrown inside the executor when the rest of an execution is redundant (see above). */
export class PrunedExecution extends Error {
  override name = "PrunedExecution";
}
