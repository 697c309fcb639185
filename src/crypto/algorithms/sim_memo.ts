/**
 * A memo for the `sim` code's pure functions: the model checker compresses and decompresses the
 * same few test pages in every one of thousands of executions, and the byte loop of the
 * PackBits code was a tenth of an execution. An answer is remembered with a copy of its input
 * and the output length asked for, and given back only for the same bytes and the same output
 * length, so what the caller sees is exactly what a fresh run would write and return.
 *
 * Failures (negative returns) are not remembered: they may leave a partial output behind, which
 * a fresh run reproduces and a memo would not.
 */

/** Entries per memo: a scenario uses a handful of distinct pages. */
const MEMO_ENTRIES = 8;

interface Entry {
  readonly input: Uint8Array;
  readonly dstLength: number;
  readonly output: Uint8Array;
  readonly ret: number;
}

export class PureCodecMemo {
  private readonly entries: Entry[] = [];
  private nextVictim = 0;

  constructor(private readonly fn: (src: Uint8Array, dst: Uint8Array) => number) {}

  /** `fn(src, dst)`, or the remembered answer for the same input bytes and output length. */
  run(src: Uint8Array, dst: Uint8Array): number {
    for (const e of this.entries) {
      if (e.dstLength === dst.length && sameBytes(e.input, src)) {
        dst.set(e.output);
        return e.ret;
      }
    }
    const ret = this.fn(src, dst);
    if (ret >= 0)
      this.remember({ input: src.slice(), dstLength: dst.length, output: dst.slice(0, ret), ret });
    return ret;
  }

  private remember(e: Entry): void {
    if (this.entries.length < MEMO_ENTRIES) this.entries.push(e);
    else {
      this.entries[this.nextVictim] = e;
      this.nextVictim = (this.nextVictim + 1) % MEMO_ENTRIES;
    }
  }
}

/** Whether `a` and `b` hold the same bytes (word by word when both are aligned). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n % 4 === 0 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const wa = new Int32Array(a.buffer, a.byteOffset, n >>> 2);
    const wb = new Int32Array(b.buffer, b.byteOffset, n >>> 2);
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
    return true;
  }
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
