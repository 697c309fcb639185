/** The end state the commutation test compares (src/check/commute.ts): zswap's statistics. */
import type { Kernel } from "../kernel/kernel.ts";
import type { ZswapState } from "../zswap/state.ts";

export function zswapDigest(k: Kernel): string {
  const z = k.subsystems.get("zswap") as ZswapState | undefined;
  if (z === undefined) return "";
  return JSON.stringify({
    stats: z.stats,
    pools: z.pools.length,
    compressedBytes: z.compressedBytes,
    entries: z.lru.count(null),
  });
}
