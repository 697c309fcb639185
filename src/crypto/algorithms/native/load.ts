/**
 * The one place that loads native code: the lz4, lzo and zstd-napi bindings (CommonJS, through
 * createRequire) and node:zlib. Everything else under src/crypto sees only the typed surfaces
 * below. Loading is lazy and memoized, so a missing binding fails only the algorithm that needs
 * it, with a message that says which package to build.
 */
import { createRequire } from "node:module"; // tidy:allow node-import -- native binding loader
import * as nodeZlib from "node:zlib"; // tidy:allow node-import -- native binding loader

const require = createRequire(import.meta.url);

/** node-lz4 0.6.5 block API (lib/binding/lz4_binding.cc over LZ4 1.9.2). */
export interface Lz4Binding {
  /** LZ4_compress_default(src, dst, srcLen, dstLen): compressed length, 0 if it does not fit. */
  encodeBlock(src: Uint8Array, dst: Uint8Array): number;
  /**
   * LZ4_compress_HC(src, dst, srcLen, dstLen, 9): compressed length, 0 if it does not fit. The
   * binding reads the level from a fourth argument it never receives, so it is always 9.
   */
  encodeBlockHC(src: Uint8Array, dst: Uint8Array): number;
  /** LZ4_decompress_safe(src, dst, srcLen, dstLen): decompressed length, negative if corrupt. */
  decodeBlock(src: Uint8Array, dst: Uint8Array): number;
  encodeBound(size: number): number;
}

/** The `lzo` package's native module (lib/lzo.cc over minilzo 2.09), not its allocating wrapper. */
export interface LzoBinding {
  /**
   * lzo1x_1_compress(src, dst): {err: LZO_E_OK, len}. Unsafe: it does not check dst's length
   * and writes up to `lzoCompressBound(src.length)` bytes. Mallocs its 128 KiB dictionary
   * (LZO1X_1_MEM_COMPRESS) on every call and returns a fresh object.
   */
  compress(src: Uint8Array, dst: Uint8Array): { err: number; len: number };
  /** lzo1x_decompress_safe(src, dst): {err: 0 or a negative LZO_E_*, len}. */
  decompress(src: Uint8Array, dst: Uint8Array): { err: number; len: number };
  readonly version: string;
}

/** zstd-napi 0.0.13's low-level binding (src/cctx.cc, src/dctx.cc over zstd 1.5.7). */
export interface ZstdBinding {
  readonly CCtx: new () => ZstdCCtx;
  readonly DCtx: new () => ZstdDCtx;
  /** ZSTD_cParameter values by name (ZSTD_c_windowLog = 101, ...). */
  readonly CParameter: Readonly<Record<ZstdCParameterName, number>>;
  /** ZSTD_strategy values by name (ZSTD_dfast = 2, ...). */
  readonly Strategy: Readonly<Record<ZstdStrategyName, number>>;
  versionString(): string;
}
export type ZstdCParameterName =
  | "compressionLevel"
  | "windowLog"
  | "hashLog"
  | "chainLog"
  | "searchLog"
  | "minMatch"
  | "targetLength"
  | "strategy"
  | "contentSizeFlag"
  | "checksumFlag"
  | "dictIDFlag";
export type ZstdStrategyName = "fast" | "dfast" | "greedy" | "lazy" | "lazy2" | "btlazy2" | "btopt";
/** Methods throw an Error whose message is ZSTD_getErrorName() of the failure. */
export interface ZstdCCtx {
  /** ZSTD_CCtx_setParameter(cctx, param, value). */
  setParameter(param: number, value: number): void;
  /** ZSTD_compress2(cctx, dst, dstCap, src, srcSize): the compressed length. */
  compress2(dst: Uint8Array, src: Uint8Array): number;
  /** ZSTD_compressCCtx(cctx, dst, dstCap, src, srcSize, level): the compressed length. */
  compress(dst: Uint8Array, src: Uint8Array, level: number): number;
}
export interface ZstdDCtx {
  /** ZSTD_decompressDCtx(dctx, dst, dstCap, src, srcSize): the decompressed length. */
  decompress(dst: Uint8Array, src: Uint8Array): number;
}

/** ZSTD_getErrorName(ZSTD_error_dstSize_tooSmall), the message of a compression that does not fit. */
export const ZSTD_DST_SIZE_TOO_SMALL = "Destination buffer is too small";

