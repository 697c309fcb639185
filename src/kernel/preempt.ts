/**
 * Preemption and migration control: preempt_disable()/preempt_enable() and
 * migrate_disable()/migrate_enable() (include/linux/preempt.h, kernel/sched/core.c).
 *
 * Both are depths on the current task. The executor never switches away from a task whose
 * preemption is disabled, and never moves a task whose migration is disabled; might_sleep()
 * and `k.blockCurrent` report sleeping with preemption disabled.
 *
 * CPU offline waits for migrate-disabled ("pinned") tasks to leave the dying CPU's pinned state
 * (sched_cpu_wait_empty() in the kernel waits for rq->nr_pinned to drop): `waitCpuUnpinned`
 * is that wait, and `migrateEnable` wakes it.
 *
 * Simplification: preempt_enable() is not itself a preemption point here (it is sync); the
 * task's next effect is. Nothing in between can observe the difference.
 */
import { idKey } from "./access.ts";
import type { Op } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { KernelBug } from "./report.ts";
import { siteLines, siteOf } from "./site.ts";
import type { Task } from "./task.ts";
import { checkWaitCycle } from "./waitfor.ts";

/** preempt_disable(): nests; the current task runs alone until the matching enable. */
export function preemptDisable(k: Kernel): void {
  k.task.preemptDisableDepth++;
}

/** preempt_enable(): an enable without a matching disable is reported. */
export function preemptEnable(k: Kernel): void {
  const t = k.task;
  if (t.preemptDisableDepth <= 0) {
    throw new KernelBug("assertion", "WARNING: preempt_count underflow in preempt_enable()", [
      `${t.name}/${t.id} enables preemption at depth ${t.preemptDisableDepth}: no matching preempt_disable()`,
      ...siteLines("preempt_enable called", siteOf(k)),
    ]);
  }
  t.preemptDisableDepth--;
}

/** migrate_disable(): nests; the current task stays on its CPU until the matching enable. */
export function migrateDisable(k: Kernel): void {
  const t = k.task;
  // CPU offline reads every task's pinning (pinnedTasks).
  k.fp?.write(idKey("pin:", t.id));
  t.migrateDisableDepth++;
}

/** migrate_enable(): wakes a CPU offline waiting for this task to unpin. */
export function migrateEnable(k: Kernel): void {
  const t = k.task;
  if (t.migrateDisableDepth <= 0) {
    throw new KernelBug("assertion", "WARNING: migrate_enable() without migrate_disable()", [
      `${t.name}/${t.id} enables migration at depth ${t.migrateDisableDepth}`,
      ...siteLines("migrate_enable called", siteOf(k)),
    ]);
  }
  k.fp?.write(idKey("pin:", t.id));
  t.migrateDisableDepth--;
  if (t.migrateDisableDepth === 0) wakeUnpinWaiters(k, k.cpu);
}

/** Tasks pinned (migration disabled) on `cpu` that have not exited. */
export function pinnedTasks(k: Kernel, cpu: number): Task[] {
  k.fp?.read("tasks");
  return k.tasks.filter((t) => {
    k.fp?.read(idKey("pin:", t.id));
    k.fp?.read(idKey("cpu:", t.id));
    if (t.migrateDisableDepth === 0 || t.state === "done") return false;
    t.cpuReads++;
    return t.cpu === cpu;
  });
}

interface UnpinWaiter {
  readonly task: Task;
  readonly cpu: number;
}

function unpinWaiters(k: Kernel): UnpinWaiter[] {
  return k.subsystem("migrate_disable", () => [] as UnpinWaiter[]);
}

function wakeUnpinWaiters(k: Kernel, cpu: number): void {
  const waiters = unpinWaiters(k);
  k.fp?.write("unpin");
  for (let i = waiters.length - 1; i >= 0; i--) {
    const w = waiters[i] as UnpinWaiter;
    if (w.cpu !== cpu || w.task.state !== "blocked") continue;
    waiters.splice(i, 1);
    k.wake(w.task);
  }
}

/**
 * Blocks the current task until no task on `cpu` has migration disabled (the hotplug wait of
 * sched_cpu_wait_empty()). The wait-for graph sees the pinned tasks as what it waits for, so a
 * pinned task blocked on something the waiter holds is reported as a deadlock.
 */
export function* waitCpuUnpinned(k: Kernel, cpu: number): Op<void> {
  const t = k.task;
  for (let rounds = 0; pinnedTasks(k, cpu).length > 0; rounds++) {
    if (rounds > 10_000) throw new Error(`waitCpuUnpinned(cpu${cpu}): more than 10,000 wakeups`);
    k.note(`wait for pinned tasks on cpu${cpu}`);
    k.fp?.write("unpin");
    unpinWaiters(k).push({ task: t, cpu });
    t.blockedOn = { name: `cpu${cpu} pinned tasks`, holders: () => pinnedTasks(k, cpu) };
    checkWaitCycle(k, t);
    yield* k.blockCurrent(`migrate-disabled tasks on cpu${cpu}`);
    t.blockedOn = null;
  }
}
