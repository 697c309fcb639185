/**
 * deflate (crypto/deflate.c): compression with classic zlib (zlib_classic.ts), decompression
 * over node:zlib.
 *
 * The kernel: raw deflate, zlib_deflateInit2(stream, DEFLATE_DEF_LEVEL = Z_DEFAULT_COMPRESSION,
 * Z_DEFLATED, -DEFLATE_DEF_WINBITS = -11, DEFLATE_DEF_MEMLEVEL = MAX_MEM_LEVEL = 8 (the kernel's
 * include/linux/zconf.h; userspace zlib's is 9),
 * Z_DEFAULT_STRATEGY) and one zlib_deflate(Z_FINISH) per request on a per-CPU stream;
 * zlib_inflateInit2(stream, -11) and zlib_inflate to decompress. Output that does not fit is
 * -ENOSPC (compress and decompress) since the acomp conversion, anything else -EINVAL; 6.12's
 * scomp deflate returns -EINVAL for both (the acomp layer maps it per profile).
 *
 * Compression uses the kernel's exact parameters on a classic zlib deflater, because
 * node:zlib's (Chromium's zlib 1.3) finds different matches. For decompression node:zlib's
 * documented sync calls (inflateRawSync) create a stream per call and return a new Buffer; the
 * fast path keeps one inflate stream per backend and drives it through the zlib handle's
 * writeSync(flush, in, inOff, inLen, out, outOff, outLen), the call zlib.js's own sync path
 * makes, which writes into the caller's buffer and reports [availOut, availIn] in the stream's
 * _writeState. That is Node-internal API, so it is feature-checked, and the allocating sync call
 * remains as the fallback (`ZlibSyncDeflateBackend`). Both give the same bytes.
 */

import { EINVAL, ENOSPC } from "../../../kernel/errno.ts";
import type { CompressorBackend, CompressorFactory } from "../types.ts";
import { zlib } from "./load.ts";
import { ClassicDeflater } from "./zlib_classic.ts";

/**
 * crypto/deflate.c DEFLATE_DEF_*: level Z_DEFAULT_COMPRESSION (6), 2 KiB window, and memLevel
 * MAX_MEM_LEVEL, which is 8 in the kernel (include/linux/zconf.h), not userspace zlib's 9: 15 hash
 * bits, not 16. With 9 the public corpus came out 10 bytes short of both kernels; with 8 it is
 * their total to the byte.
 */
export const DEFLATE_OPTIONS = {
  level: zlib.constants.Z_DEFAULT_COMPRESSION,
  windowBits: 11,
  memLevel: 8,
  strategy: zlib.constants.Z_DEFAULT_STRATEGY,
} as const;

const Z_FINISH = zlib.constants.Z_FINISH;

/** The kernel's deflater: classic zlib at DEFLATE_OPTIONS, raw (negative window bits). */
function kernelDeflater(): ClassicDeflater {
  const o = DEFLATE_OPTIONS;
  return new ClassicDeflater(o.level, -o.windowBits, o.memLevel, o.strategy);
}

/** The parts of a zlib stream's native handle that the fast path uses (lib/zlib.js). */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array | null,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
  onerror: (...args: unknown[]) => void;
}

export interface ZlibStreamInternals {
  readonly _handle?: ZlibHandle;
  readonly _writeState?: Uint32Array;
}

/** A zlib stream reused across calls, through its native handle. */
export class ZlibEngine {
  private readonly handle: ZlibHandle;
  /** [availOut, availIn] after each writeSync. */
  private readonly state: Uint32Array;
  private failed = false;
  private readonly probe = new Uint8Array(1);

  constructor(stream: ZlibStreamInternals) {
    const handle = stream._handle;
    const state = stream._writeState;
    if (handle === undefined || state === undefined) throw new Error("zlib stream has no handle");
    this.handle = handle;
    this.state = state;
    // zlib.js's handler destroys the stream on error; ours records it, and reset() recovers.
    handle.onerror = () => {
      this.failed = true;
    };
  }

  static supported(stream: ZlibStreamInternals): boolean {
    const h = stream._handle;
    return (
      h !== undefined &&
      typeof h.writeSync === "function" &&
      typeof h.reset === "function" &&
      stream._writeState instanceof Uint32Array
    );
  }

