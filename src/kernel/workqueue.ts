/**
 * Workqueues (kernel/workqueue.c), enough for zswap's release and shrink work.
 *
 * queue_work() on an idle item marks it pending and spawns a worker task
 * "kworker/u:<name>" (an unbound worker: it may migrate) on the lowest online CPU. The worker
 * clears pending before running the function, so the item can be queued again while it runs;
 * a work item never runs on two workers at once (the second instance waits for the first).
 * flush_work() waits for the last queued instance to finish.
 *
 * Lockdep sees a work item as a lock class "(work_completion)(<name>)", held by the worker while
 * the function runs and briefly taken by flush_work(), as in the kernel: flushing a work while
 * holding a lock that the work function takes is reported as circular locking even when no
 * execution deadlocks.
 */
import { nameKey } from "./access.ts";
import { type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { lockAcquire, lockRelease } from "./lockdep.ts";
import { mightSleep } from "./memory.ts";
import type { Task } from "./task.ts";
import { checkWaitCycle } from "./waitfor.ts";

export type WorkFn = (k: Kernel) => Op<void>;

export class Work {
  /** WORK_STRUCT_PENDING: queued and not yet started. */
  pending = false;
  /** The worker running the function now. */
  running: Task | null = null;
  /** Instances queued so far, and the last one that finished. */
  queued = 0;
  finished = 0;
  /** Worker task of each queued instance not yet finished. */
  readonly workers = new Map<number, Task>();
  /** Tasks waiting for an instance to finish: flushers, or the next instance (non-reentrancy). */
  readonly waiters: Array<{ task: Task; instance: number }> = [];
  /** The lockdep class of the work item. */
  readonly lockdepClass: string;

  constructor(
    readonly name: string,
    readonly fn: WorkFn,
  ) {
    this.lockdepClass = `(work_completion)(${name})`;
  }
}

/** queue_work(system_unbound_wq, work): false if it was already pending. */
export function queueWork(k: Kernel, work: Work): boolean {
  k.fp?.write(nameKey("work:", work.name));
  if (work.pending) return false;
  work.pending = true;
  const instance = ++work.queued;
  k.fp?.read("cpus");
  const cpu = k.cpus.onlineList()[0] as number;
  const task = k.spawn(`kworker/u:${work.name}`, cpu, workerBody(k, work, instance));
  work.workers.set(instance, task);
  k.note(`queue_work ${work.name} #${instance}`);
  return true;
}

/** work_pending(). */
export function workPending(work: Work): boolean {
  return work.pending;
}

function* workerBody(k: Kernel, work: Work, instance: number): Op<void> {
  k.fp?.write(nameKey("work:", work.name));
  if (work.running !== null)
    yield* waitInstance(k, work, instance - 1, `${work.name} #${instance - 1}`);
  k.fp?.write(nameKey("work:", work.name));
  work.running = k.task;
  work.pending = false;
  lockAcquire(k, work.lockdepClass, work.lockdepClass);
  yield* work.fn(k);
  lockRelease(k, work.lockdepClass);
  k.fp?.write(nameKey("work:", work.name));
  work.running = null;
  work.finished = instance;
  work.workers.delete(instance);
  for (let i = work.waiters.length - 1; i >= 0; i--) {
    const w = work.waiters[i] as { task: Task; instance: number };
    if (w.instance > instance) continue;
    work.waiters.splice(i, 1);
    k.wake(w.task);
  }
}

/** flush_work(): waits until the last queued instance has finished. */
export function* flushWork(k: Kernel, work: Work): Op<void> {
  mightSleep(k, `flush_work(${work.name})`);
  lockAcquire(k, work.lockdepClass, work.lockdepClass);
  lockRelease(k, work.lockdepClass);
  yield* sched(`flush_work ${work.name}`);
  k.fp?.write(nameKey("work:", work.name));
  const target = work.queued;
  if (work.finished >= target) return;
  yield* waitInstance(k, work, target, `flush_work(${work.name})`);
}

function* waitInstance(k: Kernel, work: Work, instance: number, label: string): Op<void> {
  const t = k.task;
  work.waiters.push({ task: t, instance });
  t.blockedOn = {
    name: label,
    holders: () => {
      const w = work.workers.get(instance);
      return w === undefined ? [] : [w];
    },
  };
  checkWaitCycle(k, t);
  yield* k.blockCurrent(label);
  t.blockedOn = null;
}
