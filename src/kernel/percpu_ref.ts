/**
 * Per-CPU reference counts (include/linux/percpu-refcount.h, lib/percpu-refcount.c).
 *
 * Kept from the kernel:
 * - init allocates (it can fail: the allocation is labelled, so a scenario can make it
 *   faultable) and starts with the initial reference, count 1.
 * - tryget succeeds while the count is above zero, even after kill; tryget_live also needs the
 *   ref not to be killed (`__PERCPU_REF_DEAD`).
 * - kill marks the ref dead and drops the initial reference, but the switch to atomic mode
 *   completes only after an RCU grace period (percpu_ref_switch_to_atomic_rcu()). Until then
 *   the switch holds a reference of its own, so the count cannot reach zero and `release` is
 *   not called before the grace period; if nobody else holds a reference, `release` runs at the
 *   end of the grace period from the RCU callback (atomic context). Otherwise the last put
 *   calls it, on the putting task.
 * - resurrect requires a killed ref, clears the dead flag and takes the initial reference back.
 * - a second kill, a put below zero, an exit during a mode switch are reported; any use after
 *   exit is a KASAN use-after-free of the ref's data.
 *
 * Simplified: one counter instead of per-CPU counters plus an atomic; percpu mode is "not
 * killed and no switch in flight". The kernel detects a put below zero only once it is in
 * atomic mode; the model reports it at once.
 */
