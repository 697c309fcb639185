/**
 * Compression algorithms: the backends of the crypto acomp API (crypto/lz4.c, crypto/zstd.c,
 * crypto/lzo.c, crypto/deflate.c), behind one synchronous interface.
 *
 * A backend is what the kernel calls an algorithm's per-tfm context: it owns its native state
 * (a zstd CCtx/DCtx, a zlib stream, scratch buffers) and is never shared between tfms. Calls
 * are synchronous and write into the caller's buffer; outcomes are values, never exceptions:
 *
 * ```ts
 * const backend = registry.get("lz4").create();
 * const dlen = backend.compress(page, buffer);     // > 0, or -ENOSPC, or -EINVAL
 * if (dlen >= 0) backend.decompress(buffer.subarray(0, dlen), out); // 4096, or -EINVAL
 * ```
 *
 * This file has no Node imports: the simulator uses it with the pure `sim` backend.
 */

/** Negative errnos the backends return (values as in include/uapi/asm-generic/errno-base.h). */

export interface CompressorBackend {
  /** Kernel crypto name: "lz4", "lz4hc", "zstd", "lzo", "deflate", or "sim". */
  readonly name: string;
  /**
   * Compresses `src` into `dst`. Returns the compressed length (> 0), -ENOSPC when the output
   * does not fit `dst` (whatever errno the kernel's wrapper uses for that: see
   * `CompressorFactory.kernelNoSpaceErrno`), or -EINVAL for any other failure. Never throws.
   * Bytes of `dst` past the returned length, and all of `dst` on failure, are unspecified.
   */
  compress(src: Uint8Array, dst: Uint8Array): number;
  /**
   * Decompresses `src` into `dst`. Returns the decompressed length, or the negative errno the
   * kernel's crypto wrapper returns: -EINVAL for corrupt or truncated input for every
   * algorithm (none returns -EBADMSG); for output that does not fit `dst`, -ENOSPC for deflate
   * and -EINVAL for the others. Never throws.
   */
  decompress(src: Uint8Array, dst: Uint8Array): number;
}

export interface CompressorFactory {
  /** Kernel crypto name, the value of zswap's `compressor` parameter. */
  readonly name: string;
  /** The kernel parameters this backend mirrors, one line (see docs/compressors.md). */
  readonly kernelParams: string;
  /**
   * What the kernel's crypto wrapper returns (a negative errno) when the compressed output does
   * not fit: -EINVAL for lz4, lz4hc, lzo and zstd (they fold a zero or error result into
   * -EINVAL), -ENOSPC for deflate (since its acomp conversion). `compress` itself always reports -ENOSPC, so the acomp
   * layer can tell the cases apart and still return what the kernel returns (zswap counts
   * -ENOSPC as `reject_compress_poor`, anything else as `reject_compress_fail`).
   */
  readonly kernelNoSpaceErrno: number;
  /**
   * An asynchronous accelerator (like Intel IAA): a request completes later, from the device's
   * interrupt, and crypto_wait_req() sleeps until then. Default: synchronous (scomp).
   */
  readonly asynchronous?: boolean;
  /** One backend per acomp tfm; it holds its own native context. Throws if the binding is missing. */
  create(): CompressorBackend;
}
