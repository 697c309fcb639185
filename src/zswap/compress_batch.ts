/**
 * The batched zswap_compress() of the v14 series (26/26): compresses the pages of one store
 * batch (at most ZSWAP_MAX_BATCH_SIZE pages of a folio) into zsmalloc objects.
 *
 * It takes the ctx mutex once for the whole store batch (v8+: a page fault's decompression on
 * this CPU waits for at most one batch, never for the whole folio: scenario C21), then loops
 * over compress sub-batches of compr_batch_size pages: each is one acomp request whose source is
 * the folio and whose destination is a scatterlist over the ctx's buffers, split into
 * PAGE_SIZE units. Each unit's result comes back in its `sg->length`.
 *
 * Per page, the outcome is what the sequential zswap_compress() decides (store raw when
 * incompressible and writeback is allowed, count reject_compress_poor / _fail / alloc_fail),
 * and the first page that fails fails the batch, so the counters match the sequential path
 * exactly. Pages compressed after the failing one in the same sub-batch are discarded.
 */
import {
  acompCompressUnits,
  acompRequestSetDstSg,
  acompRequestSetSrcFolio,
  acompRequestSetUnitSize,
  type Scatterlist,
} from "../crypto/batch.ts";
import type { Op } from "../kernel/effect.ts";
import { EINVAL, ENOSPC } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { use } from "../kernel/memory.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { traced } from "../kernel/site.ts";
import type { Folio } from "../mm/folio.ts";
import { zsObjWrite } from "../zsmalloc/obj_rw.ts";
import type { ZsPool } from "../zsmalloc/pool.ts";
import { zsMalloc } from "../zsmalloc/zsmalloc.ts";
import type { EntryRef } from "./entry_table.ts";
import { zswapState } from "./state.ts";
import type { AcompCtx, PoolObj } from "./types.ts";

/** A store batch: pages [start, start + entries.length) of `folio`, one entry each. */
export interface StoreBatch {
  readonly folio: Folio;
  readonly start: number;
  readonly entries: readonly EntryRef[];
  /** mem_cgroup_zswap_writeback_enabled(), evaluated once per folio (v14). */
  readonly wbEnabled: boolean;
  /** The ctx, already locked by the caller for the whole folio (v7); null: lock it here. */
  readonly held: AcompCtx | null;
}

export function zswapCompressBatch(k: Kernel, b: StoreBatch, pool: PoolObj): Op<boolean> {
  return traced(k, "zswap_compress", compressBatch(k, b, pool));
}

function* compressBatch(k: Kernel, b: StoreBatch, pool: PoolObj): Op<boolean> {
  const z = zswapState(k);
  const zsPool = use(k, pool, "read pool->zs_pool").zsPool;
  const ctx = b.held ?? (yield* z.design.acquire(k, pool));
  const sgl = ctxScatterlist(k, ctx);
  const nr = b.entries.length;
  let ok = true;
  for (let s = 0; s < nr && ok; s += sgl.length) {
    const n = Math.min(sgl.length, nr - s);
    const req = ctxReq(ctx);
    for (const sg of sgl) sg.length = PAGE_SIZE;
    acompRequestSetSrcFolio(req, b.folio.data, (b.start + s) * PAGE_SIZE, n * PAGE_SIZE);
    acompRequestSetDstSg(req, sgl, n * PAGE_SIZE);
    acompRequestSetUnitSize(req, PAGE_SIZE);
    yield* acompCompressUnits(k, req);
    for (let i = 0; i < n && ok; i++) {
      const page = b.folio.page(b.start + s + i);
      const entry = b.entries[s + i] as EntryRef;
      ok = storeUnit(k, zsPool, page, sgl[i] as Scatterlist, entry, b.wbEnabled);
    }
  }
  if (b.held === null) z.design.release(k, ctx);
  return ok;
}

/** The scatterlist over the ctx's buffers (the kernel maps it once, at prepare). */
function ctxScatterlist(k: Kernel, ctx: AcompCtx): Scatterlist[] {
  const buffers = ctx.buffers ?? (ctx.buffer === null ? [] : [ctx.buffer]);
  if (buffers.length === 0) throw new Error(`zswap_compress: ctx(cpu${ctx.cpu}) has no buffers`);
  return buffers.map((b) => ({ buf: use(k, b, "write acomp_ctx->buffers[i]"), length: 0 }));
}

function ctxReq(ctx: AcompCtx) {
  if (ctx.req === null) throw new Error(`zswap_compress: ctx(cpu${ctx.cpu})->req is NULL`);
  return ctx.req;
}

/** One unit's outcome into a zsmalloc object, as the sequential zswap_compress() decides it. */
function storeUnit(
  k: Kernel,
  zsPool: ZsPool,
  page: Uint8Array,
  sg: Scatterlist,
  entry: EntryRef,
  wbEnabled: boolean,
): boolean {
  const z = zswapState(k);
  let compRet = Math.min(sg.length, 0);
  let dlen = Math.max(sg.length, 0);
  let src = sg.buf;
  if (compRet !== 0 || dlen === 0 || dlen >= PAGE_SIZE) {
    // Incompressible: stored as it is, unless it could never be written back.
    if (!wbEnabled) compRet = compRet !== 0 ? compRet : -EINVAL;
    else {
      compRet = 0;
      dlen = PAGE_SIZE;
      src = page;
    }
  }
  const handle = compRet === 0 ? zsMalloc(zsPool, dlen) : 0;
  const allocRet = Math.min(handle, 0);
  if (compRet === 0 && allocRet === 0) {
    zsObjWrite(zsPool, handle, src, dlen);
    z.entries.setHandle(entry, handle);
    z.entries.setLength(entry, dlen);
    return true;
  }
  if (compRet === -ENOSPC || allocRet === -ENOSPC) z.stats.reject_compress_poor++;
  else if (compRet !== 0) z.stats.reject_compress_fail++;
  else z.stats.reject_alloc_fail++;
  return false;
}
