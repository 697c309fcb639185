/**
 * lz4 and lz4hc (crypto/lz4.c, crypto/lz4hc.c) over node-lz4's block API.
 *
 * crypto/lz4.c:   LZ4_compress_default(src, dst, slen, *dlen, wrkmem), i.e. LZ4_compress_fast
 *                 with LZ4_ACCELERATION_DEFAULT (1); 0 -> -EINVAL.
 * crypto/lz4hc.c: LZ4_compress_HC(src, dst, slen, *dlen, LZ4HC_DEFAULT_CLEVEL (9), wrkmem).
 * Both decompress with LZ4_decompress_safe(src, dst, slen, *dlen); < 0 -> -EINVAL.
 * node-lz4's encodeBlock / encodeBlockHC / decodeBlock call exactly these upstream functions
 * with dst's length as the capacity, so no scratch buffer and no copy is needed.
 */

import { EINVAL, ENOSPC } from "../../../kernel/errno.ts";
import type { CompressorBackend, CompressorFactory } from "../types.ts";
import { type Lz4Binding, loadLz4 } from "./load.ts";

class Lz4Backend implements CompressorBackend {
  readonly name = "lz4";

  constructor(private readonly lz4: Lz4Binding) {}

  compress(src: Uint8Array, dst: Uint8Array): number {
    const n = this.lz4.encodeBlock(src, dst);
    return n > 0 ? n : -ENOSPC;
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    const n = this.lz4.decodeBlock(src, dst);
    return n >= 0 ? n : -EINVAL;
  }
}

class Lz4hcBackend implements CompressorBackend {
  readonly name = "lz4hc";

  constructor(private readonly lz4: Lz4Binding) {}

  compress(src: Uint8Array, dst: Uint8Array): number {
    const n = this.lz4.encodeBlockHC(src, dst);
    return n > 0 ? n : -ENOSPC;
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    const n = this.lz4.decodeBlock(src, dst);
    return n >= 0 ? n : -EINVAL;
  }
}

export const lz4CompressorFactory: CompressorFactory = {
  name: "lz4",
  kernelParams: "LZ4_compress_default (acceleration 1, LZ4_MEMORY_USAGE 14); LZ4_decompress_safe",
  kernelNoSpaceErrno: -EINVAL,
  create: () => new Lz4Backend(loadLz4()),
};

export const lz4hcCompressorFactory: CompressorFactory = {
  name: "lz4hc",
  kernelParams: "LZ4_compress_HC at LZ4HC_DEFAULT_CLEVEL 9; LZ4_decompress_safe",
  kernelNoSpaceErrno: -EINVAL,
  create: () => new Lz4hcBackend(loadLz4()),
};
