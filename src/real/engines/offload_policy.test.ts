/**
 * OffloadPolicy: an op goes to the workers once a window of its timings on the calling thread
 * puts its cost at the threshold of its kind; the cost is a low quantile, so preempted pages
 * (outliers) do not move it; the same timings give the same choices.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { codecOp } from "./codec_engine.ts";
import { OffloadPolicy } from "./offload_policy.ts";

const LZ4 = codecOp("compress", "7.3", "lz4");
const LZ4_D = codecOp("decompress", "7.3", "lz4");
const ZSTD = codecOp("compress", "7.3", "zstd");
const limits = { compressUs: 8, decompressUs: 20 };

function feed(p: OffloadPolicy, op: number, us: readonly number[]): boolean[] {
  return us.map((x) => {
    p.observe(op, x);
    return p.offloads(op);
  });
}

describe("OffloadPolicy", () => {
  it("an op stays on the calling thread until a window of timings is in", () => {
    const p = new OffloadPolicy(limits);
    const seen = feed(p, ZSTD, Array(16).fill(50));
    assert.deepEqual(seen.slice(0, 15), Array(15).fill(false));
    assert.equal(seen[15], true, "50 us a page: offloaded");
    assert.equal(p.offloads(LZ4), false, "another op is not");
  });

  it("cheap pages stay, costly ones go, and the choice follows the cost", () => {
    const p = new OffloadPolicy(limits);
    feed(p, LZ4, Array(16).fill(5));
    assert.equal(p.offloads(LZ4), false);
    feed(p, LZ4, Array(16).fill(12));
    assert.equal(p.offloads(LZ4), true);
    feed(p, LZ4, Array(16).fill(5));
    assert.equal(p.offloads(LZ4), false);
  });

  it("outliers (a preempted page, a cold start) do not move the cost", () => {
    const p = new OffloadPolicy(limits);
    // Three cold pages at 400 us, then lz4's 5 us: the cost is 5.
    feed(p, LZ4, [400, 400, 400, ...Array(13).fill(5)]);
    assert.equal(p.costOf(LZ4), 5);
    assert.equal(p.offloads(LZ4), false);
  });

  it("compress and decompress have their own thresholds; 0 always, Infinity never", () => {
    const p = new OffloadPolicy(limits);
    feed(p, LZ4_D, Array(16).fill(12)); // above 8, under 20
    assert.equal(p.offloads(LZ4_D), false);
    assert.equal(p.mayOffload(1), false, "no decompression is offloaded");
    feed(p, LZ4_D, Array(16).fill(30));
    assert.equal(p.mayOffload(1), true);
    assert.equal(p.mayOffload(0), false, "nor any compression");
    feed(p, LZ4_D, Array(16).fill(3));
    assert.equal(p.mayOffload(1), false, "no longer");
    const always = new OffloadPolicy({ compressUs: 0, decompressUs: 0 });
    assert.equal(always.offloads(LZ4), true);
    const never = new OffloadPolicy({ compressUs: Infinity, decompressUs: Infinity });
    feed(never, LZ4, Array(16).fill(1e6));
    assert.equal(never.offloads(LZ4), false);
  });

  it("the same timings give the same choices", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { maxLength: 200 }),
        (us) => {
          const a = feed(new OffloadPolicy(limits), ZSTD, us);
          const b = feed(new OffloadPolicy(limits), ZSTD, us);
          assert.deepEqual(a, b);
        },
      ),
    );
  });
});
