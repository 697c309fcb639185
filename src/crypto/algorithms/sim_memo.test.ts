import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { simCompress, simDecompress } from "./sim.ts";
import { PureCodecMemo } from "./sim_memo.ts";

/** What a fresh run writes and returns: the whole output buffer, and the return value. */
function fresh(fn: (s: Uint8Array, d: Uint8Array) => number, src: Uint8Array, dstLength: number) {
  const dst = new Uint8Array(dstLength).fill(0xee);
  return { ret: fn(src, dst), dst };
}

describe("PureCodecMemo", () => {
  it("answers exactly as a fresh run, for repeated and changing inputs and output lengths", () => {
    const memo = new PureCodecMemo(simCompress);
    const pages = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => a.map((b) => b & 3));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(pages, fc.integer({ min: 0, max: 400 })), {
          minLength: 1,
          maxLength: 30,
        }),
        (calls) => {
          // Each input is asked twice, so the second answer comes from the memo when it can.
          for (const [src, len] of [...calls, ...calls]) {
            const want = fresh(simCompress, src, len);
            const got = fresh((s, d) => memo.run(s, d), src, len);
            assert.equal(got.ret, want.ret);
            assert.deepEqual(got.dst, want.dst);
          }
        },
      ),
    );
  });

  it("tells inputs apart by every byte, also unaligned views", () => {
    const calls: number[] = [];
    const memo = new PureCodecMemo((s, d) => {
      calls.push(s[s.length - 1] as number);
      return simCompress(s, d);
    });
    const a = new Uint8Array(4096).fill(7);
    const b = a.slice();
    b[4095] = 8;
    const dst = new Uint8Array(4200);
    memo.run(a, dst);
    memo.run(b, dst);
    memo.run(a, dst);
    assert.deepEqual(calls, [7, 8], "the third call is answered from the memo");
    const buf = new Uint8Array(4097);
    buf.set(b, 1);
    memo.run(buf.subarray(1), dst);
    assert.deepEqual(calls, [7, 8], "an unaligned view of the same bytes matches");
    buf[4096] = 9;
    memo.run(buf.subarray(1), dst);
    assert.deepEqual(calls, [7, 8, 9]);
  });

  it("never remembers a failure (it may leave a partial output behind)", () => {
    let runs = 0;
    const memo = new PureCodecMemo((s, d) => {
      runs++;
      return simDecompress(s, d);
    });
    const corrupt = Uint8Array.of(5, 1, 2); // a literal of 6 bytes with 2 present
    const dst = new Uint8Array(16);
    assert.ok(memo.run(corrupt, dst) < 0);
    assert.ok(memo.run(corrupt, dst) < 0);
    assert.equal(runs, 2);
  });
});
