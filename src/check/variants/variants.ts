/**
 * Deliberately broken variants of D4 (6.14-7.0) and D7 (7.1), one plausible planted bug each,
 * and correct-but-different variants: the checker checking itself. Test-only (variants.test.ts
 * runs each through `checkCell` at the default bounds); nothing outside the tests uses them.
 *
 * Each broken variant names the scenario that reaches its bug and the bug class the report
 * must have; each correct one names scenarios on which it must stay clean.
 */
import { acompRequestFree, cryptoFreeAcomp } from "../../crypto/acomp.ts";
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { kfree, use } from "../../kernel/memory.ts";
import { mutexInit, mutexLock, mutexUnlock, mutexUnlockAndYield } from "../../kernel/mutex.ts";
import { rawCpuPtr } from "../../kernel/percpu.ts";
import { cpusReadLock, cpusReadUnlock } from "../../kernel/percpu_rwsem.ts";
import { migrateDisable, migrateEnable } from "../../kernel/preempt.ts";
import {
  acompCtxFree,
  allocCtxArea,
  allocCtxResources,
  allocCtxResourcesInto,
  ctxOf,
  freeCtxArea,
  removeInstance,
} from "../../zswap/acomp_ctx/common.ts";
import { D4 } from "../../zswap/acomp_ctx/d2_d4.ts";
import { D7 } from "../../zswap/acomp_ctx/d7.ts";
import type { AcompCtxDesign } from "../../zswap/acomp_ctx/design.ts";
import { type AcompCtx, isErr, type PoolObj } from "../../zswap/types.ts";
import type { BugClass } from "../expected.ts";

export interface BrokenVariant {
  readonly design: AcompCtxDesign;
  /** What was planted, one line. */
  readonly planted: string;
  readonly scenario: string;
  readonly expect: BugClass;
  /** Run in exact mode (lockdep's ordering checks off): only what happens is reported. */
  readonly exact?: boolean;
}

export interface CorrectVariant {
  readonly design: AcompCtxDesign;
  readonly why: string;
  readonly scenarios: readonly string[];
}

function area(k: Kernel, pool: PoolObj) {
  const a = use(k, pool, "read pool->acomp_ctx").acompCtx;
  if (a === null) throw new Error("acquire: pool has no ctx area");
  return a;
}

// ---------------------------------------------------------------------------------------------
// Broken variants of D4
// ---------------------------------------------------------------------------------------------

/** dead frees after unlocking, but "forgot" to clear the pointers: users still find req set. */
const D4_DEAD_NO_CLEAR: AcompCtxDesign = {
  ...D4,
  name: "V-D4-dead-no-clear",
  *dead(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
    const ctx = ctxOf(k, pool, cpu);
    yield* mutexLock(k, ctx.mutex);
    const { req, acomp, buffer } = ctx;
    yield* mutexUnlockAndYield(k, ctx.mutex);
    if (req !== null) acompRequestFree(k, req);
    if (acomp !== null && !isErr(acomp)) yield* cryptoFreeAcomp(k, acomp);
    kfree(k, buffer);
    return 0;
  },
};

/** acquire without the retry: "dead only runs on an offline CPU, nobody runs there". */
const D4_NO_RETRY: AcompCtxDesign = {
  ...D4,
  name: "V-D4-no-retry",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    const ctx = rawCpuPtr(k, area(k, pool));
    yield* mutexLock(k, ctx.mutex);
    return ctx;
  },
};

/** cpus_read_lock() around the ctx use to keep the CPU online (the reverted D1 idea, on D4). */
const D4_HOTPLUG_LOCK: AcompCtxDesign = {
  ...D4,
  name: "V-D4-cpus-read-lock",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    yield* cpusReadLock(k);
    return yield* D4.acquire(k, pool);
  },
  release(k: Kernel, ctx: AcompCtx): void {
    mutexUnlock(k, ctx.mutex);
    cpusReadUnlock(k);
  },
};

// ---------------------------------------------------------------------------------------------
// Broken variants of D7
// ---------------------------------------------------------------------------------------------

