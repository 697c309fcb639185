/**
 * zswap pools (mm/zswap.c "pool functions"): creation with its per-CPU contexts, the RCU list
 * with the current pool at the head, reference counting with percpu_ref, release through a work
 * item after an RCU grace period, and the compressor parameter switch.
 */
import { cryptoHasAcomp } from "../crypto/acomp.ts";
import { CPUHP_MM_ZSWP_POOL_PREPARE, cpuhpStateAddInstance } from "../kernel/cpuhp.ts";
import { type Op, returned } from "../kernel/effect.ts";
import { EINVAL, ENODEV, ENOENT } from "../kernel/errno.ts";
import { faultHook } from "../kernel/fault_inject.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { GFP_KERNEL, kfree, kfreeAndYield, kmalloc, memory, use } from "../kernel/memory.ts";
import { mutexLock, mutexUnlockAndYield } from "../kernel/mutex.ts";
import {
  percpuRefExit,
  percpuRefGet,
  percpuRefInit,
  percpuRefIsZero,
  percpuRefKill,
  percpuRefPut,
  percpuRefResurrect,
  percpuRefTryget,
} from "../kernel/percpu_ref.ts";
import { pointOn, preemptPoint } from "../kernel/points.ts";
import { rcuReadLock, rcuReadUnlock, synchronizeRcu } from "../kernel/rcu.ts";
import { KernelBug } from "../kernel/report.ts";
import { traced } from "../kernel/site.ts";
import { spinLock, spinUnlock } from "../kernel/spinlock.ts";
import { queueWork, Work } from "../kernel/workqueue.ts";
import { zsCreatePool, zsDestroyPool, zsGetTotalPages } from "../zsmalloc/zsmalloc.ts";
import { type ZswapState, zswapState } from "./state.ts";
import type { PoolObj, ZswapPool } from "./types.ts";

/** zswap_pool_create(): a new pool with ready per-CPU contexts, not yet on the list. */
export function zswapPoolCreate(k: Kernel, compressor: string): Op<PoolObj | null> {
  return traced(k, "zswap_pool_create", poolCreate(k, compressor));
}

function* poolCreate(k: Kernel, compressor: string): Op<PoolObj | null> {
  const z = zswapState(k);
  // atomic_inc_return(&zswap_pools_count): the first pool is zswap1.
  const name = `zswap${(++z.poolsCount).toString(16)}`;
  const pool = yield* kmalloc<ZswapPool>(k, "zswap_pool", 256, GFP_KERNEL, () => ({
    name,
    tfmName: compressor,
    // zs_malloc's allocations fail where fault injection says so (real mode's --fail).
    zsPool: zsCreatePool(name, { chainSize: z.zsChainSize, shouldFail: faultHook(k, "zs_malloc") }),
    acompCtx: null,
    ref: null,
    node: { pool: null },
    releaseWork: null,
    onList: false,
  }));
  if (pool === null) return null;
  const p = pool.data;
  p.node.pool = pool;
  if (!(yield* z.design.allocCtxs(k, pool))) return freePoolShell(k, pool);
  if (
    (yield* cpuhpStateAddInstance(k, z.design.cpuhpState ?? CPUHP_MM_ZSWP_POOL_PREPARE, p.node)) !==
    0
  ) {
    yield* z.design.createFailed(k, pool, "cpuhp_add_fail");
    return freePoolShell(k, pool);
  }
  // The initial reference is "being the current pool"; it is dropped by percpu_ref_kill().
  p.ref = yield* percpuRefInit(k, "zswap_pool ref", (k2) =>
    traced(k2, "__zswap_pool_empty", zswapPoolEmpty(k2, pool)),
  );
  if (p.ref === null) {
    yield* z.design.createFailed(k, pool, "ref_fail");
    return freePoolShell(k, pool);
  }
  p.releaseWork = new Work(`zswap_pool_release(${name})`, (k2) =>
    traced(k2, "__zswap_pool_release", zswapPoolRelease(k2, pool)),
  );
  k.note(`pool ${name} (${compressor}) created`);
  return pool;
}

function freePoolShell(k: Kernel, pool: PoolObj): null {
  zsDestroyPool(pool.data.zsPool);
  kfree(k, pool);
  return null;
}

/** zswap_pool_destroy(): the design decides the order of remove_instance and freeing. */
export function zswapPoolDestroy(k: Kernel, pool: PoolObj): Op<void> {
  return traced(k, "zswap_pool_destroy", poolDestroy(k, pool));
}

function* poolDestroy(k: Kernel, pool: PoolObj): Op<void> {
  const z = zswapState(k);
  yield* z.design.destroyCtxs(k, pool);
  zsDestroyPool(use(k, pool, "read pool->zs_pool").zsPool);
  k.note(`pool ${pool.data.name} destroyed`);
  yield* kfreeAndYield(k, pool);
}

