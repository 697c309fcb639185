/**
 * The kernel's LZO1X-1 compressor (lib/lzo/lzo1x_compress.c, built as lzo1x_1_compress_safe),
 * written for zswap-ts so that compressed lengths are the kernel's, byte for byte.
 *
 * Why not the `lzo` binding: it bundles minilzo, whose LZO1X-1 hashes four bytes into 2^14
 * dictionary slots with another hash and skips literals differently; the kernel's version
 * (Oberhumer's 2012 rewrite, as the kernel carries it) hashes into 2^13 16-bit slots. Both
 * emit the LZO1X format, but they find other matches, so the lengths differ (minilzo 0.25%
 * shorter on the public corpus), and a length decides the zsmalloc class and, near a page,
 * whether zswap stores the page raw. Decompression is format-defined, so it stays on the
 * binding's lzo1x_decompress_safe.
 *
 * What is followed exactly (the x86-64 build: 64-bit match extension with count-trailing-
 * zeros, which decides how far a match may run past the input's last 20 bytes):
 * - the dictionary (2^13 u16 offsets, zeroed per call) and its multiplicative hash;
 * - the literal skip that speeds up over incompressible runs (1 + run/32 bytes a step);
 * - the output bound checks of the `_safe` build, including the slack the fast copies need
 *   (4 bytes for a 1-3 byte literal run, 17 for 4-16): compression fails as soon as one does
 *   not fit, even when the finished stream would have;
 * - input longer than 48 KiB in chunks of M4_MAX_OFFSET + 1 bytes, carrying the pending
 *   literals across.
 * - lzo-rle (lzorle1x_1_compress_safe, `version` 1): the stream starts with `17, 1`; four zero
 *   bytes at a lookup position start a zero run (4 to 2,051 bytes, never past the last 20 bytes
 *   of a chunk) written as one 4-byte instruction whose second byte takes the next 1-3 literals
 *   (state offset -3), without touching the dictionary; chunks are one byte shorter (M4 offset
 *   0xbffe), so that no match can spell the run instruction's 0xfffc distance.
 * lzo1x_decompress.ts reads both versions (the binding's minilzo reads only version 0).
 */

/** The result of a failed compression: the output would pass the end of `dst`. */
export const LZO_E_OUTPUT_OVERRUN = -5;

const D_BITS = 13;
const M2_MAX_LEN = 8;
const M2_MAX_OFFSET = 0x0800;
const M3_MAX_LEN = 33;
const M3_MAX_OFFSET = 0x4000;
const M4_MAX_LEN = 9;
const M4_MAX_OFFSET_V0 = 0xbfff;
const M4_MAX_OFFSET_V1 = 0xbffe;
const MIN_ZERO_RUN_LENGTH = 4;
const MAX_ZERO_RUN_LENGTH = 2047 + MIN_ZERO_RUN_LENGTH;
const M3_MARKER = 32;
const M4_MARKER = 16;

/** Count of trailing zero bits of a non-zero 32-bit value. */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Thrown inside the compressor when an output check fails; caught at the entry point. */
class Overrun {}
const OVERRUN = new Overrun();

/** One compression's state: input, output, write position and the last instruction's slot. */
class Lzo1x {
  op = 0;
  /** The input as little-endian words (the kernel's get_unaligned_le32/64 reads). */
  readonly words: DataView;
  /** Where the previous instruction keeps the count of the 1-3 literals that follow it. */
  stateOffset = -2;

  /** Where the compressed data starts: after the `17, version` header of version 1. */
  readonly dataStart: number;

  constructor(
    readonly src: Uint8Array,
    readonly dst: Uint8Array,
    readonly dict: Uint16Array,
    /** The bitstream version: 0 for lzo, 1 for lzo-rle (zero runs). */
    readonly version: 0 | 1,
  ) {
    this.words = new DataView(src.buffer, src.byteOffset, src.byteLength);
    this.dataStart = version === 0 ? 0 : 2;
  }

  /** NEED_OP: fails the compression unless `n` more bytes fit. */
  need(n: number): void {
    if (this.dst.length - this.op < n) throw OVERRUN;
  }

  byte(v: number): void {
    this.dst[this.op++] = v;
  }

