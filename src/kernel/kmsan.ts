/**
 * Uninitialised memory, KMSAN style (mm/kmsan/, Documentation/dev-tools/kmsan.rst).
 *
 * Memory from an allocation without __GFP_ZERO holds whatever was there before. The model
 * fills such a field with a poisoned value (`UninitValue`) that remembers where it was created.
 * Copying a poisoned value is not a bug (KMSAN propagates the shadow and stays quiet); using it
 * is: dereferencing it (`use`), freeing it (`kfree`), or branching on it (`kmsanUse`, which code
 * calls where the C code tests the pointer). Each use gives KMSAN's report: where the value was
 * used, then where it was created.
 *
 * Simplified: only pointer fields are poisoned, and only in allocations whose C code relies on
 * zero-filling for them (the per-CPU acomp_ctx area); kmalloc'd objects are built by their
 * initializer, which writes every field the C code writes.
 */
import type { Kernel } from "./kernel.ts";
import { KernelBug } from "./report.ts";
import { type Site, siteOf, whereOf } from "./site.ts";

/** A value read from memory nobody wrote: garbage in the kernel, a tracked poison here. */
export class UninitValue {
  constructor(
    /** The field it sits in, e.g. "acomp_ctx->req". */
    readonly what: string,
    /** Where the memory was allocated. */
    readonly origin: Site,
    /** The allocating call, e.g. "alloc_percpu_gfp". */
    readonly allocator: string,
  ) {}
}

export function isUninit(v: unknown): v is UninitValue {
  return v instanceof UninitValue;
}

/**
 * The poisoned content of `what` in memory `allocator` just returned without __GFP_ZERO, typed
 * as whatever the field holds (a pointer, in practice): code that never initialises the field
 * reads it back as this.
 */
export function kmsanPoison<T>(k: Kernel, what: string, allocator: string): T {
  return new UninitValue(what, siteOf(k), allocator) as unknown as T;
}

/**
 * The value of a field, used as the C code uses it (a branch on `ptr != NULL`, a dereference):
 * a poisoned value gives KMSAN's report.
 */
export function kmsanUse<T>(k: Kernel, value: T, what: string): T {
  if (value instanceof UninitValue) throw kmsanReport(k, value, what);
  return value;
}

/** "BUG: KMSAN: uninit-value in FUNCTION", in the kernel's layout. */
export function kmsanReport(k: Kernel, v: UninitValue, use: string): KernelBug {
  const site = siteOf(k);
  const stack = (s: Site): string[] =>
    s.stack.length === 0 ? [` ${s.task}`] : [...s.stack].reverse().map((fn) => ` ${fn}`);
  return new KernelBug("uninit-value", `BUG: KMSAN: uninit-value in ${whereOf(site)}`, [
    ...stack(site),
    "",
    "Uninit was created at:",
    ` ${v.allocator}`,
    ...stack(v.origin),
    "",
    `${v.what} was never written before this use (${use}): the allocation had no __GFP_ZERO`,
    `CPU: ${site.cpu} PID: ${site.taskId} Comm: ${site.task} (step ${site.step})`,
    `Uninit created by task ${v.origin.task} on cpu ${v.origin.cpu} at step ${v.origin.step}`,
  ]);
}