/** __zswap_pool_release(): runs as work after the last reference is gone. */
function* zswapPoolRelease(k: Kernel, pool: PoolObj): Op<void> {
  // Readers that found the pool on zswap_pools before __zswap_pool_empty() unlinked it (the
  // walk of zswap_total_pages()) may still be inside their RCU read-side sections.
  if (zswapState(k).design.releaseGracePeriod !== false) yield* synchronizeRcu(k);
  const p = use(k, pool, "read pool->ref");
  if (p.ref === null || !percpuRefIsZero(p.ref, k)) {
    throw new KernelBug(
      "warning",
      `WARNING: zswap pool ${p.name} released with a non-zero reference count`,
    );
  }
  percpuRefExit(k, p.ref);
  yield* zswapPoolDestroy(k, pool);
}

/** __zswap_pool_empty(): the percpu_ref release callback (ref reached zero after kill). */
function* zswapPoolEmpty(k: Kernel, pool: PoolObj): Op<void> {
  const z = zswapState(k);
  spinLock(k, z.poolsLock);
  if (z.pools[0] === pool) {
    spinUnlock(k, z.poolsLock);
    throw new KernelBug(
      "warning",
      `WARNING: pool ${pool.data.name} empty while it is the current pool`,
    );
  }
  listDel(z, pool);
  const work = use(k, pool, "read pool->release_work").releaseWork as Work;
  queueWork(k, work);
  spinUnlock(k, z.poolsLock);
  yield* noop();
}

function* noop(): Op<void> {}

function listDel(z: ZswapState, pool: PoolObj): void {
  const i = z.pools.indexOf(pool);
  if (i >= 0) z.pools.splice(i, 1);
  pool.data.onList = false;
}

export function zswapPoolTryget(k: Kernel, pool: PoolObj | undefined): boolean {
  if (pool === undefined) return false;
  const ref = use(k, pool, "read pool->ref").ref;
  return ref !== null && percpuRefTryget(k, ref);
}

/** zswap_pool_get(): for callers that already hold a reference. */
export function zswapPoolGet(k: Kernel, pool: PoolObj): void {
  percpuRefGet(k, use(k, pool, "read pool->ref").ref as NonNullable<ZswapPool["ref"]>);
}

export function zswapPoolPut(k: Kernel, pool: PoolObj): Op<void> {
  return percpuRefPut(k, use(k, pool, "read pool->ref").ref as NonNullable<ZswapPool["ref"]>);
}

/**
 * zswap_pool_current_get(): the head of the list, if its reference can still be taken. The
 * read of the head and the tryget form an RCU reader that may be preempted ("rcu" point): the
 * pool it saw must stay allocated until it leaves.
 */
export function zswapPoolCurrentGet(k: Kernel): Op<PoolObj | null> {
  // With neither point on (real mode) the reader has no effect: done at the call, where
  // `yield*` would start it, without a generator (uninstrumented: no frame to record).
  if (!k.instrumented && !pointOn(k, "rcu") && !pointOn(k, "ref"))
    return returned(poolCurrentGetNow(k));
  return traced(k, "zswap_pool_current_get", poolCurrentGet(k));
}

/** poolCurrentGet() without its preemption points. */
function poolCurrentGetNow(k: Kernel): PoolObj | null {
  rcuReadLock(k);
  const pool = zswapState(k).pools[0];
  const ok = zswapPoolTryget(k, pool);
  rcuReadUnlock(k);
  return ok ? (pool as PoolObj) : null;
}

function* poolCurrentGet(k: Kernel): Op<PoolObj | null> {
  const z = zswapState(k);
  rcuReadLock(k);
  const pool = z.pools[0];
  yield* preemptPoint(k, "rcu", "zswap_pool_current_get: rcu_dereference(zswap_pools)");
  const ok = zswapPoolTryget(k, pool);
  if (ok) yield* preemptPoint(k, "ref", "zswap_pool_tryget");
  rcuReadUnlock(k);
  return ok ? (pool as PoolObj) : null;
}

/** zswap_pool_find_get(): a pool with this compressor whose reference is not yet zero. */
function zswapPoolFindGetLocked(k: Kernel, z: ZswapState, compressor: string): PoolObj | null {
  for (const pool of z.pools) {
    if (pool.data.tfmName !== compressor) continue;
    if (!zswapPoolTryget(k, pool)) {
      z.findGetSkippedDying++; // about to be destroyed
      continue;
    }
    return pool;
  }
  return null;
}

/** zswap_total_pages(): zsmalloc pages of every pool on the list (an RCU reader, not preempted). */
export function zswapTotalPages(k: Kernel): number {
  const z = zswapState(k);
  const inTask = k.current !== null;
  if (inTask) rcuReadLock(k);
  let n = 0;
  for (const pool of z.pools) n += zsGetTotalPages(use(k, pool, "read pool->zs_pool").zsPool);
  if (inTask) rcuReadUnlock(k);
  return n;
}

