/**
 * Pieces the lifecycle designs share: allocating a ctx's resources, freeing them, the per-CPU
 * area, and the cpuhp instance calls.
 */
import {
  acompRequestAlloc,
  acompRequestFree,
  cryptoAllocAcomp,
  cryptoFreeAcomp,
} from "../../crypto/acomp.ts";
import { CPUHP_MM_ZSWP_POOL_PREPARE, cpuhpStateRemoveInstance } from "../../kernel/cpuhp.ts";
import type { Op } from "../../kernel/effect.ts";
import { ENOMEM } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { kmsanPoison } from "../../kernel/kmsan.ts";
import {
  __GFP_ZERO,
  GFP_KERNEL,
  type Gfp,
  kfree,
  kfreeAndYield,
  kmalloc,
  use,
} from "../../kernel/memory.ts";
import { Mutex } from "../../kernel/mutex.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { allocPercpu, freePercpu, perCpuPtr } from "../../kernel/percpu.ts";
import { traced } from "../../kernel/site.ts";
import { zswapState } from "../state.ts";
import { type AcompCtx, isErr, type PoolObj } from "../types.ts";

/** The lockdep class of every ctx mutex: lockdep sees them as one lock. */
export const CTX_MUTEX_CLASS = "&per_cpu_ptr(pool->acomp_ctx, cpu)->mutex";

/**
 * A ctx as alloc_percpu_gfp() leaves it: NULL pointers with __GFP_ZERO, poisoned ones without
 * (KMSAN reports their first use). The mutex and the D5 counters are set up by the designs.
 */
export function newCtx(k: Kernel, pool: PoolObj, cpu: number, zeroed = true): AcompCtx {
  const blank = <T>(field: string): T | null =>
    zeroed ? null : kmsanPoison<T>(k, `acomp_ctx(cpu${cpu})->${field}`, "alloc_percpu_gfp");
  return {
    cpu,
    acomp: blank("acomp"),
    req: blank("req"),
    buffer: blank("buffer"),
    mutex: new Mutex(`ctx(${pool.data.name},cpu${cpu})->mutex`, CTX_MUTEX_CLASS),
    online: false,
    nrReqs: 0,
  };
}

/** alloc_percpu_gfp(GFP_KERNEL | __GFP_ZERO) of the pool's ctxs (without __GFP_ZERO: `zeroed` false). */
export function* allocCtxArea(k: Kernel, pool: PoolObj, zeroed = true): Op<boolean> {
  const p = use(k, pool, "write pool->acomp_ctx");
  p.acompCtx = yield* allocPercpu(
    k,
    "acomp_ctx percpu",
    zeroed ? GFP_KERNEL | __GFP_ZERO : GFP_KERNEL,
    (cpu, z) => newCtx(k, pool, cpu, z),
  );
  return p.acompCtx !== null;
}

export function ctxOf(
  k: Kernel,
  pool: PoolObj,
  cpu: number,
  access = "per_cpu_ptr(pool->acomp_ctx, cpu)",
): AcompCtx {
  const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
  if (area === null) throw new Error(`pool ${pool.data.name} has no ctx area`);
  return perCpuPtr(k, area, cpu, access);
}

export interface CtxResources {
  buffer: AcompCtx["buffer"];
  acomp: AcompCtx["acomp"];
  req: AcompCtx["req"];
}

/**
 * Allocates buffer, tfm and request in the kernel's order (kmalloc_node, crypto_alloc_acomp_node,
 * acomp_request_alloc). On failure frees what it got and returns the errno.
 */
export function* allocCtxResources(
  k: Kernel,
  pool: PoolObj,
  bufferPages = 1,
  gfp: Gfp = GFP_KERNEL,
): Op<CtxResources | number> {
  const tfmName = use(k, pool, "read pool->tfm_name").tfmName;
  const buffer = yield* kmalloc(
    k,
    "acomp_ctx buffer",
    PAGE_SIZE * bufferPages,
    gfp,
    () => new Uint8Array(PAGE_SIZE * bufferPages),
  );
  if (buffer === null) return -ENOMEM;
  const acomp = yield* cryptoAllocAcomp(k, tfmName, gfp);
  if (acomp === null) {
    kfree(k, buffer);
    return -ENOMEM;
  }
  const req = yield* acompRequestAlloc(k, acomp, gfp);
  if (req === null) {
    yield* cryptoFreeAcomp(k, acomp);
    kfree(k, buffer);
    return -ENOMEM;
  }
  return { buffer, acomp, req };
}