/** acomp_ctx_free() as in 7.1, but it "forgot" buffer = NULL (v14 forgot all three). */
function* ctxFreeNoBufferReset(k: Kernel, ctx: AcompCtx): Op<void> {
  if (ctx.req !== null) acompRequestFree(k, ctx.req);
  ctx.req = null;
  if (ctx.acomp !== null && !isErr(ctx.acomp)) yield* cryptoFreeAcomp(k, ctx.acomp);
  ctx.acomp = null;
  kfree(k, ctx.buffer);
}

/** acomp_ctx_free() that "forgot" kfree(buffer). */
function* ctxFreeNoBuffer(k: Kernel, ctx: AcompCtx): Op<void> {
  if (ctx.req !== null) acompRequestFree(k, ctx.req);
  ctx.req = null;
  if (ctx.acomp !== null && !isErr(ctx.acomp)) yield* cryptoFreeAcomp(k, ctx.acomp);
  ctx.acomp = null;
  ctx.buffer = null;
}

/** D7 with its own acomp_ctx_free() in prepare's error path, create's error path and destroy. */
function d7WithFree(name: string, free: (k: Kernel, ctx: AcompCtx) => Op<void>): AcompCtxDesign {
  function* freeAll(k: Kernel, pool: PoolObj): Op<void> {
    for (const cpu of k.cpus.possible) yield* free(k, ctxOf(k, pool, cpu));
    freeCtxArea(k, pool);
  }
  return {
    ...D7,
    name,
    *prepare(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
      const ctx = ctxOf(k, pool, cpu);
      if (ctx.acomp !== null) return 0;
      const ret = yield* allocCtxResourcesInto(k, pool, ctx);
      if (ret !== 0) {
        yield* free(k, ctx);
        return ret;
      }
      mutexInit(k, ctx.mutex);
      return 0;
    },
    *createFailed(k, pool, stage): Op<void> {
      if (stage === "ref_fail") yield* removeInstance(k, pool);
      yield* freeAll(k, pool);
    },
    *destroyCtxs(k, pool): Op<void> {
      yield* removeInstance(k, pool);
      yield* freeAll(k, pool);
    },
  };
}

/** prepare allocates while holding the ctx mutex (D2's mistake, on D7). */
const D7_ALLOC_UNDER_MUTEX: AcompCtxDesign = {
  ...D7,
  name: "V-D7-alloc-under-mutex",
  *prepare(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
    const ctx = ctxOf(k, pool, cpu);
    if (ctx.acomp !== null) return 0;
    mutexInit(k, ctx.mutex);
    yield* mutexLock(k, ctx.mutex);
    const r = yield* allocCtxResources(k, pool, 1);
    if (typeof r !== "number") Object.assign(ctx, r);
    yield* mutexUnlockAndYield(k, ctx.mutex);
    return typeof r === "number" ? r : 0;
  },
};

/** alloc_percpu() without __GFP_ZERO: prepare tests acomp_ctx->acomp, which nobody wrote. */
const D7_NO_GFP_ZERO: AcompCtxDesign = {
  ...D7,
  name: "V-D7-no-gfp-zero",
  allocCtxs: (k, pool) => allocCtxArea(k, pool, false),
};

/**
 * No __GFP_ZERO, and a prepare that always allocates (no test of acomp_ctx->acomp): nothing reads
 * the poison until the pool's ctxs are freed for every possible CPU (zswap_pool_destroy(), or
 * zswap_pool_create()'s error path), including CPUs that were never prepared (C7's CPU 3).
 */
const D7_NO_GFP_ZERO_ALWAYS_ALLOC: AcompCtxDesign = {
  ...D7,
  name: "V-D7-no-gfp-zero-always-alloc",
  allocCtxs: (k, pool) => allocCtxArea(k, pool, false),
  *prepare(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
    const ctx = ctxOf(k, pool, cpu);
    const ret = yield* allocCtxResourcesInto(k, pool, ctx);
    if (ret !== 0) {
      yield* acompCtxFree(k, ctx, true);
      return ret;
    }
    mutexInit(k, ctx.mutex);
    return 0;
  },
};

/** No mutex around the ctx: "it is per-CPU, and we do not sleep in the compressor". */
const D7_NO_MUTEX: AcompCtxDesign = {
  ...D7,
  name: "V-D7-no-mutex",
  // biome-ignore lint/correctness/useYield: an Op that completes at once
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    return rawCpuPtr(k, area(k, pool));
  },
  release(): void {},
};

