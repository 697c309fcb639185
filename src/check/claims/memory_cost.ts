/**
 * The per-CPU memory cost of keeping acomp_ctx resources for the pool's lifetime, computed from
 * the model's own allocations (not quoted): run a design once, then add up the live ctx objects
 * (buffer, tfm, request) and divide by the number of ctxs that hold them.
 */
import type { Kernel } from "../../kernel/kernel.ts";
import { memory } from "../../kernel/memory.ts";
import { explore, type Program } from "../../sim/explore.ts";
import { random } from "../../sim/strategy_random.ts";
import { designByName } from "../../zswap/acomp_ctx/index.ts";
import { scenarioProgram } from "../harness.ts";
import { scenarioById } from "../scenarios/index.ts";

export interface CtxCost {
  readonly design: string;
  /** Bytes per ctx, by object label (acomp_ctx buffer, crypto_acomp, acomp_req). */
  readonly bytes: Readonly<Record<string, number>>;
  readonly perCpuBytes: number;
}

const CTX_LABELS = ["acomp_ctx buffer", "crypto_acomp", "acomp_req"];

/**
 * Runs `design` once on a scenario (L1: three CPUs, one software pool; C22: the IAA batching
 * driver) and measures its ctx allocations.
 */
export function ctxCost(designName: string, scenario = "L1"): CtxCost {
  let measured: Record<string, number> | null = null;
  const base = scenarioProgram(designByName(designName), scenarioById(scenario));
  const program: Program = {
    ...base,
    setup(k: Kernel) {
      base.setup(k);
      k.finishHooks.unshift(() => {
        measured = measure(k);
      });
    },
  };
  const r = explore(program, random(1), { executionsMax: 1 });
  if (r.verdict === "bug" || measured === null)
    throw new Error(`ctxCost: ${designName} x ${scenario} did not run to the end (${r.message})`);
  const bytes = measured as Record<string, number>;
  const perCpuBytes = Object.values(bytes).reduce((a, b) => a + b, 0);
  return { design: designName, bytes, perCpuBytes };
}

function measure(k: Kernel): Record<string, number> {
  const total: Record<string, number> = {};
  let ctxs = 0;
  for (const o of memory(k).live) {
    if (!CTX_LABELS.includes(o.label)) continue;
    total[o.label] = (total[o.label] ?? 0) + o.sizeBytes;
    if (o.label === "crypto_acomp") ctxs++;
  }
  if (ctxs === 0) throw new Error("ctxCost: no prepared ctx is live at the end");
  return Object.fromEntries(Object.entries(total).map(([l, b]) => [l, b / ctxs]));
}

/** The v8 IAA ctx: one tfm, and nr_reqs requests each with its own two-page buffer. */
export const IAA_BATCH_REQS = 8;

/** Per-CPU cost with IAA batching, from D5's measured per-object sizes (v8: 8 reqs, 8 buffers). */
export function iaaBatchCost(d5: CtxCost): number {
  const b = d5.bytes;
  return (
    (b.crypto_acomp ?? 0) + IAA_BATCH_REQS * ((b.acomp_req ?? 0) + (b["acomp_ctx buffer"] ?? 0))
  );
}

export interface MemoryFigures {
  readonly softwareD5Bytes: number;
  readonly softwareD7Bytes: number;
  readonly iaaD5Bytes: number;
  readonly iaaD7BatchBytes: number;
  readonly text: string;
}

export function memoryFigures(): MemoryFigures {
  const d5 = ctxCost("D5");
  const d7 = ctxCost("D7");
  const iaa = iaaBatchCost(d5);
  const d7Batch = ctxCost("D7-batch", "C22");
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const parts = (c: CtxCost) =>
    Object.entries(c.bytes)
      .map(([l, b]) => `${l} ${b} B`)
      .join(" + ");
  return {
    softwareD5Bytes: d5.perCpuBytes,
    softwareD7Bytes: d7.perCpuBytes,
    iaaD5Bytes: iaa,
    iaaD7BatchBytes: d7Batch.perCpuBytes,
    text:
      `per CPU, from the model's allocations: software D5 (v8) ${kb(d5.perCpuBytes)} (${parts(d5)}; the review: 8.2 KB), ` +
      `D7 (7.1, one-page buffer) ${kb(d7.perCpuBytes)} (${parts(d7)}), ` +
      `IAA batching (v8: tfm + ${IAA_BATCH_REQS} x (request + two-page buffer)) ${kb(iaa)} (the review: 64.8 KB); ` +
      `D7-batch on the IAA batching driver (v14: compr_batch_size one-page dst buffers) ${kb(d7Batch.perCpuBytes)} (${parts(d7Batch)}; v14 23/26: 64.34 KB)`,
  };
}
