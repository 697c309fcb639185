/**
 * The `sim` compressor: a byte run-length code (PackBits), pure TypeScript, deterministic and
 * cheap, for the simulator and the model checker, where what matters is that a page round-trips
 * and that compressed sizes vary with content (zero and same-filled pages shrink to a few dozen
 * bytes, pages without runs do not fit a page), not the ratio.
 *
 * Format: a sequence of packets, each starting with a header byte h:
 *   h in 0..127:   a literal run, h + 1 bytes follow verbatim;
 *   h in 128..255: a repeat run, the one byte that follows stands for h - 128 + 3 copies.
 * Worst case: n + ceil(n / 128) bytes (4,128 for a 4 KiB page without runs).
 */

import { EINVAL, ENOSPC } from "../../kernel/errno.ts";
import { PureCodecMemo } from "./sim_memo.ts";
import type { CompressorBackend, CompressorFactory } from "./types.ts";

const LITERAL_MAX = 128;
const RUN_MIN = 3;
const RUN_MAX = 130;

/** Length of the run of `src[i]` starting at i, at most RUN_MAX. */
function runLength(src: Uint8Array, i: number): number {
  const b = src[i];
  const end = Math.min(src.length, i + RUN_MAX);
  let j = i + 1;
  while (j < end && src[j] === b) j++;
  return j - i;
}

/** Appends the literal `src[from..to)` to `dst` at `op`: the new `op`, or -ENOSPC. */
function putLiteral(
  src: Uint8Array,
  from: number,
  to: number,
  dst: Uint8Array,
  op: number,
): number {
  const lit = to - from;
  if (lit === 0) return op;
  if (op + 1 + lit > dst.length) return -ENOSPC;
  dst[op] = lit - 1;
  // A byte loop, not dst.set(src.subarray()): literals are short, and a subarray per literal
  // was a tenth of the checker's allocations.
  for (let i = 0; i < lit; i++) dst[op + 1 + i] = src[from + i] as number;
  return op + 1 + lit;
}

/** Compresses `src` into `dst`: the compressed length, or -ENOSPC. */
export function simCompress(src: Uint8Array, dst: Uint8Array): number {
  const n = src.length;
  let op = 0;
  let litStart = 0;
  let i = 0;
  while (i < n && op >= 0) {
    const run = runLength(src, i);
    if (run >= RUN_MIN) {
      op = putLiteral(src, litStart, i, dst, op);
      if (op < 0) break;
      if (op + 2 > dst.length) return -ENOSPC;
      dst[op++] = 128 + run - RUN_MIN;
      dst[op++] = src[i] as number;
      i += run;
      litStart = i;
    } else {
      i++;
      if (i - litStart === LITERAL_MAX) {
        op = putLiteral(src, litStart, i, dst, op);
        litStart = i;
      }
    }
  }
  return op < 0 ? op : putLiteral(src, litStart, n, dst, op);
}

/** Decompresses `src` into `dst`: the decompressed length, or -EINVAL (corrupt or too long). */
export function simDecompress(src: Uint8Array, dst: Uint8Array): number {
  let ip = 0;
  let op = 0;
  while (ip < src.length) {
    const h = src[ip++] as number;
    if (h < 128) {
      const lit = h + 1;
      if (ip + lit > src.length || op + lit > dst.length) return -EINVAL;
      for (let i = 0; i < lit; i++) dst[op + i] = src[ip + i] as number;
      ip += lit;
      op += lit;
    } else {
      const run = h - 128 + RUN_MIN;
      if (ip >= src.length || op + run > dst.length) return -EINVAL;
      dst.fill(src[ip++] as number, op, op + run);
      op += run;
    }
  }
  return op;
}

/** Shared by every backend: the functions are pure (see sim_memo.ts). */
const compressMemo = new PureCodecMemo(simCompress);
const decompressMemo = new PureCodecMemo(simDecompress);

class SimBackend implements CompressorBackend {
  readonly name = "sim";

  compress(src: Uint8Array, dst: Uint8Array): number {
    return compressMemo.run(src, dst);
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    return decompressMemo.run(src, dst);
  }
}

export const simCompressorFactory: CompressorFactory = {
  name: "sim",
  kernelParams: "none: PackBits run-length code for the simulator (not a kernel algorithm)",
  kernelNoSpaceErrno: -ENOSPC,
  create: () => new SimBackend(),
};

/**
 * The sim code behind an IAA-like asynchronous interface, for the checker: the same bytes, but a
 * request completes from a simulated interrupt, so crypto_wait_req() really sleeps.
 */
export const iaaSimCompressorFactory: CompressorFactory = {
  ...simCompressorFactory,
  name: "iaa-sim",
  kernelParams:
    "none: the sim code as an asynchronous accelerator (requests complete from an interrupt, like IAA)",
  asynchronous: true,
};