import { idKey } from "./access.ts";
import { NO_EFFECTS, type Op, pointLabel, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { GFP_KERNEL, type KObj, kfree, kmalloc, use } from "./memory.ts";
import { preemptPoint } from "./points.ts";
import { callRcu } from "./rcu.ts";
import { KernelBug } from "./report.ts";
import { siteLines, siteOf } from "./site.ts";

export type PercpuRefRelease = (k: Kernel) => Op<void>;

export class PercpuRef {
  /** References held, the initial one included (and the mode switch's while it is in flight). */
  count = 1;
  /** percpu_ref_kill() was called and not undone by resurrect (`__PERCPU_REF_DEAD`). */
  killed = false;
  /** percpu_ref_exit() freed the ref's data. */
  dead = false;
  /** A kill's switch to atomic mode waits for its RCU grace period. */
  switching = false;
  /** Times `release` was called. */
  releases = 0;

  constructor(
    readonly label: string,
    /** The tracked allocation behind the ref (percpu counters and percpu_ref_data). */
    readonly data: KObj<Record<string, never>>,
    readonly release: PercpuRefRelease,
  ) {}
}

/** percpu_ref_init(ref, release, 0, GFP_KERNEL): null when the allocation fails (-ENOMEM). */
export function* percpuRefInit(
  k: Kernel,
  label: string,
  release: PercpuRefRelease,
): Op<PercpuRef | null> {
  const data = yield* kmalloc(k, label, 64, GFP_KERNEL, () => ({}));
  if (data === null) return null;
  return new PercpuRef(label, data, release);
}

/** percpu_ref_get(): the ref must be live (count > 0). */
export function percpuRefGet(k: Kernel, ref: PercpuRef): void {
  use(k, ref.data, "percpu_ref_get");
  if (ref.count <= 0) throw refBug(k, ref, "percpu_ref_get() on a ref that reached zero");
  ref.count++;
}

/** percpu_ref_tryget(): succeeds while count > 0, killed or not. */
export function percpuRefTryget(k: Kernel, ref: PercpuRef): boolean {
  use(k, ref.data, "percpu_ref_tryget");
  if (ref.count <= 0) return false;
  ref.count++;
  return true;
}

/** percpu_ref_tryget_live(): succeeds only while the ref is not killed. */
export function percpuRefTrygetLive(k: Kernel, ref: PercpuRef): boolean {
  use(k, ref.data, "percpu_ref_tryget_live");
  if (ref.killed || ref.count <= 0) return false;
  ref.count++;
  return true;
}

/** percpu_ref_put(): the put that drops the count to zero calls `release` on this task. */
export function percpuRefPut(k: Kernel, ref: PercpuRef): Op<void> {
  // Not a generator: the common put (the count stays above zero) runs at the call, which is
  // where `yield*` would start it, and hands back only its preemption point (none in real mode).
  use(k, ref.data, "percpu_ref_put");
  if (ref.count <= 0)
    throw refBug(k, ref, `percpu ref (${ref.label}) <= 0 (${ref.count - 1}) after put`);
  ref.count--;
  // The caller may be preempted right after its put; the reference it dropped may have been
  // the one that kept the object alive for a moment longer.
  if (ref.count > 0)
    return k.pointMask === 0
      ? NO_EFFECTS
      : preemptPoint(k, "ref", pointLabel("percpu_ref_put", ref.label));
  return percpuRefLastPut(k, ref);
}

/** The put that dropped the count to zero. */
function* percpuRefLastPut(k: Kernel, ref: PercpuRef): Op<void> {
  if (!ref.killed) {
    // The initial reference is still owed: more puts than gets.
    throw refBug(k, ref, `percpu ref (${ref.label}) dropped to 0 before percpu_ref_kill()`);
  }
  ref.releases++;
  k.note(`percpu_ref ${ref.label} released`);
  // On a real machine other CPUs run between the atomic decrement that reached zero and the
  // release callback taking its locks: they may see the ref at zero (tryget fails) while the
  // object is still reachable (C14's find_get). This point lets the explorer interleave there.
  yield* sched(`percpu_ref ${ref.label} release`);
  yield* ref.release(k);
}

/**
 * percpu_ref_kill(): marks the ref dead and drops the initial reference. The switch to atomic
 * mode (and a `release` at zero) happens after an RCU grace period.
 */
export function* percpuRefKill(k: Kernel, ref: PercpuRef): Op<void> {
  use(k, ref.data, "percpu_ref_kill");
  if (ref.killed)
    throw refBug(k, ref, `percpu_ref_kill_and_confirm called more than once on ${ref.label}!`);
  ref.killed = true;
  if (!ref.switching) {
    // The switch takes a reference, put when it is confirmed after the grace period.
    ref.switching = true;
    ref.count++;
    callRcu(k, (k2) => percpuRefSwitchedToAtomic(k2, ref));
  }
  ref.count--; // the initial reference
  k.note(`percpu_ref_kill ${ref.label}`);
  // spin_unlock_irqrestore(&percpu_ref_switch_lock) re-enables preemption.
  yield* sched(`percpu_ref_kill ${ref.label}`);
}

function* percpuRefSwitchedToAtomic(k: Kernel, ref: PercpuRef): Op<void> {
  use(k, ref.data, "percpu_ref_switch_to_atomic_rcu");
  ref.switching = false;
  yield* percpuRefPut(k, ref);
}

/**
 * percpu_ref_resurrect(): undoes kill. The ref must be killed and not exited. Allowed at zero
 * (that is percpu_ref_reinit()); whether `release` already ran is the caller's problem, as in
 * the kernel.
 */
export function percpuRefResurrect(k: Kernel, ref: PercpuRef): void {
  use(k, ref.data, "percpu_ref_resurrect");
  if (!ref.killed) throw refBug(k, ref, `percpu_ref_resurrect() on a live ref ${ref.label}`);
  ref.killed = false;
  ref.count++;
  k.note(`percpu_ref_resurrect ${ref.label}`);
}

/** percpu_ref_exit(): frees the ref's data; a second exit is a no-op, as in the kernel. */
export function percpuRefExit(k: Kernel, ref: PercpuRef): void {
  if (ref.dead) return;
  if (ref.switching) {
    throw refBug(k, ref, `percpu_ref_exit() on ${ref.label} while a mode switch is in flight`);
  }
  kfree(k, ref.data);
  ref.dead = true;
}

/** percpu_ref_is_zero(): only a ref in atomic mode (killed, switch done) can be zero. */
export function percpuRefIsZero(ref: PercpuRef, k?: Kernel): boolean {
  k?.fp?.read(idKey("o", ref.data.id));
  if (!ref.killed || ref.switching) return false;
  return ref.count === 0;
}

/** percpu_ref_is_dying(). */
export function percpuRefIsDying(ref: PercpuRef): boolean {
  return ref.killed;
}

function refBug(k: Kernel, ref: PercpuRef, title: string): KernelBug {
  return new KernelBug("assertion", `WARNING: ${title}`, [
    `ref ${ref.label}: count ${ref.count}, killed ${ref.killed}, switching ${ref.switching}, released ${ref.releases} time(s)`,
    ...siteLines("called", siteOf(k)),
  ]);
}
