/**
 * The ctx-resource leak check (kmemleak style, by reachability): at the end of a scenario every
 * live acomp_ctx resource must be reachable from a live pool's per-CPU area.
 */
import type { Kernel } from "../kernel/kernel.ts";
import { checkLeaks, type KObj, liveObjects } from "../kernel/memory.ts";
import type { AcompCtx, ZswapPool } from "../zswap/types.ts";

const CTX_LABELS = new Set(["acomp_req", "crypto_acomp", "acomp_ctx buffer", "acomp_ctx percpu"]);

export function checkCtxLeaks(k: Kernel): void {
  const reachable = new Set<KObj>();
  for (const o of liveObjects(k, (x) => x.label === "zswap_pool")) {
    const area = (o.data as ZswapPool).acompCtx;
    if (area === null || area.freed) continue;
    reachable.add(area);
    for (const ctx of area.data.slots as AcompCtx[]) {
      for (const r of [ctx.req, ctx.acomp, ctx.buffer, ...(ctx.buffers ?? [])])
        if (r !== null && "id" in r) reachable.add(r as KObj);
    }
  }
  checkLeaks(
    k,
    "acomp_ctx resources no live pool references",
    (o) => CTX_LABELS.has(o.label) && !reachable.has(o),
  );
}
