/**
 * Liveness test designs: plausible planted bugs that make an execution never finish, and a
 * correct-but-different twin of each family. They are not in the matrix; the tests
 * (liveness_variants.test.ts) and `check --design-file` use them.
 *
 * - D4-hoisted: acomp_ctx_get_cpu_lock() with raw_cpu_ptr() hoisted out of its for (;;). A task
 *   migrated off an offlined CPU keeps re-taking the dead CPU's ctx, whose req dead cleared:
 *   a livelock (or, without preemption, a soft lockup).
 * - D4-nounlock: D4's dead callback "frees after unlocking" but forgets the unlock. A task that
 *   read the dead CPU's ctx before it was migrated sleeps on that mutex forever: hung task.
 * - D7-spin: acquire pins itself with preempt_disable() and spins on mutex_trylock(); when the
 *   holder was preempted on the same CPU it can never run again: soft lockup.
 * - D4-area-hoisted: the correct twin of D4-hoisted. Only the pool->acomp_ctx read leaves the
 *   loop (the area lives as long as the pool); raw_cpu_ptr() stays inside.
 * - D7-pinned: the correct twin of D7-spin: the task is pinned with migrate_disable() (it may
 *   sleep) rather than preempt_disable(), from raw_cpu_ptr() until it holds the mutex.
 */
import { acompRequestFree, cryptoFreeAcomp } from "../../crypto/acomp.ts";
import { type Op, sched } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { kfree, use } from "../../kernel/memory.ts";
import { mutexLock, mutexTrylock, mutexUnlock } from "../../kernel/mutex.ts";
import { rawCpuPtr } from "../../kernel/percpu.ts";
import {
  migrateDisable,
  migrateEnable,
  preemptDisable,
  preemptEnable,
} from "../../kernel/preempt.ts";
import { ctxOf } from "../../zswap/acomp_ctx/common.ts";
import { D4 } from "../../zswap/acomp_ctx/d2_d4.ts";
import { D7 } from "../../zswap/acomp_ctx/d7.ts";
import type { AcompCtxDesign } from "../../zswap/acomp_ctx/design.ts";
import { type AcompCtx, isErr, type PoolObj } from "../../zswap/types.ts";

function ctxArea(k: Kernel, pool: PoolObj) {
  const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
  if (area === null) throw new Error("acquire: pool has no ctx area");
  return area;
}

export const D4_HOISTED: AcompCtxDesign = {
  ...D4,
  name: "D4-hoisted",
  summary: "D4 with raw_cpu_ptr() hoisted out of the retry loop (planted livelock)",
  versions: "test design",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    const ctx = rawCpuPtr(k, ctxArea(k, pool));
    for (;;) {
      yield* mutexLock(k, ctx.mutex);
      if (ctx.req !== null) return ctx;
      mutexUnlock(k, ctx.mutex);
    }
  },
};

export const D4_AREA_HOISTED: AcompCtxDesign = {
  ...D4,
  name: "D4-area-hoisted",
  summary: "D4 with only the pool->acomp_ctx read hoisted out of the retry loop (correct)",
  versions: "test design",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    const area = ctxArea(k, pool);
    for (;;) {
      const ctx = rawCpuPtr(k, area);
      yield* mutexLock(k, ctx.mutex);
      if (ctx.req !== null) return ctx;
      mutexUnlock(k, ctx.mutex);
    }
  },
};

export const D4_NOUNLOCK: AcompCtxDesign = {
  ...D4,
  name: "D4-nounlock",
  summary: "D4 whose dead callback never unlocks the ctx mutex (planted hung task)",
  versions: "test design",
  *dead(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
    const ctx = ctxOf(k, pool, cpu);
    yield* mutexLock(k, ctx.mutex);
    const { req, acomp, buffer } = ctx;
    ctx.req = null;
    ctx.acomp = null;
    ctx.buffer = null;
    // Planted: the mutex_unlock() that D4 has here is missing.
    if (req !== null) acompRequestFree(k, req);
    if (acomp !== null && !isErr(acomp)) yield* cryptoFreeAcomp(k, acomp);
    kfree(k, buffer);
    return 0;
  },
};

export const D7_SPIN: AcompCtxDesign = {
  ...D7,
  name: "D7-spin",
  summary: "D7 whose acquire spins on mutex_trylock() with preemption disabled (planted lockup)",
  versions: "test design",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    preemptDisable(k);
    const ctx = rawCpuPtr(k, ctxArea(k, pool));
    while (!mutexTrylock(k, ctx.mutex)) yield* sched("cpu_relax");
    preemptEnable(k);
    return ctx;
  },
};

export const D7_PINNED: AcompCtxDesign = {
  ...D7,
  name: "D7-pinned",
  summary: "D7 whose acquire pins the task (migrate_disable) until it holds the mutex (correct)",
  versions: "test design",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    migrateDisable(k);
    const ctx = rawCpuPtr(k, ctxArea(k, pool));
    yield* mutexLock(k, ctx.mutex);
    migrateEnable(k);
    return ctx;
  },
};

export const LIVENESS_VARIANTS: readonly AcompCtxDesign[] = [
  D4_HOISTED,
  D4_NOUNLOCK,
  D7_SPIN,
  D4_AREA_HOISTED,
  D7_PINNED,
];
