/**
 * lzo (crypto/lzo.c) over the `lzo` package's native module (minilzo 2.09).
 *
 * The kernel compresses with lzo1x_1_compress_safe(src, slen, dst, &dlen, wrkmem), which fails
 * with LZO_E_OUTPUT_OVERRUN when the output would pass dlen, and decompresses with
 * lzo1x_decompress_safe; any error is -EINVAL. The binding's lzo1x_1_compress has no output
 * bound at all, so it only ever writes into a buffer of the worst-case size: the caller's
 * buffer when it is that large, else this backend's scratch buffer, then copies the result if
 * it fits (a 4 KiB page: a 4,419-byte scratch, one memcpy of the compressed bytes).
 *
 * Not bit-exact with the kernel: the kernel's lib/lzo/lzo1x_compress.c hashes into a
 * 2^13-entry dictionary (lzodefs.h D_BITS 13), minilzo's LZO1X-1 into 2^14 entries, so the
 * matches found, and the compressed lengths, can differ. Both emit the LZO1X format, and each
 * side decompresses the other's output (docs/compressors.md).
 */

import { EINVAL, ENOSPC } from "../../../kernel/errno.ts";
import { PAGE_SIZE } from "../../../kernel/page.ts";
import type { CompressorBackend, CompressorFactory } from "../types.ts";
import { type LzoBinding, loadLzo, lzoCompressBound } from "./load.ts";

class LzoBackend implements CompressorBackend {
  readonly name = "lzo";
  /** Worst-case output for the largest input so far; grows only for inputs over a page. */
  private scratch = new Uint8Array(lzoCompressBound(PAGE_SIZE));

  constructor(private readonly lzo: LzoBinding) {}

  compress(src: Uint8Array, dst: Uint8Array): number {
    const bound = lzoCompressBound(src.length);
    if (dst.length >= bound) {
      const r = this.lzo.compress(src, dst);
      return r.err === 0 ? r.len : -EINVAL;
    }
    if (this.scratch.length < bound) this.scratch = new Uint8Array(bound);
    const r = this.lzo.compress(src, this.scratch);
    if (r.err !== 0) return -EINVAL;
    if (r.len > dst.length) return -ENOSPC;
    dst.set(this.scratch.subarray(0, r.len));
    return r.len;
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    const r = this.lzo.decompress(src, dst);
    return r.err === 0 ? r.len : -EINVAL;
  }
}

export const lzoCompressorFactory: CompressorFactory = {
  name: "lzo",
  kernelParams:
    "lzo1x_1_compress_safe (LZO1X-1, kernel D_BITS 13; binding: minilzo 2.09 LZO1X-1, D_BITS 14); lzo1x_decompress_safe",
  kernelNoSpaceErrno: -EINVAL,
  create: () => new LzoBackend(loadLzo()),
};
