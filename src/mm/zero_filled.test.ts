/**
 * isZeroFilled(): swap_writeout()'s zero-page check. It reads 32 bytes a step through a word
 * view when the bytes are 4-byte aligned and a multiple of 32 long, byte by byte otherwise; a
 * single non-zero byte anywhere, in either path, must make the page non-zero.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PAGE_SIZE } from "../kernel/page.ts";
import { isZeroFilled } from "./swap.ts";

/** A zero region of `len` bytes at `offset` of a larger buffer, with non-zero bytes around it. */
function region(offset: number, len: number): Uint8Array {
  const buf = new Uint8Array(offset + len + 8).fill(0xa5);
  const r = buf.subarray(offset, offset + len);
  r.fill(0);
  return r;
}

describe("isZeroFilled", () => {
  it("finds one non-zero byte at any position of a page, aligned or not", () => {
    fc.assert(
      fc.property(
        fc.nat(7),
        fc.nat(PAGE_SIZE - 1),
        fc.integer({ min: 1, max: 255 }),
        (offset, at, value) => {
          const page = region(offset, PAGE_SIZE);
          assert.equal(isZeroFilled(page), true);
          page[at] = value;
          assert.equal(isZeroFilled(page), false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads only its own bytes: the non-zero bytes around a zero region do not count", () => {
    for (const offset of [0, 1, 4, 7])
      for (const len of [0, 1, 7, 8, 9, 31, 32, 33, 64, 2 * PAGE_SIZE])
        assert.equal(isZeroFilled(region(offset, len)), true, `offset ${offset}, length ${len}`);
  });

  it("checks every page of a large folio, including the last byte", () => {
    const folio = new Uint8Array(4 * PAGE_SIZE);
    assert.equal(isZeroFilled(folio), true);
    folio[4 * PAGE_SIZE - 1] = 1;
    assert.equal(isZeroFilled(folio), false);
  });
});