/**
 * Frees a ctx's resources (the 7.1 acomp_ctx_free(): tolerates NULL and error pointers). With
 * `resetNull` the fields are set to NULL, which makes it idempotent and the ctx re-preparable;
 * the v14 patch as posted did not reset them (scenario C11).
 */
export function acompCtxFree(k: Kernel, ctx: AcompCtx, resetNull: boolean): Op<void> {
  return traced(k, "acomp_ctx_free", ctxFree(k, ctx, resetNull));
}

function* ctxFree(k: Kernel, ctx: AcompCtx, resetNull: boolean): Op<void> {
  if (ctx.req !== null) acompRequestFree(k, ctx.req);
  if (ctx.acomp !== null && !isErr(ctx.acomp)) yield* cryptoFreeAcomp(k, ctx.acomp);
  yield* kfreeAndYield(k, ctx.buffer);
  if (resetNull) {
    ctx.req = null;
    ctx.acomp = null;
    ctx.buffer = null;
  }
}

/** Frees every possible CPU's ctx resources. */
export function* freeAllCtxs(k: Kernel, pool: PoolObj, resetNull: boolean): Op<void> {
  for (const cpu of k.cpus.possible)
    yield* acompCtxFree(k, ctxOf(k, pool, cpu, "per_cpu_ptr (free)"), resetNull);
}

export function freeCtxArea(k: Kernel, pool: PoolObj): void {
  const p = use(k, pool, "write pool->acomp_ctx");
  freePercpu(k, p.acompCtx);
  p.acompCtx = null;
}

export function* removeInstance(k: Kernel, pool: PoolObj): Op<void> {
  yield* cpuhpStateRemoveInstance(
    k,
    zswapState(k).design.cpuhpState ?? CPUHP_MM_ZSWP_POOL_PREPARE,
    use(k, pool, "read pool->node").node,
  );
}

/**
 * D5's allocation order (tfm, nr_reqs = 1, request, buffer of two pages), writing straight into
 * the ctx as the patch does; returns 0 or the errno.
 */
export function* allocCtxResourcesD5(k: Kernel, pool: PoolObj, ctx: AcompCtx): Op<number> {
  const tfmName = use(k, pool, "read pool->tfm_name").tfmName;
  const acomp = yield* cryptoAllocAcomp(k, tfmName);
  if (acomp === null) {
    ctx.acomp = { err: -ENOMEM };
    return -ENOMEM;
  }
  ctx.acomp = acomp;
  ctx.nrReqs = 1;
  ctx.req = yield* acompRequestAlloc(k, acomp);
  if (ctx.req === null) return -ENOMEM;
  ctx.buffer = yield* kmalloc(
    k,
    "acomp_ctx buffer",
    PAGE_SIZE * 2,
    GFP_KERNEL,
    () => new Uint8Array(PAGE_SIZE * 2),
  );
  if (ctx.buffer === null) return -ENOMEM;
  return 0;
}

/**
 * The 7.1 prepare's allocations, written straight into the ctx (buffer, then tfm, then request);
 * returns 0 or the errno, leaving whatever was allocated in the fields for acomp_ctx_free().
 */
export function* allocCtxResourcesInto(
  k: Kernel,
  pool: PoolObj,
  ctx: AcompCtx,
  gfp: Gfp = GFP_KERNEL,
): Op<number> {
  const tfmName = use(k, pool, "read pool->tfm_name").tfmName;
  ctx.buffer = yield* kmalloc(
    k,
    "acomp_ctx buffer",
    PAGE_SIZE,
    gfp,
    () => new Uint8Array(PAGE_SIZE),
  );
  if (ctx.buffer === null) return -ENOMEM;
  const acomp = yield* cryptoAllocAcomp(k, tfmName, gfp);
  ctx.acomp = acomp ?? { err: -ENOMEM };
  if (acomp === null) return -ENOMEM;
  ctx.req = yield* acompRequestAlloc(k, acomp, gfp);
  if (ctx.req === null) return -ENOMEM;
  return 0;
}
