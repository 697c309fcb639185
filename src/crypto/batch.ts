/**
 * The SG-list batching model of the acomp API, as the v11-v14 batching series proposed it
 * (reference/zswap-design.md §3.2): one request covers several pages of a folio,
 *
 *   acomp_request_set_src_folio(req, folio, off, nr * PAGE_SIZE);
 *   acomp_request_set_dst_sg(req, sg_table, nr * PAGE_SIZE);   // one scatterlist per buffer
 *   acomp_request_set_unit_size(req, PAGE_SIZE);               // how the driver splits it
 *   crypto_wait_req(crypto_acomp_compress(req), &wait);
 *
 * and on return each destination `sg->length` holds that unit's compressed length or a
 * negative errno. A driver that registered a batch size above 1 (deflate-iaa, see
 * iaa_crypto.ts) processes the units in parallel; any other algorithm reports
 * `crypto_acomp_batch_size() == 1` and compresses the unit-sized pieces in order.
 *
 * Simplification: the kernel keeps these settings in struct acomp_req; we keep them beside it
 * (a WeakMap keyed by the request) so that the sequential acomp path stays as it is.
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { use } from "../kernel/memory.ts";
import { acompCompress, type Req, type Tfm } from "./acomp.ts";
import type { CompressorBackend } from "./algorithms/types.ts";

/** One entry of a destination scatterlist: its buffer, and after a batch the unit's result. */
export interface Scatterlist {
  readonly buf: Uint8Array;
  /** In: the room (buf.length). Out: the compressed length, or a negative errno. */
  length: number;
}

/** A backend whose driver compresses a batch of units in parallel (CRYPTO_ALG_... batch size). */
export interface BatchingBackend extends CompressorBackend {
  /** The driver's batch size (IAA_CRYPTO_MAX_BATCH_SIZE for deflate-iaa), > 1. */
  readonly batchSize: number;
  /**
   * The driver's batch compress (iaa_comp_acompress_batch): compresses srcs[i] into sgl[i]
   * and writes each result into sgl[i].length. Returns 0 or the first negative errno.
   */
  compressBatch(k: Kernel, srcs: readonly Uint8Array[], sgl: readonly Scatterlist[]): Op<number>;
}

export function isBatchingBackend(b: CompressorBackend): b is BatchingBackend {
  const bb = b as Partial<BatchingBackend>;
  return (
    typeof bb.batchSize === "number" && bb.batchSize > 1 && typeof bb.compressBatch === "function"
  );
}

/** The request's SG settings (the fields the series adds to struct acomp_req). */
interface BatchParams {
  folio: Uint8Array;
  srcOff: number;
  slen: number;
  sgl: readonly Scatterlist[];
  dlen: number;
  unitSize: number;
}

const batchParams = new WeakMap<Req, BatchParams>();

function paramsOf(req: Req): BatchParams {
  let p = batchParams.get(req);
  if (p === undefined) {
    p = { folio: new Uint8Array(0), srcOff: 0, slen: 0, sgl: [], dlen: 0, unitSize: 0 };
    batchParams.set(req, p);
  }
  return p;
}

/** crypto_acomp_batch_size(): the driver's batch size if it registered one above 1, else 1. */
export function cryptoAcompBatchSize(k: Kernel, tfm: Tfm): number {
  const backend = use(k, tfm, "read tfm->batch_size").backend;
  return isBatchingBackend(backend) ? backend.batchSize : 1;
}

/** acomp_request_set_src_folio(): the source is `slen` bytes of the folio's data from `off`. */
export function acompRequestSetSrcFolio(
  req: Req,
  folio: Uint8Array,
  off: number,
  slen: number,
): void {
  if (off < 0 || slen < 0 || off + slen > folio.length)
    throw new RangeError(
      `acomp_request_set_src_folio: expected off + slen <= ${folio.length}, got ${off} + ${slen}`,
    );
  const p = paramsOf(req);
  p.folio = folio;
  p.srcOff = off;
  p.slen = slen;
}

/** acomp_request_set_dst_sg(): the destination scatterlist (one entry per unit) and its total room. */
export function acompRequestSetDstSg(req: Req, sgl: readonly Scatterlist[], dlen: number): void {
  const p = paramsOf(req);
  p.sgl = sgl;
  p.dlen = dlen;
}

/** acomp_request_set_unit_size(): how the request splits into independent units (PAGE_SIZE). */
export function acompRequestSetUnitSize(req: Req, unitSize: number): void {
  if (!Number.isInteger(unitSize) || unitSize <= 0)
    throw new RangeError(`acomp_request_set_unit_size: expected a positive size, got ${unitSize}`);
  paramsOf(req).unitSize = unitSize;
}

/**
 * crypto_wait_req(crypto_acomp_compress(req)) of a unit-split request: returns 0 when every
 * unit compressed, else the first unit's negative errno; each unit's result is in its
 * `sg->length` either way.
 */
export function* acompCompressUnits(k: Kernel, req: Req): Op<number> {
  const p = batchParams.get(req);
  if (p === undefined || p.unitSize === 0)
    throw new Error(
      "acompCompressUnits: the request has no unit size (acomp_request_set_unit_size)",
    );
  const nr = Math.ceil(p.slen / p.unitSize);
  if (p.sgl.length < nr)
    throw new RangeError(`acomp compress: expected ${nr} dst scatterlists, got ${p.sgl.length}`);
  const srcs: Uint8Array[] = [];
  for (let i = 0; i < nr; i++) {
    const from = p.srcOff + i * p.unitSize;
    srcs.push(p.folio.subarray(from, Math.min(from + p.unitSize, p.srcOff + p.slen)));
  }
  const backend = use(k, use(k, req, "read req->tfm").tfm, "read tfm->compress").backend;
  if (isBatchingBackend(backend) && nr > 1) {
    if (nr > backend.batchSize)
      throw new RangeError(
        `acomp compress: ${nr} units exceed the batch size ${backend.batchSize}`,
      );
    return yield* backend.compressBatch(k, srcs, p.sgl.slice(0, nr));
  }
  // Batch size 1: the unit-sized pieces one after the other, through the ordinary path.
  let ret = 0;
  for (let i = 0; i < nr; i++) {
    const sg = p.sgl[i] as Scatterlist;
    sg.length = yield* acompCompress(k, req, srcs[i] as Uint8Array, sg.buf);
    if (sg.length < 0 && ret === 0) ret = sg.length;
  }
  return ret;
}
