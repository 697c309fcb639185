import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { LZO_E_OUTPUT_OVERRUN, lzo1xCompressSafe, lzo1xWorkMemory } from "./lzo1x_kernel.ts";
import { loadLzo } from "./native/load.ts";
import { compressorInputs as inputs } from "./pages_test_util.ts";

const lzo = loadLzo();
const wrkmem = lzo1xWorkMemory();

/** lzo1x_worst_compress(n) of include/linux/lzo.h: room that always suffices. */
const worst = (n: number): number => n + Math.floor(n / 16) + 64 + 3;

/** Decompresses with the binding (minilzo's lzo1x_decompress_safe) into exactly `n` bytes. */
function decompress(c: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const r = lzo.decompress(c, out);
  assert.equal(r.err, 0, `lzo1x_decompress_safe error ${r.err}`);
  assert.equal(r.len, n);
  return out;
}

describe("lzo1x_kernel: the kernel's LZO1X-1 compressor", () => {
  test("every output decompresses to its input (minilzo's decoder), lengths 0 and up", () => {
    fc.assert(
      fc.property(inputs, (src) => {
        const dst = new Uint8Array(worst(src.length));
        const n = lzo1xCompressSafe(src, dst, wrkmem);
        assert.ok(n > 0 && n <= dst.length);
        assert.deepEqual(decompress(dst.subarray(0, n), src.length), src);
      }),
      { numRuns: 300 },
    );
  });

  test("input past 48 KiB is compressed in chunks of M4_MAX_OFFSET + 1 and still decodes", () => {
    const src = new Uint8Array(150_000);
    for (let i = 0; i < src.length; i++)
      src[i] = (i * 7919) % 251 < 40 ? (i >> 3) & 0xff : 65 + (i % 23);
    const dst = new Uint8Array(worst(src.length));
    const n = lzo1xCompressSafe(src, dst, wrkmem);
    assert.ok(n > 0 && n < src.length);
    assert.deepEqual(decompress(dst.subarray(0, n), src.length), src);
  });

  // The _safe build checks room before each write, with slack for its fast copies (17 bytes
  // before copying 4-16 literals), yet what follows a literal run is always longer than the
  // slack, so a compression fails exactly when its stream would not fit.
  test("a bounded output overruns exactly when the stream is longer, else holds the same stream", () => {
    fc.assert(
      fc.property(inputs, fc.double({ min: 0, max: 1.2, noNaN: true }), (src, f) => {
        const full = new Uint8Array(worst(src.length));
        const n = lzo1xCompressSafe(src, full, wrkmem);
        const room = new Uint8Array(Math.floor(n * f));
        const m = lzo1xCompressSafe(src, room, wrkmem);
        assert.equal(m === LZO_E_OUTPUT_OVERRUN, room.length < n, `${m} into ${room.length}`);
        if (m !== LZO_E_OUTPUT_OVERRUN) assert.deepEqual(room.subarray(0, m), full.subarray(0, n));
      }),
      { numRuns: 1000 },
    );
  });
});
