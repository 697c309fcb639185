/**
 * Classic zlib deflate (pako 2.1, a port of zlib 1.2.8) for the compression side of `deflate`.
 *
 * Why not node:zlib: Node bundles Chromium's zlib 1.3, whose deflate finds different matches
 * (on the public corpus its pages come out 0.17% smaller than the kernel's). The kernel's
 * lib/zlib_deflate is classic zlib, and classic zlib's deflate_slow at the kernel's parameters
 * gives the kernel's lengths: 9,764,362 bytes over the corpus's 6,554 compressible pages, both
 * kernels' figure to the byte (docs/compressors.md). Decompression stays on node:zlib: any
 * inflate gives the same bytes.
 */

import { ENOSPC } from "../../../kernel/errno.ts";
import { loadPakoDeflate, type PakoDeflate, type PakoZStream } from "./load.ts";

const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_FINISH = 4;
const Z_DEFLATED = 8;

/** One deflate stream, reset per call as crypto/deflate.c does (zlib_deflateReset / Init2). */
export class ClassicDeflater {
  private readonly z: PakoDeflate;
  private readonly strm: PakoZStream;

  constructor(level: number, windowBits: number, memLevel: number, strategy: number) {
    const pako = loadPakoDeflate();
    this.z = pako.deflate;
    this.strm = new pako.ZStream();
    const ret = this.z.deflateInit2(this.strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
    if (ret !== Z_OK)
      throw new Error(`Cannot set up classic deflate: deflateInit2 returned ${ret}`);
  }

  /** Raw deflate of `src` into `dst` with Z_FINISH: the length, or -ENOSPC if it does not end. */
  compress(src: Uint8Array, dst: Uint8Array): number {
    if (dst.length === 0) return -ENOSPC;
    const s = this.strm;
    this.z.deflateReset(s);
    s.input = src;
    s.next_in = 0;
    s.avail_in = src.length;
    s.output = dst;
    s.next_out = 0;
    s.avail_out = dst.length;
    const ret = this.z.deflate(s, Z_FINISH);
    const len = s.total_out;
    s.input = null;
    s.output = null;
    return ret === Z_STREAM_END ? len : -ENOSPC;
  }
}