/** __zswap_pool_release() without its synchronize_rcu(). */
const D7_NO_GRACE_PERIOD: AcompCtxDesign = {
  ...D7,
  name: "V-D7-no-synchronize-rcu",
  releaseGracePeriod: false,
};

export const BROKEN_VARIANTS: readonly BrokenVariant[] = [
  {
    design: D4_DEAD_NO_CLEAR,
    planted: "dead frees req/tfm/buffer after unlocking but leaves the pointers set",
    scenario: "C1",
    expect: "UAF",
  },
  {
    design: D4_NO_RETRY,
    planted: "acomp_ctx_get_cpu_lock() without the retry on a ctx whose req dead cleared",
    scenario: "C6",
    expect: "NULL",
  },
  {
    design: D4_HOTPLUG_LOCK,
    planted: "cpus_read_lock() held around the ctx use (the reverted eaebeb93922c, on D4)",
    scenario: "C4",
    expect: "deadlock",
    exact: true,
  },
  {
    design: d7WithFree("V-D7-free-no-buffer-reset", ctxFreeNoBufferReset),
    planted: "acomp_ctx_free() frees the buffer without setting it to NULL",
    scenario: "C7",
    expect: "double-free",
  },
  {
    design: d7WithFree("V-D7-free-no-buffer", ctxFreeNoBuffer),
    planted: "acomp_ctx_free() never frees the buffer",
    scenario: "C12",
    expect: "leak",
  },
  {
    design: D7_ALLOC_UNDER_MUTEX,
    planted: "prepare allocates (may reclaim into zswap) while holding the ctx mutex",
    scenario: "C4",
    expect: "lockdep",
  },
  {
    design: D7_NO_GFP_ZERO,
    planted: "alloc_percpu_gfp(GFP_KERNEL) without __GFP_ZERO",
    scenario: "C7",
    expect: "uninit",
  },
  {
    design: D7_NO_GFP_ZERO_ALWAYS_ALLOC,
    planted:
      "no __GFP_ZERO, prepare always allocates: freeing a never-prepared CPU's ctx frees garbage",
    scenario: "C7",
    expect: "uninit",
  },
  {
    design: D7_NO_MUTEX,
    planted: "no ctx mutex: two tasks on one CPU's ctx share its buffer",
    scenario: "C13",
    expect: "data-loss",
  },
  {
    design: D7_NO_GRACE_PERIOD,
    planted: "__zswap_pool_release() without synchronize_rcu()",
    scenario: "C26",
    expect: "UAF",
  },
];

// ---------------------------------------------------------------------------------------------
// Correct variants: different code, same guarantees
// ---------------------------------------------------------------------------------------------

/** D4 whose dead callback frees under the mutex everything but the tfm (no scomp_lock inside). */
const D4_FREE_REQ_UNDER_MUTEX: AcompCtxDesign = {
  ...D4,
  name: "V-D4-req-under-mutex",
  *dead(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
    const ctx = ctxOf(k, pool, cpu);
    yield* mutexLock(k, ctx.mutex);
    const acomp = ctx.acomp;
    if (ctx.req !== null) acompRequestFree(k, ctx.req);
    kfree(k, ctx.buffer);
    ctx.req = null;
    ctx.buffer = null;
    ctx.acomp = null;
    yield* mutexUnlockAndYield(k, ctx.mutex);
    if (acomp !== null && !isErr(acomp)) yield* cryptoFreeAcomp(k, acomp);
    return 0;
  },
};

/** D7 with migrate_disable() around the ctx use: needless (D7 ctxs outlive hotplug) but safe. */
const D7_PINNED: AcompCtxDesign = {
  ...D7,
  name: "V-D7-pinned",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    migrateDisable(k);
    return yield* D7.acquire(k, pool);
  },
  release(k: Kernel, ctx: AcompCtx): void {
    mutexUnlock(k, ctx.mutex);
    migrateEnable(k);
  },
};

export const CORRECT_VARIANTS: readonly CorrectVariant[] = [
  {
    design: D4_FREE_REQ_UNDER_MUTEX,
    why: "frees req and buffer under the mutex (no lock inside), the tfm after unlocking",
    scenarios: ["C1", "C5", "C6"],
  },
  {
    design: D7_PINNED,
    why: "pins the task while it uses the ctx; offline waits for it",
    scenarios: ["C1", "C6", "C9"],
  },
];
