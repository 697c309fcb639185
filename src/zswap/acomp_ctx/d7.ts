/**
 * D7: the pool-lifetime design of Linux 7.1 ("mm: zswap: tie per-CPU acomp_ctx lifetime to the
 * pool"). Resources are allocated by prepare on a CPU's first online (or at pool creation) and
 * freed only when the pool is destroyed; there is no teardown callback and no retry loop.
 *
 * - prepare: if `acomp` is already set, return 0 (online-offline-online keeps the resources);
 *   otherwise allocate buffer, tfm, request (no lock: nobody can use this ctx yet, I6/I7), and
 *   initialize the mutex last. On failure acomp_ctx_free() resets the fields to NULL.
 * - compress/decompress: raw_cpu_ptr then mutex_lock; a migrated task keeps a valid ctx.
 * - create error paths: ref_fail removes the instance first; both free every possible CPU.
 * - destroy: cpuhp_state_remove_instance() before freeing (I9).
 */
import { NO_EFFECTS, type Op, returned } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { kmsanUse } from "../../kernel/kmsan.ts";
import { use } from "../../kernel/memory.ts";
import { mutexInit, mutexLock, mutexUnlock } from "../../kernel/mutex.ts";
import { rawCpuPtr } from "../../kernel/percpu.ts";
import { preemptPoint } from "../../kernel/points.ts";
import { type AcompCtx, isErr, type PoolObj } from "../types.ts";
import {
  acompCtxFree,
  allocCtxArea,
  allocCtxResourcesInto,
  ctxOf,
  freeAllCtxs,
  freeCtxArea,
  removeInstance,
} from "./common.ts";
import type { AcompCtxDesign, CreateFailStage } from "./design.ts";

export interface PoolLifetimeOptions {
  readonly name: string;
  readonly summary: string;
  readonly versions: string;
  /** acomp_ctx_free() resets the fields to NULL (7.1) or not (v14 23/26 as posted). */
  readonly resetNull: boolean;
}

export function poolLifetimeDesign(o: PoolLifetimeOptions): AcompCtxDesign {
  return {
    name: o.name,
    summary: o.summary,
    versions: o.versions,
    hasTeardown: false,
    allocCtxs: (k, pool) => allocCtxArea(k, pool, true),
    prepare: (k, pool, cpu) => prepare(k, pool, cpu, o.resetNull),
    // No teardown is registered (hasTeardown: false), so the hotplug core never calls this.
    // biome-ignore lint/correctness/useYield: an Op that completes at once
    *dead(): Op<number> {
      return 0;
    },
    acquire,
    release,
    *createFailed(k: Kernel, pool: PoolObj, stage: CreateFailStage): Op<void> {
      if (stage === "ref_fail") yield* removeInstance(k, pool);
      yield* freeAllCtxs(k, pool, o.resetNull);
      freeCtxArea(k, pool);
    },
    *destroyCtxs(k: Kernel, pool: PoolObj): Op<void> {
      yield* removeInstance(k, pool);
      yield* freeAllCtxs(k, pool, o.resetNull);
      freeCtxArea(k, pool);
    },
  };
}

function* prepare(k: Kernel, pool: PoolObj, cpu: number, resetNull: boolean): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  // The branch relies on the __GFP_ZERO of pool creation (KMSAN checks the value it tests).
  if (kmsanUse(k, ctx.acomp, "if (acomp_ctx->acomp)") !== null) {
    if (isErr(ctx.acomp)) k.note(`WARN_ON_ONCE(IS_ERR(acomp_ctx->acomp)) on cpu${cpu}`);
    return 0;
  }
  // The fields are written as they are allocated; on failure acomp_ctx_free() must undo them.
  const ret = yield* allocCtxResourcesInto(k, pool, ctx);
  if (ret !== 0) {
    yield* acompCtxFree(k, ctx, resetNull);
    return ret;
  }
  mutexInit(k, ctx.mutex);
  return 0;
}

/**
 * raw_cpu_ptr() then mutex_lock(). Not a generator: when neither step has an effect (real mode,
 * an uncontended mutex: every store and load) it is done at the call, where `yield*` would
 * start it, and hands back the ctx without a generator; otherwise the rest runs as one.
 */
export function acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
  const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
  if (area === null) throw new Error("acquire: pool has no ctx area");
  const ctx = rawCpuPtr(k, area);
  const point = preemptPoint(k, "percpu", "raw_cpu_ptr(pool->acomp_ctx)");
  if (point !== NO_EFFECTS) return acquireAfter(k, ctx, point);
  const lock = mutexLock(k, ctx.mutex);
  return lock === NO_EFFECTS ? returned(ctx) : lockedAfter(ctx, lock);
}

function* acquireAfter(k: Kernel, ctx: AcompCtx, point: Op<void>): Op<AcompCtx> {
  yield* point;
  yield* mutexLock(k, ctx.mutex);
  return ctx;
}

function* lockedAfter(ctx: AcompCtx, lock: Op<void>): Op<AcompCtx> {
  yield* lock;
  return ctx;
}

export function release(k: Kernel, ctx: AcompCtx): void {
  mutexUnlock(k, ctx.mutex);
}

export const D7 = poolLifetimeDesign({
  name: "D7",
  summary: "7.1: acomp_ctx lives as long as the pool; no teardown; acomp_ctx_free() resets to NULL",
  versions: "7.1",
  resetNull: true,
});

export const D7_V14 = poolLifetimeDesign({
  name: "D7-v14",
  summary: "v14 23/26 as posted: as D7, but acomp_ctx_dealloc() leaves freed pointers behind",
  versions: "not merged (v14, Jan 2026)",
  resetNull: false,
});
