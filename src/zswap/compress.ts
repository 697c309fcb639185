/**
 * zswap_compress() and zswap_decompress(): the only users of the per-CPU acomp_ctx.
 *
 * Both get the ctx through the design's acquire (raw_cpu_ptr + mutex, plus whatever the design
 * adds) and may be preempted or migrated while they wait for the crypto request, still using
 * the ctx of the CPU they started on: the lifecycle designs differ in whether that is safe.
 */
import { acompCompress, acompDecompress } from "../crypto/acomp.ts";
import { andThen, type Op, returned, returnedAfter } from "../kernel/effect.ts";
import { EINVAL, ENOSPC } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { kmsanUse } from "../kernel/kmsan.ts";
import { use } from "../kernel/memory.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { preemptPoint } from "../kernel/points.ts";
import { KernelBug } from "../kernel/report.ts";
import { siteLines, siteOf, tracedCall, whereOf } from "../kernel/site.ts";
import type { Memcg } from "../mm/memcg.ts";
import { zsObjRead, zsObjReadBegin, zsObjWrite } from "../zsmalloc/obj_rw.ts";
import type { ZsPool } from "../zsmalloc/pool.ts";
import { zsMalloc } from "../zsmalloc/zsmalloc.ts";
import { entryStoredRaw } from "./entry.ts";
import type { EntryRef } from "./entry_table.ts";
import { storesRaw } from "./params.ts";
import { zswapState } from "./state.ts";
import type { AcompCtx, PoolObj } from "./types.ts";

/** Compresses `page` into a new zsmalloc object of `pool`; fills entry.handle and entry.length. */
export function zswapCompress(
  k: Kernel,
  page: Uint8Array,
  entry: EntryRef,
  pool: PoolObj,
  memcg: Memcg | null,
): Op<boolean> {
  return tracedCall(k, "zswap_compress", compress, page, entry, pool, memcg);
}

function ctxReq(k: Kernel, ctx: AcompCtx) {
  const req = kmsanUse(k, ctx.req, "acomp_ctx->req");
  if (req === null) throw nullDeref(k, ctx, "acomp_ctx->req");
  return req;
}

function ctxBuffer(k: Kernel, ctx: AcompCtx): Uint8Array {
  const buffer = kmsanUse(k, ctx.buffer, "acomp_ctx->buffer");
  if (buffer === null) throw nullDeref(k, ctx, "acomp_ctx->buffer");
  return use(k, buffer, "write acomp_ctx->buffer");
}

/** Option 1's BUG_ON(!acomp_ctx) in zswap_decompress(): a load must not fail. */
function acquireFailedBug(k: Kernel): KernelBug {
  const site = siteOf(k);
  return new KernelBug(
    "assertion",
    `kernel BUG at mm/zswap.c: BUG_ON(!acomp_ctx) in ${whereOf(site)}`,
    [
      "acomp_ctx_get_cpu_lock() returned NULL in zswap_decompress(): the ctx of the CPU the task is on was not online.",
      "The load cannot fall back to anything: the only copy of the page is in zswap.",
      ...siteLines("Call path", site),
    ],
  );
}

function nullDeref(k: Kernel, ctx: AcompCtx, field: string): KernelBug {
  const site = siteOf(k);
  return new KernelBug("null-deref", `BUG: kernel NULL pointer dereference in ${whereOf(site)}`, [
    `${field} of ctx(cpu${ctx.cpu}) is NULL: the ctx was never prepared, or its resources were released`,
    ...siteLines("Call path", site),
  ]);
}

/*
 * zswap_compress() and zswap_decompress() are plain functions that return an Op (andThen): each
 * step runs at the call when the step before it had no effect, as on the real hot path (an
 * uncontended mutex, a synchronous compressor, no preemption points), so no generator is made
 * there; in the simulator the steps yield the same effects at the same moments as before.
 */

function compress(
  k: Kernel,
  page: Uint8Array,
  entry: EntryRef,
  pool: PoolObj,
  memcg: Memcg | null,
): Op<boolean> {
  const z = zswapState(k);
  const zsPool = use(k, pool, "read pool->zs_pool").zsPool;
  const acquire = z.design.tryAcquire ? z.design.tryAcquire(k, pool) : z.design.acquire(k, pool);
  return andThen(acquire, compressLocked, k, page, entry, zsPool, memcg);
}

/** The ctx is ours (or null: the design's acquire failed): compress into its buffer. */
function compressLocked(
  ctx: AcompCtx | null,
  k: Kernel,
  page: Uint8Array,
  entry: EntryRef,
  zsPool: ZsPool,
  memcg: Memcg | null,
): Op<boolean> {
  const z = zswapState(k);
  if (ctx === null) {
    // A design whose acquire can fail (option 1 of the v8 review): the store is rejected and
    // the page goes to the swap device.
    z.stats.reject_compress_fail++;
    return returned(false);
  }
  const buffer = ctxBuffer(k, ctx);
  // 6.12 gave the compressor a two-page dst ("over-compression") but dlen = PAGE_SIZE; the
  // newest code gives it one page.
  const dstLen = z.profile === "6.12" ? Math.min(buffer.length, 2 * PAGE_SIZE) : PAGE_SIZE;
  const dst = dstLen === buffer.length ? buffer : buffer.subarray(0, dstLen);
  const comp = acompCompress(k, ctxReq(k, ctx), page, dst, PAGE_SIZE);
  return andThen(comp, compressed, k, page, entry, zsPool, memcg, ctx, buffer);
}

