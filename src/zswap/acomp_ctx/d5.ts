/**
 * D5: the v8 12/14 proposal (Mar 2025, not merged), as posted: resources live from the first
 * prepare to pool destroy, with `__online` and `nr_reqs`.
 *
 * - pool create: every possible CPU's fields set to NULL/0, then mutex_init; an
 *   add_instance failure jumps to ref_fail, which deallocates every CPU and then calls
 *   cpuhp_state_remove_instance() on a node that was never added (C7).
 * - prepare: return if __online; if nr_reqs, set __online and return; else allocate tfm
 *   (nr_reqs = 1), request, buffer; set __online. No lock. Errors: acomp_ctx_dealloc().
 * - dead: lock; __online = false; unlock. Frees nothing.
 * - destroy: dealloc every CPU *before* cpuhp_state_remove_instance() (C8: a CPU onlining in
 *   between allocates again, and that allocation leaks).
 * - users: retry until they lock a ctx that is __online.
 */
import { acompRequestFree, cryptoFreeAcomp } from "../../crypto/acomp.ts";
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { kfreeAndYield, use } from "../../kernel/memory.ts";
import { mutexInit, mutexLock, mutexUnlock, mutexUnlockAndYield } from "../../kernel/mutex.ts";
import { perCpuPtr, rawCpuPtr } from "../../kernel/percpu.ts";
import { preemptPoint } from "../../kernel/points.ts";
import { type AcompCtx, isErr, type PoolObj } from "../types.ts";
import { allocCtxArea, allocCtxResourcesD5, ctxOf, freeCtxArea, removeInstance } from "./common.ts";
import type { AcompCtxDesign, CreateFailStage } from "./design.ts";

function* allocCtxsD5(k: Kernel, pool: PoolObj): Op<boolean> {
  if (!(yield* allocCtxArea(k, pool, true))) return false;
  const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
  if (area === null) return false;
  for (const cpu of k.cpus.possible) {
    const ctx = perCpuPtr(k, area, cpu);
    ctx.acomp = null;
    ctx.req = null;
    ctx.buffer = null;
    ctx.online = false;
    ctx.nrReqs = 0;
    mutexInit(k, ctx.mutex);
  }
  return true;
}

/** acomp_ctx_dealloc(): only if nr_reqs; resets req, buffer and nr_reqs (not acomp). */
function* acompCtxDealloc(k: Kernel, ctx: AcompCtx): Op<void> {
  if (ctx.nrReqs === 0) return;
  if (ctx.req !== null) acompRequestFree(k, ctx.req);
  ctx.req = null;
  yield* kfreeAndYield(k, ctx.buffer);
  ctx.buffer = null;
  if (ctx.acomp !== null && !isErr(ctx.acomp)) yield* cryptoFreeAcomp(k, ctx.acomp);
  ctx.nrReqs = 0;
}

function* prepareD5(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  if (ctx.online) return 0;
  if (ctx.nrReqs !== 0) {
    ctx.online = true;
    return 0;
  }
  const ret = yield* allocCtxResourcesD5(k, pool, ctx);
  if (ret !== 0) {
    yield* acompCtxDealloc(k, ctx);
    return ret;
  }
  ctx.online = true;
  return 0;
}

function* deadD5(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  yield* mutexLock(k, ctx.mutex);
  ctx.online = false;
  yield* mutexUnlockAndYield(k, ctx.mutex);
  return 0;
}

/** zswap_cpu_comp_dealloc(): no locks ("reclaims should not be happening"). */
export function* deallocAll(k: Kernel, pool: PoolObj): Op<void> {
  for (const cpu of k.cpus.possible) {
    const ctx = ctxOf(k, pool, cpu);
    ctx.online = false;
    yield* acompCtxDealloc(k, ctx);
  }
}

function* acquireOnline(k: Kernel, pool: PoolObj): Op<AcompCtx> {
  for (;;) {
    const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
    if (area === null) throw new Error("acquire: pool has no ctx area");
    const ctx = rawCpuPtr(k, area);
    yield* preemptPoint(k, "percpu", "raw_cpu_ptr(pool->acomp_ctx)");
    yield* mutexLock(k, ctx.mutex);
    if (ctx.online) return ctx;
    yield* mutexUnlockAndYield(k, ctx.mutex);
  }
}

export const D5: AcompCtxDesign = {
  name: "D5",
  summary:
    "v8 12/14 (Mar 2025, as posted): __online/nr_reqs; dead frees nothing; dealloc before remove_instance",
  versions: "not merged (v7/v8)",
  hasTeardown: true,
  allocCtxs: allocCtxsD5,
  prepare: prepareD5,
  dead: deadD5,
  acquire: acquireOnline,
  release: (k, ctx) => mutexUnlock(k, ctx.mutex),
  *createFailed(k: Kernel, pool: PoolObj, _stage: CreateFailStage): Op<void> {
    // Both failures land on ref_fail in the patch.
    yield* deallocAll(k, pool);
    yield* removeInstance(k, pool);
    freeCtxArea(k, pool);
  },
  *destroyCtxs(k: Kernel, pool: PoolObj): Op<void> {
    yield* deallocAll(k, pool);
    yield* removeInstance(k, pool);
    freeCtxArea(k, pool);
  },
};
