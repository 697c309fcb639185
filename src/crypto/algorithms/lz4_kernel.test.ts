import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { lz4CompressBound, lz4CompressKernel, lz4WorkMemory, mayDiffer } from "./lz4_kernel.ts";
import { loadLz4 } from "./native/load.ts";
import { fixedPages, compressorInputs as inputs } from "./pages_test_util.ts";

const lz4 = loadLz4();
const table = lz4WorkMemory();

function kernel(src: Uint8Array, room = lz4CompressBound(src.length)): Uint8Array | null {
  const dst = new Uint8Array(room);
  const n = lz4CompressKernel(src, dst, table);
  return n === 0 ? null : dst.subarray(0, n);
}

function binding(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(lz4CompressBound(src.length));
  return dst.subarray(0, lz4.encodeBlock(src, dst));
}

describe("lz4_kernel: the kernel's LZ4 compressor (the reference for the lz4 backend)", () => {
  test("every output decodes to its input (the binding's LZ4_decompress_safe)", () => {
    fc.assert(
      fc.property(inputs, (src) => {
        const c = kernel(src) as Uint8Array;
        const back = new Uint8Array(src.length);
        assert.equal(lz4.decodeBlock(c, back), src.length);
        assert.deepEqual(back, src);
      }),
      { numRuns: 300 },
    );
  });

  test("the binding (LZ4 1.9.2) writes the kernel's bytes wherever mayDiffer says it may not differ", () => {
    let compared = 0;
    fc.assert(
      fc.property(inputs, (src) => {
        const b = binding(src);
        if (mayDiffer(b, b.length, src.length)) return;
        assert.deepEqual(b, kernel(src));
        compared++;
      }),
      { numRuns: 1000 },
    );
    assert.ok(compared > 300, `only ${compared} of 1000 inputs compared`);
  });

  test("where they differ: 1.9.2 takes a match at the last position, the kernel leaves literals", () => {
    // 40 bytes, all distinct but for bytes 28..31 repeating bytes 0..3: 28 is mflimit, the
    // last position LZ4 1.9.2 tests and one past what the kernel's 1.7.3 rules test.
    const src = Uint8Array.from({ length: 40 }, (_, i) => 100 + (i >= 28 && i < 32 ? i - 28 : i));
    const b = binding(src);
    assert.deepEqual([(kernel(src) as Uint8Array).length, b.length], [42, 41]);
    assert.ok(mayDiffer(b, b.length, src.length));
  });

  test("the fixed pages: the kernel's lengths, and where 1.9.2's extra last match makes it shorter", () => {
    const lengths: Record<string, [number, number]> = {};
    for (const [name, page] of fixedPages())
      lengths[name] = [(kernel(page) as Uint8Array).length, binding(page).length];
    assert.deepEqual(lengths, {
      text: [2337, 2337],
      elf: [2486, 2486],
      "same-filled": [33, 33],
      zero: [26, 26],
      random: [4114, 4114],
    });
  });

  test("a bounded output fails (0) exactly when the stream is longer, else holds the same stream", () => {
    fc.assert(
      fc.property(inputs, fc.double({ min: 0, max: 1.2, noNaN: true }), (src, f) => {
        const full = kernel(src) as Uint8Array;
        const room = Math.floor(full.length * f);
        if (room >= lz4CompressBound(src.length)) return;
        const got = kernel(src, room);
        assert.equal(got === null, room < full.length, `${full.length} into ${room}`);
        if (got !== null) assert.deepEqual(got, full);
      }),
      { numRuns: 500 },
    );
  });
});
