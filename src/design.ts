/**
 * The public design API, `zswap-ts/design`: everything a reviewer needs to write an acomp_ctx
 * lifecycle design of their own and check it with `zswap-ts check --design-file FILE`.
 *
 * A design implements the hooks of `AcompCtxDesign` (allocCtxs, prepare, dead, acquire,
 * release, createFailed, destroyCtxs) in plain zswap code on the kernel model: generator
 * functions that `yield*` wherever the kernel could sleep (mutexLock, kmalloc, cpuhp calls).
 * Start from a shipped design and change what you argue about:
 *
 * @example
 * import { defineDesign, D7, mutexLock, mutexUnlock, rawCpuPtr, use } from "zswap-ts/design";
 *
 * export default defineDesign({
 *   ...D7,
 *   name: "D7-mine",
 *   summary: "7.x with my change",
 *   versions: "not merged",
 * });
 *
 * This module only re-exports; the names and signatures are those of the engine, documented in
 * docs/designs.md. It is stable: names are added, not changed, within a major version.
 */
import type { AcompCtxDesign } from "./zswap/acomp_ctx/design.ts";
import { validateDesign } from "./zswap/acomp_ctx/index.ts";

// The crypto API a ctx owns.
export {
  acompRequestAlloc,
  acompRequestFree,
  cryptoAllocAcomp,
  cryptoFreeAcomp,
} from "./crypto/acomp.ts";
// Kernel primitives.
export {
  CPUHP_MM_ZSWP_POOL_PREPARE,
  cpuhpState,
  cpuhpStateAddInstance,
  cpuhpStateRemoveInstance,
} from "./kernel/cpuhp.ts";
export type { Op } from "./kernel/effect.ts";
export { EAGAIN, EBUSY, EINVAL, ENOENT, ENOMEM, ENOSPC } from "./kernel/errno.ts";
export type { Kernel } from "./kernel/kernel.ts";
export {
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_ZERO,
  GFP_ATOMIC,
  GFP_KERNEL,
  GFP_NOWAIT,
  type Gfp,
  KObj,
  kfree,
  kmalloc,
  use,
} from "./kernel/memory.ts";
export {
  Mutex,
  mutexAssertHeld,
  mutexInit,
  mutexIsLocked,
  mutexLock,
  mutexTrylock,
  mutexUnlock,
} from "./kernel/mutex.ts";
export { PAGE_SIZE } from "./kernel/page.ts";
export { allocPercpu, freePercpu, type Percpu, perCpuPtr, rawCpuPtr } from "./kernel/percpu.ts";
export { cpusReadLock, cpusReadUnlock } from "./kernel/percpu_rwsem.ts";
export { type PointKind, preemptPoint } from "./kernel/points.ts";
export { migrateDisable, migrateEnable, preemptDisable, preemptEnable } from "./kernel/preempt.ts";
export { rcuReadLock, rcuReadUnlock, synchronizeRcu } from "./kernel/rcu.ts";
export { traced } from "./kernel/site.ts";
export { Spinlock, spinLock, spinUnlock } from "./kernel/spinlock.ts";
// Helpers the shipped designs are built from.
export {
  acompCtxFree,
  allocCtxArea,
  allocCtxResources,
  allocCtxResourcesD5,
  allocCtxResourcesInto,
  CTX_MUTEX_CLASS,
  ctxOf,
  freeAllCtxs,
  freeCtxArea,
  newCtx,
  removeInstance,
} from "./zswap/acomp_ctx/common.ts";
// The shipped designs, to start from (`...D7`) or to compare with.
export { D0, D1 } from "./zswap/acomp_ctx/d0.ts";
export { D2, D3, D4 } from "./zswap/acomp_ctx/d2_d4.ts";
export { D5 } from "./zswap/acomp_ctx/d5.ts";
export { D7, D7_V14 } from "./zswap/acomp_ctx/d7.ts";
export type { AcompCtxDesign, CreateFailStage } from "./zswap/acomp_ctx/design.ts";
export { DESIGNS } from "./zswap/acomp_ctx/index.ts";
export { type AcompCtx, type ErrPtr, isErr, type PoolObj, type ZswapPool } from "./zswap/types.ts";

/**
 * Checks that `design` has every hook and a usable name, and returns it typed. Throws a
 * RangeError naming the first missing hook, so a mistake shows when the file loads rather than
 * in the middle of a search.
 */
export function defineDesign(design: AcompCtxDesign): AcompCtxDesign {
  validateDesign(design);
  return design;
}
