import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  checksum64Equals,
  digestEquals,
  isZeroPage,
  pageChecksum64,
  pageDigest,
} from "./page_hash.ts";

const PAGE_SIZE = 4096;

const pageArb = fc.uint8Array({ minLength: PAGE_SIZE, maxLength: PAGE_SIZE });

describe("page_hash", () => {
  it("the same bytes give the same digest and checksum, wherever they lie in memory", () => {
    fc.assert(
      fc.property(pageArb, fc.integer({ min: 0, max: 7 }), (p, shift) => {
        const d = new Uint32Array(4);
        const c = new Uint32Array(2);
        pageDigest(p, d, 0);
        pageChecksum64(p, c, 0);
        const moved = new Uint8Array(PAGE_SIZE + 8).subarray(shift, shift + PAGE_SIZE);
        moved.set(p);
        assert.ok(digestEquals(moved, d, 0));
        assert.ok(checksum64Equals(moved, c, 0));
      }),
      { numRuns: 50 },
    );
  });

  it("every flipped bit and every changed byte changes the digest and the checksum", () => {
    fc.assert(
      fc.property(
        pageArb,
        fc.integer({ min: 0, max: PAGE_SIZE - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (p, at, xor) => {
          const d = new Uint32Array(4);
          const c = new Uint32Array(2);
          pageDigest(p, d, 0);
          pageChecksum64(p, c, 0);
          const q = p.slice();
          q[at] = (q[at] as number) ^ xor;
          assert.equal(digestEquals(q, d, 0), false);
          assert.equal(checksum64Equals(q, c, 0), false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("tells apart a zeroed page, two swapped halves and a page shifted by one byte", () => {
    const p = new Uint8Array(PAGE_SIZE);
    let x = 1;
    for (let i = 0; i < PAGE_SIZE; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      p[i] = x >>> 24; // not periodic, so the halves differ
    }
    const d = new Uint32Array(4);
    pageDigest(p, d, 0);
    const swapped = new Uint8Array(PAGE_SIZE);
    swapped.set(p.subarray(2048), 0);
    swapped.set(p.subarray(0, 2048), 2048);
    const shifted = new Uint8Array(PAGE_SIZE);
    shifted.set(p.subarray(1), 0);
    for (const q of [new Uint8Array(PAGE_SIZE), swapped, shifted]) {
      assert.equal(digestEquals(q, d, 0), false);
    }
    assert.ok(isZeroPage(new Uint8Array(PAGE_SIZE)));
    const last = new Uint8Array(PAGE_SIZE);
    last[PAGE_SIZE - 1] = 1;
    assert.equal(isZeroPage(last), false);
  });
});