  /** A run length past its instruction's own field: zero bytes for each 255, then the rest. */
  extendedLength(n: number): void {
    while (n > 255) {
      n -= 255;
      this.need(1);
      this.byte(0);
    }
    this.need(1);
    this.byte(n);
  }

  /** Copies `n` source bytes from `from` to the output. */
  copy(from: number, n: number): void {
    const d = this.dst;
    const s = this.src;
    let op = this.op;
    // A loop for the short runs that dominate; set() (a memcpy behind a view) for long ones.
    if (n < 64) for (let i = 0; i < n; i++) d[op++] = s[from + i]!;
    else {
      d.set(s.subarray(from, from + n), op);
      op += n;
    }
    this.op = op;
  }

  /** The literal run [ii, ii + t) before a match, in the main loop's encoding. */
  literals(ii: number, t: number): void {
    if (t <= 3) {
      this.dst[this.op + this.stateOffset]! |= t;
      this.need(4); // the kernel copies four bytes whatever t is
      this.copy(ii, t);
    } else if (t <= 16) {
      this.need(17); // one instruction byte and a 16-byte copy
      this.byte(t - 3);
      this.copy(ii, t);
    } else {
      this.need(1);
      if (t <= 18) this.byte(t - 3);
      else {
        this.byte(0);
        this.extendedLength(t - 18);
      }
      this.need(t);
      this.copy(ii, t);
    }
  }

  /** The match instruction for a match of `len` bytes at distance `off`. */
  match(len: number, off: number): void {
    if (len <= M2_MAX_LEN && off <= M2_MAX_OFFSET) {
      off -= 1;
      this.need(2);
      this.byte(((len - 1) << 5) | ((off & 7) << 2));
      this.byte(off >>> 3);
      return;
    }
    if (off <= M3_MAX_OFFSET) {
      off -= 1;
      this.need(1);
      if (len <= M3_MAX_LEN) this.byte(M3_MARKER | (len - 2));
      else {
        this.byte(M3_MARKER);
        this.extendedLength(len - M3_MAX_LEN);
      }
    } else {
      off -= 0x4000;
      const marker = M4_MARKER | ((off >>> 11) & 8);
      this.need(1);
      if (len <= M4_MAX_LEN) this.byte(marker | (len - 2));
      else {
        this.byte(marker);
        this.extendedLength(len - M4_MAX_LEN);
      }
    }
    this.need(2);
    this.byte((off << 2) & 0xff);
    this.byte((off >>> 6) & 0xff);
  }

  /**
   * How far the match at `m` extends the one at `ip`, four bytes being known equal: eight
   * bytes at a time, stopping once past the input's last 20 bytes (`ipEnd`) as the kernel's
   * 64-bit loop does, even in the middle of a longer match.
   */
  matchLength(ip: number, m: number, ipEnd: number): number {
    const w = this.words;
    let len = 4;
    let lo = w.getInt32(ip + len, true) ^ w.getInt32(m + len, true);
    let hi = w.getInt32(ip + len + 4, true) ^ w.getInt32(m + len + 4, true);
    while (lo === 0 && hi === 0) {
      len += 8;
      lo = w.getInt32(ip + len, true) ^ w.getInt32(m + len, true);
      hi = w.getInt32(ip + len + 4, true) ^ w.getInt32(m + len + 4, true);
      if (ip + len >= ipEnd) return len;
    }
    return len + (lo !== 0 ? ctz32(lo) >>> 3 : 4 + (ctz32(hi) >>> 3));
  }

