/**
 * lzo (crypto/lzo.c): compression by our port of the kernel's LZO1X-1 (lzo1x_kernel.ts),
 * decompression by the `lzo` package's native lzo1x_decompress_safe (minilzo 2.09).
 *
 * The kernel compresses with lzo1x_1_compress_safe(src, slen, dst, &dlen, wrkmem), which fails
 * with LZO_E_OUTPUT_OVERRUN when the output would pass dlen, and decompresses with
 * lzo1x_decompress_safe; any error is -EINVAL (the factory's kernelNoSpaceErrno). The port
 * gives the kernel's bytes, so the kernel's lengths: minilzo's own compressor hashes into
 * another dictionary and comes out 0.25% shorter on the public corpus (docs/compressors.md).
 * The format is the same, so the binding decompresses the port's output. One difference on
 * corrupt input only: the kernel's decoder also refuses an end marker whose length bits are not
 * 1, which minilzo accepts (lzo1x_decompress.ts has the kernel's; docs/compressors.md).
 */

import { EINVAL, ENOSPC } from "../../../kernel/errno.ts";
import { lzo1xDecompressSafe } from "../lzo1x_decompress.ts";
import { lzo1xCompressSafe, lzo1xWorkMemory } from "../lzo1x_kernel.ts";
import type { CompressorBackend, CompressorFactory } from "../types.ts";
import { type LzoBinding, loadLzo } from "./load.ts";

class LzoBackend implements CompressorBackend {
  readonly name = "lzo";
  /** The tfm's work memory (LZO1X_1_MEM_COMPRESS): the dictionary, reused by every call. */
  private readonly wrkmem = lzo1xWorkMemory();

  constructor(private readonly lzo: LzoBinding) {}

  compress(src: Uint8Array, dst: Uint8Array): number {
    const len = lzo1xCompressSafe(src, dst, this.wrkmem);
    return len >= 0 ? len : -ENOSPC;
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    const r = this.lzo.decompress(src, dst);
    return r.err === 0 ? r.len : -EINVAL;
  }
}

export const lzoCompressorFactory: CompressorFactory = {
  name: "lzo",
  kernelParams:
    "lzo1x_1_compress_safe (the kernel's LZO1X-1, D_BITS 13, ported: same bytes); lzo1x_decompress_safe (binding: minilzo 2.09)",
  kernelNoSpaceErrno: -EINVAL,
  create: () => new LzoBackend(loadLzo()),
};

/**
 * lzo-rle (crypto/lzo-rle.c): lzorle1x_1_compress_safe and lzo1x_decompress_safe, both ported
 * (lzo1x_kernel.ts with bitstream version 1, lzo1x_decompress.ts): no binding reads zero runs.
 * Errors fold into -EINVAL as in lzo.
 */
class LzoRleBackend implements CompressorBackend {
  readonly name = "lzo-rle";
  private readonly wrkmem = lzo1xWorkMemory();

  compress(src: Uint8Array, dst: Uint8Array): number {
    const len = lzo1xCompressSafe(src, dst, this.wrkmem, 1);
    return len >= 0 ? len : -ENOSPC;
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    const len = lzo1xDecompressSafe(src, dst);
    return len >= 0 ? len : -EINVAL;
  }
}

export const lzoRleCompressorFactory: CompressorFactory = {
  name: "lzo-rle",
  kernelParams:
    "lzorle1x_1_compress_safe (LZO1X-1 with zero runs, bitstream version 1, ported); lzo1x_decompress_safe (ported)",
  kernelNoSpaceErrno: -EINVAL,
  create: () => new LzoRleBackend(),
};