  /**
   * Runs the stream over all of `src` into `dst` with Z_FINISH: the output length, -ENOSPC if
   * the stream does not end within `dst`, -EINVAL on a zlib error (corrupt or truncated input).
   */
  run(src: Uint8Array, dst: Uint8Array): number {
    // zlib rejects a null next_out outright; the kernel finds no room: -ENOSPC.
    if (dst.length === 0) return -ENOSPC;
    this.failed = false;
    this.handle.reset();
    this.handle.writeSync(Z_FINISH, src, 0, src.length, dst, 0, dst.length);
    if (this.failed) return -EINVAL;
    // With Z_FINISH, zlib returns with room left only once the stream has ended. (Input left
    // over after the end, availIn = state[1], is ignored, as the kernel does.)
    const availOut = this.state[0] as number;
    if (availOut > 0) return dst.length - availOut;
    // dst is exactly full: finished, or more to come? Ask for one more byte.
    this.handle.writeSync(Z_FINISH, null, 0, 0, this.probe, 0, 1);
    if (this.failed) return -EINVAL;
    return this.state[0] === 1 ? dst.length : -ENOSPC;
  }
}

/**
 * The fast path: one classic deflate stream (zlib_classic.ts) and one node:zlib inflate stream
 * per backend, no allocation per call.
 */
export class ZlibHandleDeflateBackend implements CompressorBackend {
  readonly name = "deflate";
  private readonly deflater = kernelDeflater();
  private readonly inflater: ZlibEngine;

  constructor() {
    this.inflater = new ZlibEngine(
      zlib.createInflateRaw({ windowBits: DEFLATE_OPTIONS.windowBits }) as ZlibStreamInternals,
    );
  }

  compress(src: Uint8Array, dst: Uint8Array): number {
    return this.deflater.compress(src, dst);
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    return this.inflater.run(src, dst);
  }
}

/** deflateInit2's parameters, as node:zlib takes them. */
export interface DeflateParams {
  readonly level: number;
  readonly windowBits: number;
  readonly memLevel: number;
  readonly strategy: number;
}

/**
 * The documented path: decompression through a node:zlib stream and an output Buffer per call,
 * copied into `dst`; compression with classic zlib for the kernel's parameters (as the fast
 * path), with node:zlib for others (deflate-iaa's).
 */
export class ZlibSyncDeflateBackend implements CompressorBackend {
  readonly name: string = "deflate";

  /** deflate-iaa passes its own options (4 KiB window, fixed Huffman) and inflate window. */
  private readonly deflater: ClassicDeflater | null;

  constructor(
    private readonly options: DeflateParams = DEFLATE_OPTIONS,
    private readonly inflateWindowBits: number = DEFLATE_OPTIONS.windowBits,
  ) {
    this.deflater = options === DEFLATE_OPTIONS ? kernelDeflater() : null;
  }

  compress(src: Uint8Array, dst: Uint8Array): number {
    if (this.deflater !== null) return this.deflater.compress(src, dst);
    let out: Uint8Array;
    try {
      out = zlib.deflateRawSync(src, this.options);
    } catch {
      return -EINVAL;
    }
    if (out.length > dst.length) return -ENOSPC;
    dst.set(out);
    return out.length;
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    if (dst.length === 0) return -ENOSPC;
    let out: Uint8Array;
    try {
      out = zlib.inflateRawSync(src, {
        windowBits: this.inflateWindowBits,
        maxOutputLength: Math.max(dst.length, 1),
      });
    } catch (err) {
      return (err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? -ENOSPC : -EINVAL;
    }
    if (out.length > dst.length) return -ENOSPC;
    dst.set(out);
    return out.length;
  }
}

function createDeflateBackend(): CompressorBackend {
  const probe = zlib.createDeflateRaw(DEFLATE_OPTIONS) as ZlibStreamInternals & { close(): void };
  const fast = ZlibEngine.supported(probe);
  probe.close();
  return fast ? new ZlibHandleDeflateBackend() : new ZlibSyncDeflateBackend();
}

export const deflateCompressorFactory: CompressorFactory = {
  name: "deflate",
  kernelParams:
    "raw deflate: DEFLATE_DEF_LEVEL Z_DEFAULT_COMPRESSION (6), DEFLATE_DEF_WINBITS 11, DEFLATE_DEF_MEMLEVEL MAX_MEM_LEVEL (8 in include/linux/zconf.h), Z_DEFAULT_STRATEGY",
  kernelNoSpaceErrno: -ENOSPC,
  create: createDeflateBackend,
};

/** 6.12's scomp deflate: an output that does not fit fails Z_STREAM_END, which it returns as -EINVAL. */
export const deflate612CompressorFactory: CompressorFactory = {
  ...deflateCompressorFactory,
  kernelParams: `6.12 scomp: ${deflateCompressorFactory.kernelParams}; no room -> -EINVAL`,
  kernelNoSpaceErrno: -EINVAL,
};
