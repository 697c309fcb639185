/**
 * Spinlocks (include/linux/spinlock.h), with owners and lockdep.
 *
 * spin_lock() disables preemption, and a preempt-disabled task runs alone in the simulator, so
 * two tasks never spin against each other here. Finding the lock held by another task therefore
 * means the holder left without unlocking (it exited with the lock held; sleeping with it held
 * is reported earlier, by might_sleep() or `k.blockCurrent`): that is reported as the lockup it
 * would be in the kernel.
 */
import { nameKey } from "./access.ts";
import type { Kernel } from "./kernel.ts";
import { heldLocksLines, lockAcquire, lockRelease } from "./lockdep.ts";
import { preemptDisable, preemptEnable } from "./preempt.ts";
import { KernelBug } from "./report.ts";
import { siteLines, siteOf } from "./site.ts";
import type { Task } from "./task.ts";
import { traceLock } from "./trace_event.ts";

export class Spinlock {
  /** The task holding the lock (spinlock debugging's `owner`). */
  owner: Task | null = null;

  constructor(
    /** This instance, e.g. "zswap_pools_lock". */
    readonly name: string,
    /** The lockdep class. */
    readonly cls: string = name,
  ) {}
}

/** spin_lock(): disables preemption, then takes the lock. Never sleeps. */
export function spinLock(k: Kernel, s: Spinlock): void {
  preemptDisable(k);
  k.fp?.write(nameKey("spin:", s.name));
  // lockdep first, as in the kernel: a recursive acquisition is reported before it would spin.
  lockAcquire(k, s.cls, s.name);
  if (s.owner !== null) throw lockupReport(k, s, s.owner);
  s.owner = k.task;
  traceLock(k, "spin_lock", s.name);
}

/** spin_trylock(): takes the lock if it is free; preemption stays enabled on failure. */
export function spinTrylock(k: Kernel, s: Spinlock): boolean {
  k.fp?.write(nameKey("spin:", s.name));
  if (s.owner !== null) return false;
  preemptDisable(k);
  lockAcquire(k, s.cls, s.name, { trylock: true });
  s.owner = k.task;
  traceLock(k, "spin_trylock", s.name);
  return true;
}

/** spin_unlock(): only the owner may unlock; re-enables preemption. */
export function spinUnlock(k: Kernel, s: Spinlock): void {
  const t = k.task;
  if (s.owner !== t) {
    throw new KernelBug(
      "assertion",
      `BUG: spinlock wrong owner on CPU#${t.cpu}, ${t.name}/${t.id}`,
      [
        ` lock: ${s.name}, .owner: ${s.owner === null ? "<none>" : `${s.owner.name}/${s.owner.id}`}`,
        ...siteLines("spin_unlock called", siteOf(k)),
      ],
    );
  }
  k.fp?.write(nameKey("spin:", s.name));
  lockRelease(k, s.name);
  traceLock(k, "spin_unlock", s.name, true);
  s.owner = null;
  preemptEnable(k);
}

export function spinIsLocked(s: Spinlock): boolean {
  return s.owner !== null;
}

/** lockdep_assert_held(): for functions named ...Locked. */
export function spinAssertHeld(k: Kernel, s: Spinlock): void {
  k.fp?.read(nameKey("spin:", s.name));
  if (s.owner !== k.task) {
    throw new KernelBug("assertion", `WARNING: lockdep_assert_held(${s.name}) failed`, [
      `held by ${s.owner?.name ?? "nobody"}, not by ${k.task.name}`,
    ]);
  }
}

function lockupReport(k: Kernel, s: Spinlock, owner: Task): KernelBug {
  const t = k.task;
  return new KernelBug(
    "deadlock",
    `BUG: spinlock lockup suspected on CPU#${t.cpu}, ${t.name}/${t.id}`,
    [
      ` lock: ${s.name}, .owner: ${owner.name}/${owner.id} (${owner.state}), .owner_cpu: ${owner.cpu}`,
      `${owner.name} is not running but holds the spinlock (it ${owner.state === "done" ? "exited" : "was switched away"} with the lock held):`,
      ...heldLocksLines(owner).map((l) => `  ${l}`),
      "",
      ...siteLines("spin_lock attempted", siteOf(k)),
    ],
  );
}
