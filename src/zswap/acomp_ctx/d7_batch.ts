/**
 * D7-batch: D7 (the 7.1 pool-lifetime ctx) with the batching series' ctx (v14 23/26 and
 * 26/26): besides the request and tfm, the ctx holds `buffers[]`, one PAGE_SIZE dst buffer per
 * unit of a compress batch, `pool->compr_batch_size = min(ZSWAP_MAX_BATCH_SIZE,
 * crypto_acomp_batch_size(tfm))` of them (1 for software compressors, 8 for deflate-iaa).
 * buffers[0] doubles as `buffer`, the decompression bounce buffer.
 *
 * Simplifications: the kernel computes compr_batch_size once at pool creation and maps an
 * sg_table onto the buffers at prepare; here the number of buffers a ctx holds is the batch
 * size, and zswap builds the scatterlist over them per batch (compress_batch.ts).
 */
import { cryptoAcompBatchSize } from "../../crypto/batch.ts";
import type { Op } from "../../kernel/effect.ts";
import { ENOMEM } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { GFP_KERNEL, kfree, kmalloc } from "../../kernel/memory.ts";
import { mutexInit } from "../../kernel/mutex.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { type AcompCtx, isErr, type PoolObj } from "../types.ts";
import {
  acompCtxFree,
  allocCtxResourcesInto,
  ctxOf,
  freeAllCtxs,
  freeCtxArea,
  removeInstance,
} from "./common.ts";
import { D7 } from "./d7.ts";
import type { AcompCtxDesign } from "./design.ts";

/** ZSWAP_MAX_BATCH_SIZE (v14 25/26). */
export const ZSWAP_MAX_BATCH_SIZE = 8;

/** The number of compress units per request this ctx supports (its pool's compr_batch_size). */
export function ctxComprBatchSize(ctx: AcompCtx): number {
  return ctx.buffers?.length ?? 1;
}

function* prepare(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
  const ctx = ctxOf(k, pool, cpu);
  if (ctx.acomp !== null) {
    if (isErr(ctx.acomp)) k.note(`WARN_ON_ONCE(IS_ERR(acomp_ctx->acomp)) on cpu${cpu}`);
    return 0;
  }
  let ret = yield* allocCtxResourcesInto(k, pool, ctx);
  if (ret === 0) ret = yield* allocExtraBuffers(k, ctx);
  if (ret !== 0) {
    yield* freeCtx(k, ctx);
    return ret;
  }
  mutexInit(k, ctx.mutex);
  return 0;
}

/** buffers[1..compr_batch_size): buffers[0] is the one allocCtxResourcesInto made. */
function* allocExtraBuffers(k: Kernel, ctx: AcompCtx): Op<number> {
  const tfm = ctx.acomp;
  if (tfm === null || isErr(tfm) || ctx.buffer === null) return -ENOMEM;
  const nr = Math.min(ZSWAP_MAX_BATCH_SIZE, cryptoAcompBatchSize(k, tfm));
  ctx.buffers = [ctx.buffer];
  while (ctx.buffers.length < nr) {
    const b = yield* kmalloc(
      k,
      "acomp_ctx buffer",
      PAGE_SIZE,
      GFP_KERNEL,
      () => new Uint8Array(PAGE_SIZE),
    );
    if (b === null) return -ENOMEM;
    ctx.buffers.push(b);
  }
  return 0;
}

/** acomp_ctx_free() with the extra buffers; resets the fields to NULL, as 7.1 does. */
function* freeCtx(k: Kernel, ctx: AcompCtx): Op<void> {
  for (const b of ctx.buffers?.slice(1) ?? []) kfree(k, b);
  delete ctx.buffers;
  yield* acompCtxFree(k, ctx, true);
}

function freeAllExtra(k: Kernel, pool: PoolObj): void {
  for (const cpu of k.cpus.possible) {
    const ctx = ctxOf(k, pool, cpu, "per_cpu_ptr (free)");
    for (const b of ctx.buffers?.slice(1) ?? []) kfree(k, b);
    delete ctx.buffers;
  }
}

/**
 * A design whose store path batches (profile 7.3-batching), and how long a store holds the ctx
 * mutex: per store batch (v8+, v14) or for the whole folio (v7, the regression of scenario C21).
 */
export interface BatchingDesign extends AcompCtxDesign {
  readonly profile: "7.3-batching";
  readonly lockScope: "batch" | "folio";
}

export function isBatchingDesign(d: AcompCtxDesign): d is BatchingDesign {
  return (d as Partial<BatchingDesign>).profile === "7.3-batching";
}

export const D7_BATCH: BatchingDesign = {
  ...D7,
  profile: "7.3-batching",
  lockScope: "batch",
  name: "D7-batch",
  summary: "7.1 lifetime with the v14 batching ctx: compr_batch_size dst buffers per CPU",
  versions: "not merged (v14 23/26 + 26/26, Jan 2026)",
  prepare,
  *createFailed(k, pool, stage) {
    freeAllExtra(k, pool);
    yield* D7.createFailed(k, pool, stage);
  },
  *destroyCtxs(k, pool) {
    // D7's order (I9: remove the cpuhp instance before freeing), plus the extra buffers.
    yield* removeInstance(k, pool);
    freeAllExtra(k, pool);
    yield* freeAllCtxs(k, pool, true);
    freeCtxArea(k, pool);
  },
};

export const D7_BATCH_V7: BatchingDesign = {
  ...D7_BATCH,
  name: "D7-batch-v7",
  summary: "D7-batch with v7's lock granularity: the ctx mutex held for a whole folio's store",
  versions: "not merged (v7, Feb 2025; v8 relocked per batch)",
  lockScope: "folio",
};
