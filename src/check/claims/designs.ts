/**
 * Designs the v8 12/14 review argued about but nobody wrote down: D5 with `__online` (and then
 * `nr_reqs`) removed, Kanchana's two options, and the shipped designs with their callback moved
 * from the PREPARE section to the ONLINE section (running on the CPU being brought up).
 *
 * They are registered as hidden designs: `check --design NAME` and replay tokens find them,
 * but the matrix and the design listings stay the shipped ones.
 */
import { acompRequestFree, cryptoFreeAcomp } from "../../crypto/acomp.ts";
import { CPUHP_AP_ONLINE_DYN } from "../../kernel/cpuhp.ts";
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { __GFP_NOWARN, GFP_NOWAIT, type Gfp, kfreeAndYield } from "../../kernel/memory.ts";
import { mutexInit, mutexLock, mutexUnlockAndYield } from "../../kernel/mutex.ts";
import { migrateDisable, migrateEnable } from "../../kernel/preempt.ts";
import {
  acompCtxFree,
  allocCtxResources,
  allocCtxResourcesInto,
  ctxOf,
  freeCtxArea,
  removeInstance,
} from "../../zswap/acomp_ctx/common.ts";
import { D2 } from "../../zswap/acomp_ctx/d2_d4.ts";
import { D5, deallocAll } from "../../zswap/acomp_ctx/d5.ts";
import { acquire, D7 } from "../../zswap/acomp_ctx/d7.ts";
import type { AcompCtxDesign } from "../../zswap/acomp_ctx/design.ts";
import { registerHiddenDesign } from "../../zswap/acomp_ctx/index.ts";
import { type AcompCtx, isErr, type PoolObj } from "../../zswap/types.ts";
import { BROKEN_VARIANTS } from "../variants/variants.ts";

// ---------------------------------------------------------------------------------------------
// D5 without __online, then without nr_reqs (Yosry's first review point)
// ---------------------------------------------------------------------------------------------

/** D5's prepare with the `__online` lines deleted: allocate once, keep through offline. */
function* prepareNoOnline(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  if (ctx.nrReqs !== 0) return 0;
  return yield* D5.prepare(k, pool, cpu);
}

/**
 * D5 minus `__online`: no teardown callback, and compress/decompress take the mutex directly
 * (D7's acquire). Pool create and destroy are D5's as posted (dealloc before remove_instance).
 */
export const D5_NO_ONLINE: AcompCtxDesign = {
  ...D5,
  name: "L-D5-no-online",
  summary: "D5 with __online removed: no teardown, mutex held directly in compress/decompress",
  versions: "not posted (the review's first point)",
  hasTeardown: false,
  prepare: prepareNoOnline,
  acquire,
};

/** D5's acomp_ctx_dealloc() without its `nr_reqs` guard: frees whatever is set. */
function* deallocNoNrReqs(k: Kernel, ctx: AcompCtx): Op<void> {
  if (ctx.req !== null) acompRequestFree(k, ctx.req);
  ctx.req = null;
  yield* kfreeAndYield(k, ctx.buffer);
  ctx.buffer = null;
  if (ctx.acomp !== null && !isErr(ctx.acomp)) yield* cryptoFreeAcomp(k, ctx.acomp);
}

function* deallocAllNoNrReqs(k: Kernel, pool: PoolObj): Op<void> {
  for (const cpu of k.cpus.possible) yield* deallocNoNrReqs(k, ctxOf(k, pool, cpu));
}

/** prepare keyed on `acomp` (as 7.1 does) instead of `nr_reqs`; D5's dealloc otherwise. */
function* prepareNoNrReqs(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  if (ctx.acomp !== null && !isErr(ctx.acomp)) return 0;
  const r = yield* allocCtxResources(k, pool, 2);
  if (typeof r === "number") return r;
  Object.assign(ctx, r);
  return 0;
}

/**
 * D5 minus `__online` and `nr_reqs`, with Yosry's destroy rule (remove_instance first). D5's
 * dealloc never reset `acomp`; with `nr_reqs` gone nothing else says "already freed".
 */
export const D5_NO_NR_REQS: AcompCtxDesign = {
  ...D5_NO_ONLINE,
  name: "L-D5-no-nr-reqs",
  summary: "D5 without __online and nr_reqs; prepare tests acomp; remove_instance before dealloc",
  prepare: prepareNoNrReqs,
  *createFailed(k, pool, stage): Op<void> {
    // add_instance failed: the node is not registered, so only ref_fail removes it.
    if (stage === "ref_fail") yield* removeInstance(k, pool);
    yield* deallocAllNoNrReqs(k, pool);
    freeCtxArea(k, pool);
  },
  *destroyCtxs(k, pool): Op<void> {
    yield* removeInstance(k, pool);
    yield* deallocAllNoNrReqs(k, pool);
    freeCtxArea(k, pool);
  },
};

/** D5 minus `__online` with the destroy order Yosry asked for (remove_instance, then free). */
export const D5_REMOVE_FIRST: AcompCtxDesign = {
  ...D5_NO_ONLINE,
  name: "L-D5-remove-first",
  summary: "D5 without __online; zswap_pool_destroy() removes the cpuhp instance before dealloc",
  *createFailed(k, pool, stage): Op<void> {
    if (stage === "ref_fail") yield* removeInstance(k, pool);
    yield* deallocAll(k, pool);
    freeCtxArea(k, pool);
  },
  *destroyCtxs(k, pool): Op<void> {
    yield* removeInstance(k, pool);
    yield* deallocAll(k, pool);
    freeCtxArea(k, pool);
  },
};

