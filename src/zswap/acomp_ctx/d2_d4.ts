/**
 * D2, D3, D4: the 6.13 hotfix (12dcb0ef5406), its follow-up (779b9955f643) and the 6.14 ABBA fix
 * (c11bcbc0a517). Shared shape: mutex_init for every possible CPU at pool creation; dead takes
 * the mutex and sets req = NULL; users retry on their current CPU until they lock a ctx whose
 * req is set (acomp_ctx_get_cpu_lock).
 *
 * - D2: prepare allocates while holding the mutex (reclaim from prepare may recurse: C4).
 * - D3: prepare allocates first, then takes the mutex only to publish.
 *   D2 and D3: dead frees req, tfm and buffer under the mutex; crypto_free_acomp() takes
 *   scomp_lock there, the ABBA of C5.
 * - D4: dead only snapshots and clears the fields under the mutex and frees after unlocking.
 */
import { acompRequestFree, cryptoFreeAcomp } from "../../crypto/acomp.ts";
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { kfreeAndYield, use } from "../../kernel/memory.ts";
import { mutexInit, mutexLock, mutexUnlock, mutexUnlockAndYield } from "../../kernel/mutex.ts";
import { perCpuPtr, rawCpuPtr } from "../../kernel/percpu.ts";
import { preemptPoint } from "../../kernel/points.ts";
import { type AcompCtx, isErr, type PoolObj } from "../types.ts";
import { allocCtxArea, allocCtxResources, ctxOf } from "./common.ts";
import { createFailedTeardownEra, destroyTeardownEra } from "./d0.ts";
import type { AcompCtxDesign } from "./design.ts";

/** alloc_percpu, then mutex_init for all possible CPUs: hotplug never re-initializes a mutex. */
function* allocCtxsInitMutexes(k: Kernel, pool: PoolObj): Op<boolean> {
  if (!(yield* allocCtxArea(k, pool, true))) return false;
  const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
  if (area === null) return false;
  for (const cpu of k.cpus.possible) mutexInit(k, perCpuPtr(k, area, cpu).mutex);
  return true;
}

function* prepareD2(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  yield* mutexLock(k, ctx.mutex);
  const r = yield* allocCtxResources(k, pool, 2);
  if (typeof r !== "number") {
    ctx.buffer = r.buffer;
    ctx.acomp = r.acomp;
    ctx.req = r.req;
  }
  yield* mutexUnlockAndYield(k, ctx.mutex);
  return typeof r === "number" ? r : 0;
}

/** "Only hold the mutex after completing allocations" (779b9955f643). */
function* prepareD3(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  const r = yield* allocCtxResources(k, pool, 2);
  if (typeof r === "number") return r;
  yield* mutexLock(k, ctx.mutex);
  ctx.buffer = r.buffer;
  ctx.acomp = r.acomp;
  ctx.req = r.req;
  yield* mutexUnlockAndYield(k, ctx.mutex);
  return 0;
}

/** D2/D3 dead: everything freed while holding the mutex. */
function* deadFreeUnderMutex(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  yield* mutexLock(k, ctx.mutex);
  if (ctx.req !== null) acompRequestFree(k, ctx.req);
  ctx.req = null;
  if (ctx.acomp !== null && !isErr(ctx.acomp)) yield* cryptoFreeAcomp(k, ctx.acomp);
  yield* kfreeAndYield(k, ctx.buffer);
  yield* mutexUnlockAndYield(k, ctx.mutex);
  return 0;
}

/** D4 dead: snapshot and clear under the mutex, free after unlocking. */
function* deadFreeAfterUnlock(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  yield* mutexLock(k, ctx.mutex);
  const req = ctx.req;
  const acomp = ctx.acomp;
  const buffer = ctx.buffer;
  ctx.req = null;
  ctx.acomp = null;
  ctx.buffer = null;
  yield* mutexUnlockAndYield(k, ctx.mutex);
  if (req !== null) acompRequestFree(k, req);
  if (acomp !== null && !isErr(acomp)) yield* cryptoFreeAcomp(k, acomp);
  yield* kfreeAndYield(k, buffer);
  return 0;
}

/** acomp_ctx_get_cpu_lock(): lock the current CPU's ctx; if dead cleared it, retry where we are now. */
function* acquireRetry(k: Kernel, pool: PoolObj): Op<AcompCtx> {
  for (;;) {
    const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
    if (area === null) throw new Error("acquire: pool has no ctx area");
    const ctx = rawCpuPtr(k, area);
    yield* preemptPoint(k, "percpu", "raw_cpu_ptr(pool->acomp_ctx)");
    yield* mutexLock(k, ctx.mutex);
    if (ctx.req !== null) return ctx;
    yield* mutexUnlockAndYield(k, ctx.mutex);
  }
}

const teardownEra = {
  hasTeardown: true,
  allocCtxs: allocCtxsInitMutexes,
  acquire: acquireRetry,
  release: (k: Kernel, ctx: AcompCtx) => mutexUnlock(k, ctx.mutex),
  createFailed: createFailedTeardownEra,
  destroyCtxs: destroyTeardownEra,
};

export const D2: AcompCtxDesign = {
  ...teardownEra,
  name: "D2",
  summary:
    "6.13-rc hotfix 12dcb0ef5406: prepare allocates under the ctx mutex; dead frees under it",
  versions: "6.13-rc (superseded before release)",
  prepare: prepareD2,
  dead: deadFreeUnderMutex,
};

export const D3: AcompCtxDesign = {
  ...teardownEra,
  name: "D3",
  summary: "6.13 (779b9955f643): allocations moved out of the mutex; dead still frees under it",
  versions: "6.13",
  prepare: prepareD3,
  dead: deadFreeUnderMutex,
};

export const D4: AcompCtxDesign = {
  ...teardownEra,
  name: "D4",
  summary:
    "6.14-7.0 (c11bcbc0a517): dead clears the fields under the mutex and frees after unlocking",
  versions: "6.14-7.0",
  prepare: prepareD3,
  dead: deadFreeAfterUnlock,
};