/** Worst-case lzo1x_1 output for `n` input bytes (the bound the `lzo` wrapper allocates). */
export function lzoCompressBound(n: number): number {
  return n + (n >>> 4) + 64 + 3;
}

/**
 * A compressor whose native binding is not there: the packages are optionalDependencies, so an
 * install without a C++ toolchain succeeds without them. The message is one line: which
 * compressor, which package, how to get it, and the loader's first line.
 */
export class BindingMissingError extends Error {
  override readonly name = "BindingMissingError";
  constructor(
    readonly compressor: string,
    readonly pkg: string,
    cause: unknown,
  ) {
    const first = String((cause as Error)?.message ?? cause).split("\n")[0];
    super(
      `${compressor} is not installed: its native binding (npm package ${pkg}) is missing or failed to build; ` +
        `install python3, make and g++, then run npm rebuild ${pkg} (${first})`,
    );
  }
}

function loadOnce<T>(what: string, pkg: string, load: () => T): () => T {
  let cached: T | undefined;
  return () => {
    if (cached !== undefined) return cached;
    try {
      cached = load();
    } catch (err) {
      throw new BindingMissingError(what, pkg, err);
    }
    return cached;
  };
}

export const loadLz4 = loadOnce<Lz4Binding>("lz4", "lz4", () => require("lz4") as Lz4Binding);

export const loadLzo = loadOnce<LzoBinding>("lzo", "lzo", () => {
  // Resolve `bindings` as lzo does, and point it at lzo's package root: by default it looks in
  // the root of its caller's package, which would be ours.
  const lzoMain = require.resolve("lzo");
  const root = lzoMain.replace(/[\\/][^\\/]*$/, "");
  const bindings = createRequire(lzoMain)("bindings") as (opts: {
    bindings: string;
    module_root: string;
  }) => unknown;
  return bindings({ bindings: "node_lzo", module_root: root }) as LzoBinding;
});

export const loadZstd = loadOnce<ZstdBinding>(
  "zstd",
  "zstd-napi",
  () => require("zstd-napi/binding") as ZstdBinding,
);

/**
 * zstd 1.5.6 (zstd-napi 0.0.8, installed under the alias `zstd-napi-1.5.6`), for the 6.12
 * profile: Debian's 6.12.117's compressed lengths are zstd 1.5.5/1.5.6's, not 1.5.7's (the
 * kernels' totals on the public corpus, compared; their lib/zstd sources were not read), and
 * at 6.12's parameters 1.5.7 finds other matches on a few pages (docs/compressors.md).
 */
export const loadZstd156 = loadOnce<ZstdBinding>(
  "zstd (6.12: zstd 1.5.6)",
  "zstd-napi-1.5.6",
  () => require("zstd-napi-1.5.6/binding") as ZstdBinding,
);

/** node:zlib, for deflate. */
export const zlib: typeof nodeZlib = nodeZlib;

/**
 * pako 2.1's zlib stream (lib/zlib/zstream.js), a port of classic zlib 1.2.8: the fields the
 * deflater drives. `output` is written at `next_out`, so it can be the caller's buffer.
 */
export interface PakoZStream {
  input: Uint8Array | null;
  next_in: number;
  avail_in: number;
  total_in: number;
  output: Uint8Array | null;
  next_out: number;
  avail_out: number;
  total_out: number;
}

/** pako 2.1's lib/zlib/deflate.js (deflateInit2, deflateReset, deflate with zlib's return codes). */
export interface PakoDeflate {
  deflateInit2(
    strm: PakoZStream,
    level: number,
    method: number,
    windowBits: number,
    memLevel: number,
    strategy: number,
  ): number;
  deflateReset(strm: PakoZStream): number;
  deflate(strm: PakoZStream, flush: number): number;
}

/** pako's classic zlib deflate: the kernel's lib/zlib_deflate finds the same matches. */
export const loadPakoDeflate = loadOnce<{ deflate: PakoDeflate; ZStream: new () => PakoZStream }>(
  "classic zlib deflate",
  "pako",
  () => ({
    deflate: require("pako/lib/zlib/deflate.js") as PakoDeflate,
    ZStream: require("pako/lib/zlib/zstream.js") as new () => PakoZStream,
  }),
);
