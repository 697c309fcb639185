/**
 * lzo1x_decompress_safe (lib/lzo/lzo1x_decompress_safe.c), written for zswap-ts: the kernel's
 * LZO1X decoder with bounds checks, which reads both bitstream versions: 0 (lzo) and 1
 * (lzo-rle, a `17, 1` header and zero-run instructions). The `lzo` binding's minilzo reads only
 * version 0, so lzo-rle decompresses here; lzo keeps the binding (native, faster).
 *
 * Outcomes are the kernel's: the decoded length, or a negative LZO_E_* code when the input is
 * truncated (INPUT_OVERRUN), the output would pass `dst` (OUTPUT_OVERRUN), a match reaches
 * before the output's start (LOOKBEHIND_OVERRUN), input is left after the end marker
 * (INPUT_NOT_CONSUMED) or the end marker is malformed (ERROR). The kernel's fast paths for
 * CPUs with efficient unaligned access (8-byte copies when there are 15 bytes of slack) only
 * skip checks that the slack already satisfies, so they never change an outcome; this follows
 * the byte-wise paths. One simplification: the kernel rejects a length made of more than
 * SIZE_MAX/255 zero bytes (LZO_E_ERROR); no input that long fits a JavaScript array, so that
 * check never applies here.
 */

export const LZO_E_ERROR = -1;
export const LZO_E_INPUT_OVERRUN = -4;
export const LZO_E_OUTPUT_OVERRUN = -5;
export const LZO_E_LOOKBEHIND_OVERRUN = -6;
export const LZO_E_INPUT_NOT_CONSUMED = -8;

const M2_MAX_OFFSET = 0x0800;
const MIN_ZERO_RUN_LENGTH = 4;

/** Thrown inside the decoder with the LZO_E_* code; caught at the entry point. */
class LzoError {
  constructor(readonly code: number) {}
}
const INPUT_OVERRUN = new LzoError(LZO_E_INPUT_OVERRUN);
const OUTPUT_OVERRUN = new LzoError(LZO_E_OUTPUT_OVERRUN);
const LOOKBEHIND_OVERRUN = new LzoError(LZO_E_LOOKBEHIND_OVERRUN);

/** One decompression: input and output with their positions. */
class Lzo1xDecoder {
  ip = 0;
  op = 0;

  constructor(
    readonly src: Uint8Array,
    readonly dst: Uint8Array,
    /** The kernel's end-marker check (see lzo1xDecompressSafe); off only to compare with minilzo. */
    readonly kernelEnd: boolean,
  ) {}

  needIp(n: number): void {
    if (this.src.length - this.ip < n) throw INPUT_OVERRUN;
  }

  needOp(n: number): void {
    if (this.dst.length - this.op < n) throw OUTPUT_OVERRUN;
  }

  /** The next input byte; past the end it reads as 0, where the kernel's checks stop it next. */
  next(): number {
    return this.src[this.ip++] ?? 0;
  }

  /** The zero bytes that extend a length (255 each) and the byte after them. */
  extension(): number {
    let zeros = 0;
    while ((this.src[this.ip] ?? 0) === 0) {
      this.ip++;
      zeros++;
      this.needIp(1);
    }
    return zeros * 255 + this.next();
  }

  le16(): number {
    return (this.src[this.ip] ?? 0) | ((this.src[this.ip + 1] ?? 0) << 8);
  }

  /** `t` literal bytes; the kernel also wants 3 more input bytes (the next instruction's). */
  literals(t: number): void {
    this.needOp(t);
    this.needIp(t + 3);
    const d = this.dst;
    const s = this.src;
    // A loop for the short runs that dominate; set() (a memcpy behind a view) for long ones.
    if (t < 64) for (let i = 0; i < t; i++) d[this.op + i] = s[this.ip + i]!;
    else d.set(s.subarray(this.ip, this.ip + t), this.op);
    this.ip += t;
    this.op += t;
  }

  /** A match of `t` bytes from `from`, byte by byte (it may overlap its own output). */
  copyMatch(from: number, t: number): void {
    if (from < 0) throw LOOKBEHIND_OVERRUN;
    this.needOp(t);
    const d = this.dst;
    let op = this.op;
    for (let i = 0; i < t; i++) d[op++] = d[from + i]!;
    this.op = op;
  }