// ---------------------------------------------------------------------------------------------
// Kanchana's option 1: acomp_ctx_get_cpu_lock() returns NULL when the ctx is not online
// ---------------------------------------------------------------------------------------------

/** Lock the current CPU's ctx; NULL (after unlocking) if it is not `__online`: no loop. */
function* getCpuLockOrNull(k: Kernel, pool: PoolObj): Op<AcompCtx | null> {
  const ctx = yield* acquire(k, pool);
  if (ctx.online) return ctx;
  yield* mutexUnlockAndYield(k, ctx.mutex);
  return null;
}

export const D5_OPTION1: AcompCtxDesign = {
  ...D5,
  name: "L-D5-option1",
  summary:
    "D5 with acomp_ctx_get_cpu_lock() returning NULL when !__online (store fails, load BUG_ON)",
  versions: "proposed in the v8 review, not posted",
  tryAcquire: getCpuLockOrNull,
};

// ---------------------------------------------------------------------------------------------
// Kanchana's option 2: prepare allocates without direct reclaim or kswapd
// ---------------------------------------------------------------------------------------------

/** Like GFP_TRANSHUGE_LIGHT for slab: no __GFP_DIRECT_RECLAIM, no kswapd, no warning. */
export const GFP_NORECLAIM: Gfp = GFP_NOWAIT | __GFP_NOWARN;

/** D2's prepare (allocations under the ctx mutex), with the no-reclaim GFP. */
function* prepareD2Light(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  yield* mutexLock(k, ctx.mutex);
  const r = yield* allocCtxResources(k, pool, 2, GFP_NORECLAIM);
  if (typeof r !== "number") Object.assign(ctx, r);
  yield* mutexUnlockAndYield(k, ctx.mutex);
  return typeof r === "number" ? r : 0;
}

export const D2_OPTION2: AcompCtxDesign = {
  ...D2,
  name: "L-D2-option2",
  summary: "D2 (allocations under the ctx mutex) allocating with a no-reclaim GFP (option 2)",
  versions: "proposed in the v8 review, not posted",
  prepare: prepareD2Light,
};

/** D7's prepare with the no-reclaim GFP. */
function* prepareD7Light(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  if (ctx.acomp !== null) return 0;
  const ret = yield* allocCtxResourcesInto(k, pool, ctx, GFP_NORECLAIM);
  if (ret !== 0) {
    yield* acompCtxFree(k, ctx, true);
    return ret;
  }
  mutexInit(k, ctx.mutex);
  return 0;
}

export const D7_OPTION2: AcompCtxDesign = {
  ...D7,
  name: "L-D7-option2",
  summary: "D7 allocating in prepare with a no-reclaim GFP (option 2)",
  versions: "proposed in the v8 review, not posted",
  prepare: prepareD7Light,
};

// ---------------------------------------------------------------------------------------------
// The callback in the ONLINE section, on the CPU itself
// ---------------------------------------------------------------------------------------------

/**
 * Runs `body` on `cpu`, pinned, as the per-CPU hotplug thread (cpuhp/N) runs an ONLINE-section
 * callback. Simplified: the model has no per-CPU hotplug threads (src/kernel/cpuhp.ts runs ONLINE
 * callbacks on the control task), so the control task moves to the CPU for the callback and back.
 */
function* onCpu<T>(k: Kernel, cpu: number, body: Op<T>): Op<T> {
  const t = k.task;
  const from = k.cpu; // a read of the task's CPU (it comes back here): partial-order reduction
  migrateDisable(k);
  t.cpu = cpu;
  k.note(`cpuhp/${cpu}: callback runs on cpu${cpu}`);
  try {
    return yield* body;
  } finally {
    t.cpu = from;
    migrateEnable(k);
  }
}

function onlineSection(base: AcompCtxDesign, name: string): AcompCtxDesign {
  return {
    ...base,
    name,
    summary: `${base.name} with its callback in the ONLINE section (CPUHP_AP_ONLINE_DYN), run on the CPU itself`,
    versions: "not proposed: the counterfactual of the PREPARE placement",
    cpuhpState: CPUHP_AP_ONLINE_DYN,
    prepare: (k, pool, cpu) => onCpu(k, cpu, base.prepare(k, pool, cpu)),
    dead: (k, pool, cpu) => onCpu(k, cpu, base.dead(k, pool, cpu)),
  };
}

export const D2_ONLINE = onlineSection(D2, "L-D2-online");
export const D7_ONLINE = onlineSection(D7, "L-D7-online");

export const LEDGER_DESIGNS: readonly AcompCtxDesign[] = [
  D5_NO_ONLINE,
  D5_NO_NR_REQS,
  D5_REMOVE_FIRST,
  D5_OPTION1,
  D2_OPTION2,
  D7_OPTION2,
  D2_ONLINE,
  D7_ONLINE,
];

/** The test-only broken variants the ledger uses as counterexamples to a premise. */
const LEDGER_VARIANTS = ["V-D4-no-retry", "V-D7-no-gfp-zero", "V-D7-no-gfp-zero-always-alloc"];

for (const d of LEDGER_DESIGNS) registerHiddenDesign(d);
for (const v of BROKEN_VARIANTS)
  if (LEDGER_VARIANTS.includes(v.design.name)) registerHiddenDesign(v.design);