/** The compressor returned `ret` (dlen or an errno): store the object, release the ctx. */
function compressed(
  ret: number,
  k: Kernel,
  page: Uint8Array,
  entry: EntryRef,
  zsPool: ZsPool,
  memcg: Memcg | null,
  ctx: AcompCtx,
  buffer: Uint8Array,
): Op<boolean> {
  const z = zswapState(k);
  let dlen = Math.max(ret, 0);
  let compRet = Math.min(ret, 0);
  let src = buffer;
  let allocRet = 0;
  if (storesRaw(z.profile) && (compRet !== 0 || dlen === 0 || dlen >= PAGE_SIZE)) {
    // Store incompressible pages as they are, unless they could never be written back.
    if (memcg !== null && !memcg.writebackEnabled()) {
      compRet = compRet !== 0 ? compRet : -EINVAL;
    } else {
      compRet = 0;
      dlen = PAGE_SIZE;
      src = page;
    }
  }
  if (compRet === 0) {
    const handle = zsMalloc(zsPool, dlen);
    if (handle < 0) allocRet = handle;
    else {
      zsObjWrite(zsPool, handle, src, dlen);
      z.entries.setHandle(entry, handle);
      z.entries.setLength(entry, dlen);
    }
  }
  if (compRet === -ENOSPC || allocRet === -ENOSPC) z.stats.reject_compress_poor++;
  else if (compRet !== 0) z.stats.reject_compress_fail++;
  else if (allocRet !== 0) z.stats.reject_alloc_fail++;
  z.design.release(k, ctx);
  const ok = compRet === 0 && allocRet === 0;
  return andThen(preemptPoint(k, "lock", "after acomp_ctx unlock"), returnedAfter, ok);
}

/** Decompresses `entry` into `dst` (one page); false on failure (decompress_fail). */
export function zswapDecompress(k: Kernel, entry: EntryRef, dst: Uint8Array): Op<boolean> {
  return tracedCall(k, "zswap_decompress", decompress, entry, dst, undefined, undefined);
}

function decompress(k: Kernel, entry: EntryRef, dst: Uint8Array): Op<boolean> {
  const z = zswapState(k);
  z.entries.use(k, entry, "read entry->pool"); // KASAN: a freed entry is reported, not read
  const pool = z.entries.pool(entry) as PoolObj;
  const zsPool = use(k, pool, "read pool->zs_pool").zsPool;
  const acquire = z.design.tryAcquire ? z.design.tryAcquire(k, pool) : z.design.acquire(k, pool);
  return andThen(acquire, decompressLocked, k, entry, dst, zsPool);
}

function decompressLocked(
  ctx: AcompCtx | null,
  k: Kernel,
  entry: EntryRef,
  dst: Uint8Array,
  zsPool: ZsPool,
): Op<boolean> {
  if (ctx === null) throw acquireFailedBug(k);
  const z = zswapState(k);
  const t = z.entries;
  // The entry may have been freed while this task waited for the ctx (only a broken caller
  // lets that happen): KASAN's report, rather than zsmalloc's stale-handle error.
  t.use(k, entry, "read entry->handle");
  if (entryStoredRaw(z.profile, t, entry))
    return decompressed(zsObjRead(zsPool, t.handle(entry), dst), k, entry, ctx);
  // zs_obj_read_begin: the object in place, or (spanning two pages) copied into the ctx
  // buffer, as 6.12 did; the newest code hands the two pieces over as a scatterlist.
  const src = zsObjReadBegin(zsPool, t.handle(entry), ctxBuffer(k, ctx));
  const dec = acompDecompress(k, ctxReq(k, ctx), src, dst);
  return andThen(dec, decompressed, k, entry, ctx);
}

/** The decompressor returned `dlen`: release the ctx; a page of any other length is a failure. */
function decompressed(dlen: number, k: Kernel, entry: EntryRef, ctx: AcompCtx): Op<boolean> {
  zswapState(k).design.release(k, ctx);
  return andThen(preemptPoint(k, "lock", "after acomp_ctx unlock"), decompressOk, k, entry, dlen);
}

function decompressOk(_: unknown, k: Kernel, entry: EntryRef, dlen: number): Op<boolean> {
  if (dlen === PAGE_SIZE) return returned(true);
  const z = zswapState(k);
  z.stats.decompress_fail++;
  const t = z.entries;
  k.note(
    `zswap: decompression failed (${dlen}) for swap ${t.swpType(entry)}:${t.swpOffset(entry)}`,
  );
  return returned(false);
}