  /**
   * lzo1x_1_do_compress() over src[base, base + n), with `ti` literals pending from the
   * previous chunk: returns the literals left pending at its end.
   */
  chunk(base: number, n: number, ti: number): number {
    const w = this.words;
    const dict = this.dict;
    const inEnd = base + n;
    const ipEnd = inEnd - 20;
    let ii = base;
    let ip = base + (ti < 4 ? 4 - ti : 0);
    dict.fill(0);
    ip += 1 + ((ip - ii) >> 5); // the kernel enters its loop at the literal step
    for (;;) {
      if (ip >= ipEnd) return inEnd - (ii - ti);
      const dv = w.getInt32(ip, true);
      if (dv === 0 && this.version === 1) {
        ii -= ti;
        ti = 0;
        if (ip !== ii) this.literals(ii, ip - ii);
        ip += this.zeroRun(ip, ipEnd);
        ii = ip; // and look up at once, as after a match
        continue;
      }
      const h = Math.imul(dv, 0x1824429d) >>> (32 - D_BITS);
      const m = base + dict[h]!;
      dict[h] = ip - base;
      if (dv !== w.getInt32(m, true)) {
        // No match: step on, faster the longer the literal run (1 + run/32 bytes).
        ip += 1 + ((ip - ii) >> 5);
        continue;
      }
      ii -= ti;
      ti = 0;
      if (ip !== ii) this.literals(ii, ip - ii);
      const len = this.matchLength(ip, m, ipEnd);
      this.match(len, ip - m);
      ip += len;
      this.stateOffset = -2;
      ii = ip; // and look up at once: no step after a match
    }
  }

  /**
   * The zero run at `ip` (four zero bytes known): its length, up to the first non-zero byte,
   * `ipEnd`, or 2,052 bytes (then 2,051, the most one instruction holds), and its instruction.
   */
  zeroRun(ip: number, ipEnd: number): number {
    const s = this.src;
    const limit = Math.min(ipEnd, ip + MAX_ZERO_RUN_LENGTH + 1);
    let ir = ip + 4;
    while (ir < limit && s[ir] === 0) ir++;
    const run = Math.min(ir - ip, MAX_ZERO_RUN_LENGTH);
    const r = run - MIN_ZERO_RUN_LENGTH;
    // put_unaligned_le32((r << 21) | 0xfffc18 | (r & 7)): bytes 0x18|r&7, 0xfc, 0xff, r >> 3.
    this.need(4);
    this.byte(0x18 | (r & 7));
    this.byte(0xfc);
    this.byte(0xff);
    this.byte(r >>> 3);
    this.stateOffset = -3; // the next 1-3 literals' count goes into the 0xfc byte
    return run;
  }

  /** The trailing literals and the end-of-stream marker. */
  finish(t: number): void {
    const ii = this.src.length - t;
    if (t > 0) {
      if (this.op === this.dataStart && t <= 238) {
        this.need(1);
        this.byte(17 + t);
      } else if (t <= 3) {
        this.dst[this.op + this.stateOffset]! |= t;
      } else if (t <= 18) {
        this.need(1);
        this.byte(t - 3);
      } else {
        this.need(1);
        this.byte(0);
        this.extendedLength(t - 18);
      }
      this.need(t);
      this.copy(ii, t);
    }
    this.need(3);
    this.byte(M4_MARKER | 1);
    this.byte(0);
    this.byte(0);
  }
}

/**
 * lzo1x_1_compress_safe(src, dst) (`version` 0, the default) or lzorle1x_1_compress_safe
 * (`version` 1): the compressed length, or LZO_E_OUTPUT_OVERRUN when the output does not fit
 * `dst`. `dict` is the caller's 2^13-entry work memory (wrkmem), reused.
 */
export function lzo1xCompressSafe(
  src: Uint8Array,
  dst: Uint8Array,
  dict: Uint16Array,
  version: 0 | 1 = 0,
): number {
  const c = new Lzo1x(src, dst, dict, version);
  try {
    if (version === 1) {
      // The kernel writes this header unchecked (its callers' buffers always hold 2 bytes).
      c.need(2);
      c.byte(17); // LZO version 0 never starts with 17 (but for empty input): the header
      c.byte(version);
    }
    const chunkMax = (version === 0 ? M4_MAX_OFFSET_V0 : M4_MAX_OFFSET_V1) + 1;
    let ip = 0;
    let l = src.length;
    let t = 0;
    while (l > 20) {
      const ll = Math.min(l, chunkMax);
      t = c.chunk(ip, ll, t);
      ip += ll;
      l -= ll;
    }
    c.finish(t + l);
    return c.op;
  } catch (e) {
    if (e === OVERRUN) return LZO_E_OUTPUT_OVERRUN;
    throw e;
  }
}

/** The work memory lzo1xCompressSafe needs (D_SIZE 16-bit dictionary slots). */
export function lzo1xWorkMemory(): Uint16Array {
  return new Uint16Array(1 << D_BITS);
}
