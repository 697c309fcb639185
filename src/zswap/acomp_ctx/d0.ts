/**
 * D0 (~6.8 to 6.12) and D1 (the reverted cpus_read_lock fix, Dec 2024).
 *
 * D0: prepare allocates buffer (two pages), tfm and request and calls mutex_init on every
 * online; dead frees req, tfm and buffer without any lock and without clearing the pointers.
 * compress/decompress take raw_cpu_ptr and the ctx mutex, neither preemption nor migration
 * disabled. Hence C1 (a migrated user's ctx freed by dead) and C2 (mutex_init on a held mutex).
 *
 * D1: D0 plus cpus_read_lock() around the ctx use, so the CPU cannot go down meanwhile. The
 * reclaim path then takes the hotplug lock under fs_reclaim, while CPU bring-up allocates under
 * it: C3.
 */
import { acompRequestFree, cryptoFreeAcomp } from "../../crypto/acomp.ts";
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { kfreeAndYield, use } from "../../kernel/memory.ts";
import { mutexInit, mutexLock, mutexUnlock } from "../../kernel/mutex.ts";
import { rawCpuPtr } from "../../kernel/percpu.ts";
import { cpusReadLock, cpusReadUnlock } from "../../kernel/percpu_rwsem.ts";
import { preemptPoint } from "../../kernel/points.ts";
import { type AcompCtx, isErr, type PoolObj } from "../types.ts";
import { allocCtxArea, allocCtxResources, ctxOf, freeCtxArea, removeInstance } from "./common.ts";
import type { AcompCtxDesign, CreateFailStage } from "./design.ts";

/** zswap_cpu_comp_prepare() of 6.12: allocate, publish, mutex_init; no lock. */
export function* prepareD0(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  const r = yield* allocCtxResources(k, pool, 2);
  if (typeof r === "number") return r;
  ctx.buffer = r.buffer;
  ctx.acomp = r.acomp;
  ctx.req = r.req;
  mutexInit(k, ctx.mutex);
  return 0;
}

/** zswap_cpu_comp_dead() of 6.12: frees without locking and leaves the pointers behind. */
export function* deadD0(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  if (ctx.req !== null) acompRequestFree(k, ctx.req);
  if (ctx.acomp !== null && !isErr(ctx.acomp)) yield* cryptoFreeAcomp(k, ctx.acomp);
  yield* kfreeAndYield(k, ctx.buffer);
  return 0;
}

function* acquireD0(k: Kernel, pool: PoolObj): Op<AcompCtx> {
  const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
  if (area === null) throw new Error("acquire: pool has no ctx area");
  const ctx = rawCpuPtr(k, area);
  yield* preemptPoint(k, "percpu", "raw_cpu_ptr(pool->acomp_ctx)");
  yield* mutexLock(k, ctx.mutex);
  return ctx;
}

/** The error path of 6.12's zswap_pool_create(): the cpuhp core already rolled back. */
export function* createFailedTeardownEra(
  k: Kernel,
  pool: PoolObj,
  stage: CreateFailStage,
): Op<void> {
  if (stage === "ref_fail") yield* removeInstance(k, pool);
  freeCtxArea(k, pool);
}

/** zswap_pool_destroy() before 7.1: remove_instance runs dead on every online CPU. */
export function* destroyTeardownEra(k: Kernel, pool: PoolObj): Op<void> {
  yield* removeInstance(k, pool);
  freeCtxArea(k, pool);
}

export const D0: AcompCtxDesign = {
  name: "D0",
  summary: "~6.8-6.12: prepare allocates and mutex_init()s; dead frees without locking",
  versions: "6.8-6.12",
  hasTeardown: true,
  allocCtxs: (k, pool) => allocCtxArea(k, pool, true),
  prepare: prepareD0,
  dead: deadD0,
  acquire: acquireD0,
  release: (k, ctx) => mutexUnlock(k, ctx.mutex),
  createFailed: createFailedTeardownEra,
  destroyCtxs: destroyTeardownEra,
};

export const D1: AcompCtxDesign = {
  ...D0,
  name: "D1",
  summary: "mm-hotfixes Dec 2024 (eaebeb93922c, reverted): D0 plus cpus_read_lock() around ctx use",
  versions: "not released (reverted)",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    yield* cpusReadLock(k);
    return yield* acquireD0(k, pool);
  },
  release(k: Kernel, ctx: AcompCtx): void {
    mutexUnlock(k, ctx.mutex);
    cpusReadUnlock(k);
  },
};
