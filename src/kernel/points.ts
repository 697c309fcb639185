/**
 * Preemption points: where the simulator may switch away from a running task (or migrate it).
 *
 * A fully preemptible kernel (CONFIG_PREEMPT) can be preempted between any two instructions
 * unless preemption is disabled. The model cannot explore every instruction, so it places
 * points where a switch can change what happens, in kinds that a points level turns on:
 *
 * - sleeping calls (always on): mutex_lock() before it acquires, a sleeping kmalloc(),
 *   synchronize_rcu(), waits, percpu_ref release and kill. These are the points of level "sleep".
 * - "lock": right after a sleeping lock is acquired and right after it is released (a waiter
 *   it woke, or anyone else, may run before the holder's next statement).
 * - "percpu": after raw_cpu_ptr()/this_cpu_ptr() read the current CPU's slot (the task may
 *   migrate before it uses the slot).
 * - "ref": after percpu_ref_tryget*() succeeds and after a percpu_ref_put() that did not reach
 *   zero (the reference may be the last one keeping the object alive a moment later).
 * - "free": after kfree() (the freeing task may be preempted before it clears its pointer).
 * - "rcu": inside RCU read-side critical sections, after an RCU-protected pointer is read
 *   (PREEMPT_RCU: a reader may be preempted; a grace period must wait for it).
 *
 * No point is taken where the kernel cannot preempt: a task with preemption disabled (a
 * spinlock held, preempt_disable(), softirq context such as an RCU callback) passes its points
 * without yielding, and the executor never migrates a migrate-disabled task.
 *
 * Real mode never yields at these points: nothing explores interleavings there.
 */
import { NO_EFFECTS, type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";

export type PointKind = "lock" | "percpu" | "ref" | "free" | "rcu";

export const POINT_KINDS: readonly PointKind[] = ["lock", "percpu", "ref", "free", "rcu"];

/** The levels `check --points` accepts, cheapest first. */
export const POINTS_LEVELS = ["sleep", "access", "all"] as const;

export type PointsLevel = (typeof POINTS_LEVELS)[number];

/**
 * What each level adds to the sleeping calls' points. "access" has every kind but "lock": the
 * points after lock and unlock cost the most (they more than double the matrix's executions,
 * docs/checking.md) and the others cost about a tenth each.
 */
export const LEVEL_KINDS: Readonly<Record<PointsLevel, readonly PointKind[]>> = {
  sleep: [],
  access: ["percpu", "ref", "free", "rcu"],
  all: POINT_KINDS,
};

/**
 * The level `check` uses when none is given: the deepest level at which the default bounds stay
 * complete and the matrix stays under a minute (measured in docs/checking.md, "Points levels").
 */
export const DEFAULT_POINTS: PointsLevel = "access";

export function isPointsLevel(s: string): s is PointsLevel {
  return (POINTS_LEVELS as readonly string[]).includes(s);
}

const KIND_BIT: Readonly<Record<PointKind, number>> = {
  lock: 1,
  percpu: 2,
  ref: 4,
  free: 8,
  rcu: 16,
};

/** The bit mask of point kinds a level turns on. */
export function pointMask(level: PointsLevel): number {
  let mask = 0;
  for (const kind of LEVEL_KINDS[level]) mask |= KIND_BIT[kind];
  return mask;
}

/** Whether points of `kind` are on (never in real mode, where the mask is 0). */
export function pointOn(k: Kernel, kind: PointKind): boolean {
  return (k.pointMask & KIND_BIT[kind]) !== 0;
}

/**
 * A preemption point of `kind`: yields to the scheduler when the kernel's points level has the
 * kind on and the current task can be preempted here.
 */
export function preemptPoint(k: Kernel, kind: PointKind, label: string): Op<void> {
  // Decided at the call, which is where `yield*` starts the operation anyway; a point that is
  // off (every point in real mode) costs no generator.
  if ((k.pointMask & KIND_BIT[kind]) === 0) return NO_EFFECTS;
  const t = k.current;
  if (t === null || t.preemptDisableDepth > 0) return NO_EFFECTS;
  return sched(label);
}
