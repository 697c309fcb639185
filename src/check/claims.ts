/**
 * Claims from the mailing list, as oracles a check can switch on (`check --claim NAME`).
 *
 * A claim wraps a design's hooks with an assertion of what the reviewer said always holds. It
 * changes nothing else, so a violation is a counterexample to the claim, with a trace and a
 * token, even when the design stays memory-safe (the claim may be false but harmless).
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { KernelBug } from "../kernel/report.ts";
import { siteLines, siteOf } from "../kernel/site.ts";
import { ctxOf } from "../zswap/acomp_ctx/common.ts";
import type { AcompCtxDesign } from "../zswap/acomp_ctx/design.ts";
import type { PoolObj } from "../zswap/types.ts";
// The ledger's designs and scenarios register themselves (hidden) for check and replay tokens.
import "./claims/designs.ts";
import { LEDGER_ORACLES } from "./claims/oracles.ts";
import "./claims/scenarios.ts";

export interface Claim {
  readonly name: string;
  /** The claim, in one sentence. */
  readonly statement: string;
  /** Who made it, where. */
  readonly source: string;
  wrap(design: AcompCtxDesign): AcompCtxDesign;
}

/**
 * "zswap_cpu_comp_prepare() cannot race with compression or decompression for the same pool and
 * CPU": when prepare(pool, cpu) starts, no other task holds or waits for that ctx's mutex.
 */
const prepareExclusive: Claim = {
  name: "prepare-exclusive",
  statement:
    "zswap_cpu_comp_prepare(pool, cpu) never runs while another task holds or waits for that ctx",
  source: "Yosry Ahmed, 10 Mar 2025 (the review in reference/), and the v14 23/26 commit message",
  wrap: (design) => ({
    ...design,
    *prepare(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
      checkNoUser(k, pool, cpu);
      return yield* design.prepare(k, pool, cpu);
    },
  }),
};

function checkNoUser(k: Kernel, pool: PoolObj, cpu: number): void {
  const m = ctxOf(k, pool, cpu).mutex;
  const users = [...(m.owner !== null && m.owner !== k.current ? [m.owner] : []), ...m.waiters];
  if (users.length === 0) return;
  const who = users.map((t) => `${t.name} (on cpu ${t.cpu})`).join(", ");
  throw new KernelBug(
    "assertion",
    `claim violated: prepare-exclusive: prepare(${pool.data.name}, cpu${cpu}) runs while ${who} uses that ctx`,
    [
      `zswap_cpu_comp_prepare() for cpu${cpu} started while ${m.name} is held or awaited by ${who}.`,
      "Whether that is harmful depends on what prepare does to a ctx in use; this reports only the race.",
      ...siteLines("prepare called", siteOf(k)),
    ],
  );
}

/** Every claim oracle: this file's, then the ledger's (src/check/claims/oracles.ts). */
export const CLAIMS: readonly Claim[] = [prepareExclusive, ...LEDGER_ORACLES];

export function claimByName(name: string): Claim {
  const c = CLAIMS.find((x) => x.name === name);
  if (c === undefined)
    throw new RangeError(
      `Unknown claim '${name}'; available: ${CLAIMS.map((x) => x.name).join(", ")}`,
    );
  return c;
}
