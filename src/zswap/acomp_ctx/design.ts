/**
 * The per-CPU acomp_ctx lifecycle: the part of mm/zswap.c whose design changed seven times
 * (reference/zswap-design.md §2). Each design is one file in this folder, implementing this
 * interface with plain zswap code on the kernel model; no design knows about any scenario.
 *
 * The rest of zswap calls only these hooks, so that the same store, load, writeback and pool
 * code runs under every design.
 */
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import type { AcompCtx, PoolObj } from "../types.ts";

export type CreateFailStage = "cpuhp_add_fail" | "ref_fail";

export interface AcompCtxDesign {
  /** "D0" ... "D7", "D7-v14". */
  readonly name: string;
  /** One line: where the design comes from. */
  readonly summary: string;
  /** Kernel versions that shipped it, or "not merged". */
  readonly versions: string;
  /** Whether zswap_setup registers a teardown ("dead") callback. */
  readonly hasTeardown: boolean;
  /** Allocates the pool's per-CPU area and initializes every possible CPU's ctx as the design does. */
  allocCtxs(k: Kernel, pool: PoolObj): Op<boolean>;
  /** The cpuhp startup callback, zswap_cpu_comp_prepare(). Returns 0 or a negative errno. */
  prepare(k: Kernel, pool: PoolObj, cpu: number): Op<number>;
  /** The cpuhp teardown callback, zswap_cpu_comp_dead() (only when hasTeardown). */
  dead(k: Kernel, pool: PoolObj, cpu: number): Op<number>;
  /** Gets the current CPU's ctx with its mutex held (acomp_ctx_get_cpu_lock or its forerunners). */
  acquire(k: Kernel, pool: PoolObj): Op<AcompCtx>;
  /**
   * Optional: an acquire that can fail (Kanchana's option 1 in the v8 review: NULL when the ctx
   * is not online). When present, compress and decompress call it instead of `acquire`: a store
   * whose acquire fails is rejected (the page goes to the swap device); a load whose acquire
   * fails hits the BUG_ON(!acomp_ctx) the option proposes. Designs without it are unchanged.
   */
  tryAcquire?(k: Kernel, pool: PoolObj): Op<AcompCtx | null>;
  /**
   * Optional: the cpuhp state the design registers (default CPUHP_MM_ZSWP_POOL_PREPARE, a
   * PREPARE-section state). The claims ledger uses an ONLINE-section state to check what the
   * PREPARE placement buys.
   */
  readonly cpuhpState?: number;
  /** Releases what acquire took. */
  release(k: Kernel, ctx: AcompCtx): void;
  /** zswap_pool_create()'s error path after cpuhp_state_add_instance ("cpuhp_add_fail") or percpu_ref_init ("ref_fail") failed. */
  createFailed(k: Kernel, pool: PoolObj, stage: CreateFailStage): Op<void>;
  /**
   * Test-only variants (src/check/variants/): false drops the synchronize_rcu() at the start
   * of __zswap_pool_release(), to show the checker finds the RCU reader it protects. Default true.
   */
  readonly releaseGracePeriod?: boolean;
  /** zswap_pool_destroy()'s ctx part: remove the cpuhp instance and free the ctxs, in the design's order. */
  destroyCtxs(k: Kernel, pool: PoolObj): Op<void>;
}
