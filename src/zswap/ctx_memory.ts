/**
 * The per-CPU memory the pool-lifetime ctx keeps (reference/zswap-design.md §3.6): since 7.1 a
 * CPU's acomp_ctx resources stay allocated while the CPU is offline, so this is what the
 * batching series had to justify, about 8 KB per CPU for software and 64 KB with 8 IAA
 * buffers by its count.
 *
 * Computed from the model's allocations: the dst buffers, the acomp tfm and request, and the
 * ctx's slot in the per-CPU area. Not counted: the algorithm's own workspace behind the tfm
 * (a zstd context, a zlib stream) and the driver's per-CPU batch ctx, as the series did not
 * count them either. Our buffers are PAGE_SIZE (as in 7.3); the series' figures were made
 * with two-page buffers, so they are about twice ours.
 */
import type { Kernel } from "../kernel/kernel.ts";
import { ctxOf } from "./acomp_ctx/common.ts";
import { zswapState } from "./state.ts";
import { isErr, type PoolObj } from "./types.ts";

/** alloc_percpu's share of one CPU's ctx (allocPercpu sizes the area at 64 bytes per CPU). */
const CTX_SLOT_BYTES = 64;

export interface CtxMemory {
  readonly cpu: number;
  readonly buffers: number;
  readonly bufferBytes: number;
  readonly tfmBytes: number;
  readonly reqBytes: number;
  readonly totalBytes: number;
}

/** Each possible CPU's ctx memory in `pool` (the current pool by default). */
export function acompCtxMemory(
  k: Kernel,
  pool: PoolObj | null = zswapState(k).pools[0] ?? null,
): CtxMemory[] {
  if (pool === null) return [];
  return k.cpus.possible.map((cpu) => {
    const ctx = ctxOf(k, pool, cpu, "per_cpu_ptr (memory report)");
    const buffers = ctx.buffers ?? (ctx.buffer === null ? [] : [ctx.buffer]);
    const bufferBytes = buffers.reduce((s, b) => s + b.sizeBytes, 0);
    const tfmBytes = ctx.acomp === null || isErr(ctx.acomp) ? 0 : ctx.acomp.sizeBytes;
    const reqBytes = ctx.req?.sizeBytes ?? 0;
    const totalBytes = bufferBytes + tfmBytes + reqBytes + CTX_SLOT_BYTES;
    return { cpu, buffers: buffers.length, bufferBytes, tfmBytes, reqBytes, totalBytes };
  });
}

/** A short table: one line per distinct per-CPU figure, and the total. */
export function acompCtxMemoryText(k: Kernel): string {
  const rows = acompCtxMemory(k);
  const pool = zswapState(k).pools[0];
  if (pool === undefined || rows.length === 0) return "per-CPU acomp_ctx memory: no pool\n";
  const total = rows.reduce((s, r) => s + r.totalBytes, 0);
  const lines = [
    `per-CPU acomp_ctx memory of ${pool.data.name} (${pool.data.tfmName}), kept while a CPU is offline:`,
  ];
  for (const r of rows)
    lines.push(
      `  cpu${r.cpu}: ${r.buffers} buffer(s) ${r.bufferBytes} B + tfm ${r.tfmBytes} B + req ${r.reqBytes} B + ctx ${CTX_SLOT_BYTES} B = ${(r.totalBytes / 1024).toFixed(2)} KiB`,
    );
  lines.push(`  total: ${(total / 1024).toFixed(2)} KiB for ${rows.length} CPUs`);
  return `${lines.join("\n")}\n`;
}