  /** The 0-3 literals that follow a match (`next`, from its last two bits). */
  trailing(t: number): void {
    this.needIp(t + 3);
    this.needOp(t);
    for (; t > 0; t--) this.dst[this.op++] = this.src[this.ip++]!;
  }

  /** Runs the decoder to the end marker; returns the decoded length or an LZO_E_* code. */
  run(): number {
    const src = this.src;
    if (src.length < 3) throw INPUT_OVERRUN;
    let version = 0;
    if (src.length >= 5 && src[0] === 17) {
      version = src[1]!;
      this.ip = 2;
    }
    let state = 0;
    let t = 0;
    let first = true;
    for (;;) {
      let next: number;
      let from: number;
      if (first && (src[this.ip] ?? 0) > 17) {
        // A first literal run of 1-238 bytes (or a count of 0-3 for the first match's tail).
        first = false;
        t = this.next() - 17;
        if (t < 4) {
          next = t;
          this.trailing(next);
          state = next;
          continue;
        }
        this.literals(t);
        state = 4;
        continue;
      }
      first = false;
      t = this.next();
      if (t < 16) {
        if (state === 0) {
          if (t === 0) t = 15 + this.extension();
          this.literals(t + 3);
          state = 4;
          continue;
        }
        next = t & 3;
        if (state !== 4) {
          // M1 after a match's short tail: a 2-byte match within 1 KiB.
          from = this.op - 1 - (t >> 2) - (this.next() << 2);
          this.copyMatch(from, 2);
          this.trailing(next);
          state = next;
          continue;
        }
        // M1 after a literal run: a 3-byte match from 2 KiB to 3 KiB back.
        from = this.op - (1 + M2_MAX_OFFSET) - (t >> 2) - (this.next() << 2);
        t = 3;
      } else if (t >= 64) {
        next = t & 3;
        from = this.op - 1 - ((t >> 2) & 7) - (this.next() << 3);
        t = (t >> 5) - 1 + 2;
      } else if (t >= 32) {
        t = (t & 31) + 2;
        if (t === 2) {
          t += 31 + this.extension();
          this.needIp(2);
        }
        const d = this.le16();
        this.ip += 2;
        from = this.op - 1 - (d >> 2);
        next = d & 3;
      } else {
        this.needIp(2);
        let d = this.le16();
        if ((d & 0xfffc) === 0xfffc && (t & 0xf8) === 0x18 && version !== 0) {
          // lzo-rle: a run of 4 to 2,051 zero bytes.
          this.needIp(3);
          const run = ((t & 7) | (src[this.ip + 2]! << 3)) + MIN_ZERO_RUN_LENGTH;
          this.needOp(run);
          this.dst.fill(0, this.op, this.op + run);
          this.op += run;
          this.ip += 3;
          next = d & 3;
          this.trailing(next);
          state = next;
          continue;
        }
        from = this.op - ((t & 8) << 11);
        t = (t & 7) + 2;
        if (t === 2) {
          t += 7 + this.extension();
          this.needIp(2);
          d = this.le16();
        }
        this.ip += 2;
        from -= d >> 2;
        next = d & 3;
        if (from === this.op) return this.end(t);
        from -= 0x4000;
      }
      this.copyMatch(from, t);
      this.trailing(next);
      state = next;
    }
  }

  /** The end marker (an M4 instruction of distance 0): valid only with t == 3, at the input's end. */
  end(t: number): number {
    if (t !== 3 && this.kernelEnd) return LZO_E_ERROR;
    if (this.ip === this.src.length) return this.op;
    return this.ip < this.src.length ? LZO_E_INPUT_NOT_CONSUMED : LZO_E_INPUT_OVERRUN;
  }
}

/**
 * lzo1x_decompress_safe(src, dst): the decoded length (at most dst.length), or a negative
 * LZO_E_* code. Never reads past `src` or writes past `dst`; never throws.
 *
 * The kernel's version checks that the end marker has length 3 (its `t != 3 ? LZO_E_ERROR`);
 * minilzo 2.09, which the `lzo` backend decompresses with, does not, so a corrupted stream whose
 * end marker has other length bits decodes there and fails here. `kernelEnd` false drops the
 * check, for the test that compares the two decoders.
 */
export function lzo1xDecompressSafe(src: Uint8Array, dst: Uint8Array, kernelEnd = true): number {
  try {
    return new Lzo1xDecoder(src, dst, kernelEnd).run();
  } catch (e) {
    if (e instanceof LzoError) return e.code;
    throw e;
  }
}
