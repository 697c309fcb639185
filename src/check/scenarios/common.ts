/** Building blocks scenarios share: reclaim that swaps pages out through zswap, pool switches. */
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { memory, registerReclaimHook } from "../../kernel/memory.ts";
import { zswapParamSet } from "../../zswap/zswap.ts";
import type { ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";

/**
 * Registers a reclaim hook that swaps one anonymous page out (shrink_folio_list -> zswap_store)
 * each time reclaim runs, recording it in the oracle. Pages are tagged from `tagBase`.
 */
export function reclaimIntoZswap(env: ScenarioEnv, tagBase: number): void {
  const next = { tag: tagBase };
  // A plain closure around a top-level generator, not a generator closure (see bodies.ts).
  registerReclaimHook(env.k, "shrink_folio_list", (k) => reclaimOnePage(env, k, next));
}

function* reclaimOnePage(env: ScenarioEnv, k: Kernel, next: { tag: number }): Op<void> {
  yield* env.oracle.swapOut(k, testPage(next.tag++));
}

/** Lets allocations with these labels enter direct reclaim (an explored decision). */
export function reclaimable(env: ScenarioEnv, ...labels: string[]): void {
  for (const l of labels) memory(env.k).policy.reclaimable.add(l);
}

/** Lets allocations with these labels fail (an explored decision). */
export function faultable(env: ScenarioEnv, ...labels: string[]): void {
  for (const l of labels) memory(env.k).policy.faultable.add(l);
}

/** The allocations a ctx prepare makes. */
export const PREPARE_ALLOCS = ["acomp_ctx buffer", "crypto_acomp", "acomp_req"] as const;

/** Switches the compressor (a new pool, or back to a live old one). */
export function* switchCompressor(env: ScenarioEnv, name: string): Op<number> {
  return yield* zswapParamSet(env.k, "compressor", name);
}
