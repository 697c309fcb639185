/**
 * Sleeping mutexes (kernel/locking/mutex.c), with owners, FIFO waiters and lockdep.
 *
 * Simplification: unlock hands the mutex to the first waiter (no optimistic spinning or lock
 * stealing). That only removes schedules where a newcomer overtakes a waiter, which the
 * lifecycle bugs do not depend on.
 */
import { nameKey } from "./access.ts";
import { NO_EFFECTS, type Op, pointLabel, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { heldLocksLines, lockAcquire, lockRelease } from "./lockdep.ts";
import { mightSleep } from "./memory.ts";
import { preemptPoint } from "./points.ts";
import { KernelBug } from "./report.ts";
import { siteLines, siteOf } from "./site.ts";
import type { Task, Waitable } from "./task.ts";
import { traceLock } from "./trace_event.ts";
import { checkWaitCycle } from "./waitfor.ts";

export class Mutex implements Waitable {
  owner: Task | null = null;
  readonly waiters: Task[] = [];
  /** Times mutex_init ran on this mutex (C2: never while held). */
  inits = 0;

  constructor(
    /** This instance, e.g. "ctx(pool1,cpu0)->mutex". */
    readonly name: string,
    /** The lockdep class shared by all mutexes initialized at one place. */
    readonly cls: string = name,
  ) {}

  holders(): readonly Task[] {
    return this.owner === null ? [] : [this.owner];
  }
}

/** mutex_init(): re-initializing a held mutex loses its state and is reported. */
export function mutexInit(k: Kernel, m: Mutex): void {
  if (m.owner !== null) {
    const site = siteOf(k);
    throw new KernelBug("assertion", `WARNING: mutex_init() on locked mutex ${m.name}`, [
      `${m.name} is held by ${m.owner.name} (cpu ${m.owner.cpu}); re-initializing it would let a second task in`,
      `and lose ${m.waiters.length} waiter(s).`,
      ...heldLocksLines(m.owner),
      "",
      ...siteLines("mutex_init called", site),
    ]);
  }
  k.fp?.write(nameKey("mutex:", m.name));
  m.waiters.length = 0;
  m.inits++;
}

/**
 * mutex_lock(): a preemption point, then acquire or sleep until handed the lock. Acquiring a
 * free mutex is followed by a "lock" point; a waiter handed the lock needs none, because being
 * picked to run after the wakeup already was a scheduling decision.
 */
export function mutexLock(k: Kernel, m: Mutex): Op<void> {
  mightSleep(k, "mutex_lock()", m.name);
  // A preemption point matters only to the simulator; the real executor would continue at once.
  // So in real mode a free mutex is taken here, at the call (where `yield*` would start a
  // generator), and no generator is made.
  if (k.mode === "sim" || m.owner !== null) return mutexLockSlow(k, m);
  lockAcquire(k, m.cls, m.name);
  return mutexTakeFree(k, m);
}

/** A free mutex becomes the current task's; then the "lock" point. */
function mutexTakeFree(k: Kernel, m: Mutex): Op<void> {
  k.fp?.write(nameKey("mutex:", m.name));
  m.owner = k.task;
  traceLock(k, "mutex_lock", m.name);
  // The label is looked up only when some point is on (never in real mode).
  return k.pointMask === 0 ? NO_EFFECTS : preemptPoint(k, "lock", pointLabel("acquired", m.name));
}

function* mutexLockSlow(k: Kernel, m: Mutex): Op<void> {
  if (k.mode === "sim") yield* sched(pointLabel("mutex_lock", m.name));
  const t = k.task;
  k.fp?.write(nameKey("mutex:", m.name));
  lockAcquire(k, m.cls, m.name);
  if (m.owner === null) {
    yield* mutexTakeFree(k, m);
    return;
  }
  m.waiters.push(t);
  t.blockedOn = m;
  checkWaitCycle(k, t);
  yield* k.blockCurrent(m.name);
  t.blockedOn = null;
  if (m.owner !== t) throw new Error(`mutex ${m.name}: woken waiter ${t.name} does not own it`);
  traceLock(k, "mutex_lock", m.name);
}

/** mutex_trylock(): takes the mutex if it is free; never sleeps. */
export function mutexTrylock(k: Kernel, m: Mutex): boolean {
  const t = k.task;
  k.fp?.write(nameKey("mutex:", m.name));
  if (m.owner !== null) return false;
  lockAcquire(k, m.cls, m.name, { trylock: true });
  m.owner = t;
  traceLock(k, "mutex_trylock", m.name);
  return true;
}

/** mutex_unlock(): only the owner may unlock; hands off to the first waiter. */
export function mutexUnlock(k: Kernel, m: Mutex): void {
  const t = k.task;
  k.fp?.write(nameKey("mutex:", m.name));
  if (m.owner !== t) {
    throw new KernelBug(
      "assertion",
      `WARNING: DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current) for ${m.name}`,
      [`${t.name} unlocks ${m.name}, owned by ${m.owner?.name ?? "nobody"}`],
    );
  }
  lockRelease(k, m.name);
  traceLock(k, "mutex_unlock", m.name, true);
  const next = m.waiters.shift() ?? null;
  m.owner = next;
  if (next !== null) k.wake(next);
}

/**
 * mutex_unlock() in generator code, with the "lock" preemption point after it: the woken waiter
 * (or any other task) may run before the unlocker's next statement. `mutexUnlock` is for
 * synchronous callers (a design's `release` hook; its caller adds the point).
 */
export function* mutexUnlockAndYield(k: Kernel, m: Mutex): Op<void> {
  mutexUnlock(k, m);
  yield* preemptPoint(k, "lock", pointLabel("released", m.name));
}

export function mutexIsLocked(m: Mutex): boolean {
  return m.owner !== null;
}

/** lockdep_assert_held(): for functions named ...Locked. */
export function mutexAssertHeld(k: Kernel, m: Mutex): void {
  k.fp?.read(nameKey("mutex:", m.name));
  if (m.owner !== k.task) {
    throw new KernelBug("assertion", `WARNING: lockdep_assert_held(${m.name}) failed`, [
      `held by ${m.owner?.name ?? "nobody"}`,
    ]);
  }
}
