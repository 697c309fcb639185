/**
 * RCU-lite: read-side critical sections, synchronize_rcu() and call_rcu() (kernel/rcu/).
 *
 * The model is preemptible RCU (CONFIG_PREEMPT_RCU): rcu_read_lock() only counts nesting on
 * the task, so readers may be preempted and migrated, which gives the checker every
 * interleaving a non-preemptible kernel has and more. Sleeping inside a reader is reported by
 * might_sleep() and `k.blockCurrent`.
 *
 * A grace period waits for exactly the readers that were inside a read-side critical section
 * when it started: synchronize_rcu() snapshots them and sleeps until each has left its
 * outermost section; later readers do not delay it.
 *
 * call_rcu() callbacks run after a grace period on an "rcu_callback" task, with preemption
 * disabled, because the kernel runs them from softirq context: a callback must not sleep.
 */
import { idKey } from "./access.ts";
import { type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { mightSleep } from "./memory.ts";
import { preemptDisable, preemptEnable } from "./preempt.ts";
import { KernelBug } from "./report.ts";
import { siteLines, siteOf } from "./site.ts";
import type { Task } from "./task.ts";
import { checkWaitCycle } from "./waitfor.ts";

interface GracePeriodWaiter {
  readonly task: Task;
  /** Readers that were inside when the grace period started and have not left yet. */
  readonly pending: Set<Task>;
}

class RcuState {
  readonly waiters: GracePeriodWaiter[] = [];
  /** Completed grace periods (synchronize_rcu() returns). */
  completed = 0;
}

function rcu(k: Kernel): RcuState {
  return k.subsystem("rcu", () => new RcuState());
}

/** rcu_read_lock(): nests; does not disable preemption (preemptible RCU). */
export function rcuReadLock(k: Kernel): void {
  const t = k.task;
  // synchronize_rcu() reads every task's depth.
  k.fp?.write(idKey("rcu:", t.id));
  t.rcuReadDepth++;
}

/** rcu_read_unlock(): leaving the outermost section may end waiting grace periods. */
export function rcuReadUnlock(k: Kernel): void {
  const t = k.task;
  if (t.rcuReadDepth <= 0) {
    throw new KernelBug("assertion", "WARNING: rcu_read_unlock() without rcu_read_lock()", [
      `${t.name}/${t.id} is not in an RCU read-side critical section`,
      ...siteLines("rcu_read_unlock called", siteOf(k)),
    ]);
  }
  k.fp?.write(idKey("rcu:", t.id));
  t.rcuReadDepth--;
  if (t.rcuReadDepth > 0) return;
  const state = rcu(k);
  // Readers commute with each other; a reader that ends a grace period's wait does not.
  k.fp?.read("rcu");
  if (state.waiters.length > 0) k.fp?.write("rcu");
  for (let i = state.waiters.length - 1; i >= 0; i--) {
    const w = state.waiters[i] as GracePeriodWaiter;
    if (!w.pending.delete(t) || w.pending.size > 0) continue;
    state.waiters.splice(i, 1);
    k.wake(w.task);
  }
}

/** Whether the current task is inside an RCU read-side critical section. */
export function rcuReadLockHeld(k: Kernel): boolean {
  return k.task.rcuReadDepth > 0;
}

/**
 * synchronize_rcu(): a preemption point; then waits until every task that was inside a
 * read-side critical section has left it.
 */
export function* synchronizeRcu(k: Kernel): Op<void> {
  mightSleep(k, "synchronize_rcu()");
  yield* sched("synchronize_rcu");
  const t = k.task;
  const state = rcu(k);
  k.fp?.write("rcu");
  k.fp?.read("tasks");
  if (k.fp) for (const r of k.tasks) k.fp.read(idKey("rcu:", r.id));
  const pending = new Set(k.tasks.filter((r) => r !== t && r.rcuReadDepth > 0));
  if (pending.size > 0) {
    state.waiters.push({ task: t, pending });
    t.blockedOn = { name: "rcu grace period", holders: () => [...pending] };
    checkWaitCycle(k, t);
    yield* k.blockCurrent("rcu grace period");
    t.blockedOn = null;
  }
  k.fp?.write("rcu");
  state.completed++;
}

/**
 * call_rcu(): runs `fn` after a grace period, on a new "rcu_callback" task on the caller's CPU
 * (the lowest online CPU at setup), with preemption disabled as in softirq context.
 */
export function callRcu(k: Kernel, fn: (k: Kernel) => Op<void>): void {
  const cur = k.current;
  if (cur !== null) cur.cpuReads++;
  if (cur !== null) k.fp?.read(idKey("cpu:", cur.id));
  k.fp?.read("cpus");
  const cpu =
    cur !== null && k.cpus.isOnline(cur.cpu) ? cur.cpu : (k.cpus.onlineList()[0] as number);
  k.note("call_rcu");
  k.spawn("rcu_callback", cpu, rcuCallback(k, fn));
}

function* rcuCallback(k: Kernel, fn: (k: Kernel) => Op<void>): Op<void> {
  yield* synchronizeRcu(k);
  preemptDisable(k);
  yield* fn(k);
  preemptEnable(k);
}

/** Completed grace periods so far (for tests and invariants). */
export function rcuCompletedGracePeriods(k: Kernel): number {
  return rcu(k).completed;
}