/**
 * zswap_total_pages() on the store and shrink paths: the walk of zswap_pools is an RCU reader
 * that may be preempted at every pool ("rcu" point). A pool unlinked by __zswap_pool_empty()
 * meanwhile must not be freed before the walk leaves: that is what the synchronize_rcu() in
 * __zswap_pool_release() is for.
 */
export function zswapTotalPagesRcu(k: Kernel): Op<number> {
  // Without the "rcu" point (real mode) the walk is zswapTotalPages(): done at the call.
  if (!k.instrumented && !pointOn(k, "rcu")) return returned(zswapTotalPages(k));
  return traced(k, "zswap_total_pages", totalPagesRcu(k));
}

function* totalPagesRcu(k: Kernel): Op<number> {
  const z = zswapState(k);
  rcuReadLock(k);
  let n = 0;
  // list_for_each_entry_rcu: the walk follows the list as it is when each step is taken.
  for (let i = 0; i < z.pools.length; i++) {
    const pool = z.pools[i] as PoolObj;
    yield* preemptPoint(k, "rcu", "zswap_total_pages: list_for_each_entry_rcu");
    n += zsGetTotalPages(use(k, pool, "read pool->zs_pool").zsPool);
  }
  rcuReadUnlock(k);
  return n;
}

/*
 * The pool limit, as mm/zswap.c keeps it beside zswap_total_pages(): max_pool_percent of RAM,
 * and the accept threshold below which a pool that filled up takes stores again.
 */

/** zswap_max_pages(). */
export function zswapMaxPages(k: Kernel): number {
  const z = zswapState(k);
  return Math.floor((memory(k).totalramPages * z.params.max_pool_percent) / 100);
}

/** zswap_accept_thr_pages(). */
export function zswapAcceptThrPages(k: Kernel): number {
  const z = zswapState(k);
  return Math.floor((zswapMaxPages(k) * z.params.accept_threshold_percent) / 100);
}

/** zswap_check_limits(): one-way hysteresis; true rejects the store. `cur`: zswap_total_pages(). */
export function zswapCheckLimits(k: Kernel, cur = zswapTotalPages(k)): boolean {
  const z = zswapState(k);
  const max = zswapMaxPages(k);
  if (cur >= max) {
    z.stats.pool_limit_hit++;
    z.poolReachedFull = true;
  } else if (z.poolReachedFull && cur <= zswapAcceptThrPages(k)) {
    z.poolReachedFull = false;
  }
  return z.poolReachedFull;
}

/**
 * zswap_compressor_param_set(): switch to `compressor`, reusing a pool that still lives or
 * creating one; the old current pool is killed and goes when its last entry is freed.
 */
export function zswapCompressorParamSet(k: Kernel, compressor: string): Op<number> {
  return traced(k, "zswap_compressor_param_set", compressorParamSet(k, compressor));
}

function* compressorParamSet(k: Kernel, compressor: string): Op<number> {
  const z = zswapState(k);
  yield* mutexLock(k, z.initLock);
  try {
    if (z.initState === "uninit") {
      z.params.compressor = compressor;
      return 0;
    }
    if (z.initState === "failed") return -ENODEV;
    if (compressor === z.params.compressor && z.hasPool) return 0;
    if (!cryptoHasAcomp(k, compressor)) return -ENOENT;
    return yield* switchPool(k, z, compressor);
  } finally {
    yield* mutexUnlockAndYield(k, z.initLock);
  }
}

function* switchPool(k: Kernel, z: ZswapState, compressor: string): Op<number> {
  spinLock(k, z.poolsLock);
  let pool = zswapPoolFindGetLocked(k, z, compressor);
  if (pool !== null) listDel(z, pool); // it must not be current while we resurrect it
  spinUnlock(k, z.poolsLock);
  if (pool === null) {
    pool = yield* zswapPoolCreate(k, compressor);
  } else {
    percpuRefResurrect(k, use(k, pool, "read pool->ref").ref as NonNullable<ZswapPool["ref"]>);
    yield* zswapPoolPut(k, pool); // drop the find_get reference
  }
  let putPool: PoolObj | null = null;
  spinLock(k, z.poolsLock);
  if (pool !== null) {
    putPool = z.pools[0] ?? null;
    z.pools.unshift(pool);
    pool.data.onList = true;
    z.hasPool = true;
    z.params.compressor = compressor;
  }
  spinUnlock(k, z.poolsLock);
  // Drop the old current pool's initial reference; it is destroyed when its last entry goes.
  if (putPool !== null)
    yield* percpuRefKill(k, use(k, putPool, "read pool->ref").ref as NonNullable<ZswapPool["ref"]>);
  // param_set_charp() is skipped and the write fails with -EINVAL, whatever failed in create.
  return pool === null ? -EINVAL : 0;
}

export { EINVAL };
