import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EINVAL, ENOSPC } from "../../kernel/errno.ts";
import { CompressorRegistry } from "./registry.ts";
import { simCompress, simCompressorFactory, simDecompress } from "./sim.ts";

function roundTrip(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(src.length + Math.ceil(src.length / 128) + 1);
  const n = simCompress(src, dst);
  assert.ok(n >= 0, `compress: ${n}`);
  const out = new Uint8Array(src.length);
  assert.equal(simDecompress(dst.subarray(0, n), out), src.length);
  assert.deepEqual(out, src);
  return dst.slice(0, n);
}

test("sim: the packet format, byte for byte", () => {
  assert.deepEqual([...roundTrip(new Uint8Array([]))], []);
  assert.deepEqual([...roundTrip(new Uint8Array([7]))], [0, 7]);
  // A run of 2 stays literal; a run of 3 is a repeat packet.
  assert.deepEqual([...roundTrip(new Uint8Array([1, 1, 2]))], [2, 1, 1, 2]);
  assert.deepEqual([...roundTrip(new Uint8Array([1, 2, 2, 2, 3]))], [0, 1, 128, 2, 0, 3]);
  // A run of 131 is 130 + a literal 1.
  assert.deepEqual([...roundTrip(new Uint8Array(131).fill(9))], [255, 9, 0, 9]);
});

test("sim: worst case is n + ceil(n / 128), zero page 64 bytes", () => {
  const noRuns = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
  assert.equal(roundTrip(noRuns).length, 4096 + 32);
  assert.equal(roundTrip(new Uint8Array(4096)).length, 64);
  assert.equal(roundTrip(Uint8Array.from({ length: 129 }, (_, i) => i)).length, 131);
});

test("sim: -ENOSPC exactly when the output does not fit", () => {
  const src = new Uint8Array([1, 2, 2, 2, 3]);
  assert.equal(simCompress(src, new Uint8Array(6)), 6);
  for (let size = 0; size < 6; size++)
    assert.equal(simCompress(src, new Uint8Array(size)), -ENOSPC);
});

test("sim: corrupt input is -EINVAL, never an exception", () => {
  const out = new Uint8Array(16);
  assert.equal(simDecompress(new Uint8Array([5, 1, 2]), out), -EINVAL); // literal cut short
  assert.equal(simDecompress(new Uint8Array([130]), out), -EINVAL); // repeat without its byte
  assert.equal(simDecompress(new Uint8Array([255, 0]), out), -EINVAL); // 130 bytes into 16
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => {
      const n = simDecompress(junk, out);
      return n === -EINVAL || (n >= 0 && n <= out.length);
    }),
    { seed: 1, numRuns: 500 },
  );
});

test("sim: any byte string round-trips", () => {
  const runs = fc
    .array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 300 })), {
      maxLength: 40,
    })
    .map((rs) => Uint8Array.from(rs.flatMap(([b, len]) => new Array<number>(len).fill(b))));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 5000 }), runs), (src) => {
      roundTrip(src);
    }),
    { seed: 2, numRuns: 300 },
  );
});

test("sim: a registry with only the sim factory (the simulator's) needs no native code", () => {
  const registry = new CompressorRegistry([simCompressorFactory]);
  assert.deepEqual(registry.names(), ["sim"]);
  assert.throws(() => registry.get("lz4"), { message: "Unknown compressor 'lz4'; available: sim" });
  assert.equal(registry.get("sim").create().name, "sim");
  assert.throws(
    () => new CompressorRegistry([simCompressorFactory, simCompressorFactory]),
    /Cannot register compressor 'sim': expected unique names, got it twice/,
  );
});
