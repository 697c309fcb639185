/**
 * Per-CPU allocations: alloc_percpu / free_percpu, per_cpu_ptr, raw_cpu_ptr.
 *
 * The per-CPU area is one tracked object (freeing it frees every CPU's slot at once, as
 * free_percpu does); each slot is a plain value of T. `rawCpuPtr` reads the current task's CPU
 * at this instant: the task may migrate at its next effect, which is the root of scenario C1.
 */
import { slotKey } from "./access.ts";
import type { Op } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { __GFP_ZERO, type Gfp, type KObj, kfree, kmalloc, use } from "./memory.ts";

export interface PercpuArea<T> {
  readonly slots: T[];
  /** Whether the area was zeroed (__GFP_ZERO): designs that rely on NULL fields need it. */
  readonly zeroed: boolean;
}

export type Percpu<T> = KObj<PercpuArea<T>>;

/**
 * alloc_percpu_gfp(): `init(cpu, zeroed)` builds each possible CPU's slot; without __GFP_ZERO
 * (`zeroed` false) it must leave the fields the C code does not write poisoned (kmsanPoison).
 * Returns null on failure.
 */
export function* allocPercpu<T>(
  k: Kernel,
  label: string,
  gfp: Gfp,
  init: (cpu: number, zeroed: boolean) => T,
): Op<Percpu<T> | null> {
  const nr = k.cpus.possible.length;
  const zeroed = (gfp & __GFP_ZERO) !== 0;
  return yield* kmalloc(k, label, 64 * nr, gfp, () => ({
    slots: k.cpus.possible.map((cpu) => init(cpu, zeroed)),
    zeroed,
  }));
}

/** per_cpu_ptr(pcp, cpu). */
export function perCpuPtr<T>(k: Kernel, pcp: Percpu<T>, cpu: number, access = "per_cpu_ptr"): T {
  const area = use(k, pcp, access);
  k.fp?.sticky(slotKey(pcp.id, cpu)); // the slot pointer is kept across preemption points
  const slot = area.slots[cpu];
  if (slot === undefined) throw new RangeError(`per_cpu_ptr: CPU ${cpu} is not possible`);
  return slot;
}

/** raw_cpu_ptr(pcp): the slot of the CPU the current task is on right now. */
export function rawCpuPtr<T>(k: Kernel, pcp: Percpu<T>): T {
  return perCpuPtr(k, pcp, k.cpu, "raw_cpu_ptr");
}

/** free_percpu(). */
export function freePercpu<T>(k: Kernel, pcp: Percpu<T> | null): void {
  kfree(k, pcp);
}
