/**
 * The byte format of `deflate-iaa`: raw DEFLATE with a 4 KiB history window and fixed Huffman
 * codes, which is what Intel IAA produces in its default ("fixed") mode. Any raw inflate with a
 * window of at least 4 KiB decompresses it (tests check ordinary zlib inflateRaw does).
 *
 * Simplification: the hardware's match search is not zlib's; we use zlib at its default level
 * with `Z_FIXED`, so the ratio resembles IAA's fixed mode but the bytes are zlib's. The codec is
 * the same on the calling thread and in every engine (src/real/engines), so batched and
 * sequential stores produce identical bytes.
 */
import type { CompressorBackend } from "../types.ts";
import { ZlibEngine, type ZlibStreamInternals, ZlibSyncDeflateBackend } from "./deflate.ts";
import { zlib } from "./load.ts";

/** IAA's history window (4 KiB), fixed Huffman codes. */
export const DEFLATE_IAA_OPTIONS = {
  level: zlib.constants.Z_DEFAULT_COMPRESSION,
  windowBits: 12,
  memLevel: 8,
  strategy: zlib.constants.Z_FIXED,
} as const;

/** Decompression takes any window up to 32 KiB, as an ordinary raw inflate does. */
const INFLATE_WINDOW_BITS = 15;

export const DEFLATE_IAA_PARAMS =
  "raw deflate, 4 KiB window (windowBits 12), fixed Huffman (Z_FIXED), zlib level 6 as the match search; batch size 8 (IAA_CRYPTO_MAX_BATCH_SIZE)";

/** One deflate and one inflate stream, reused (the fast path of deflate.ts), or the sync calls. */
export class DeflateIaaCodec implements CompressorBackend {
  readonly name = "deflate-iaa";
  private readonly deflater: ZlibEngine | null;
  private readonly inflater: ZlibEngine | null;
  /** Where the fast path is not available (it uses Node-internal API). */
  private readonly fallback = new ZlibSyncDeflateBackend(DEFLATE_IAA_OPTIONS, INFLATE_WINDOW_BITS);

  constructor() {
    const d = zlib.createDeflateRaw(DEFLATE_IAA_OPTIONS) as ZlibStreamInternals & { close(): void };
    const i = zlib.createInflateRaw({ windowBits: INFLATE_WINDOW_BITS }) as ZlibStreamInternals & {
      close(): void;
    };
    const fast = ZlibEngine.supported(d) && ZlibEngine.supported(i);
    this.deflater = fast ? new ZlibEngine(d) : null;
    this.inflater = fast ? new ZlibEngine(i) : null;
    if (!fast) {
      d.close();
      i.close();
    }
  }

  compress(src: Uint8Array, dst: Uint8Array): number {
    return this.deflater?.run(src, dst) ?? this.fallback.compress(src, dst);
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    return this.inflater?.run(src, dst) ?? this.fallback.decompress(src, dst);
  }
}
