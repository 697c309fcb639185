/**
 * Every page comes back as it went out, on every compressor and profile, including the pages
 * whose compressed length sits on a boundary (issue: a 6.12 lzo page compressing to exactly
 * PAGE_SIZE came back as its compressed bytes, with no error).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createNativeCompressorRegistry } from "../crypto/algorithms/native/index.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { PROFILES, type Profile } from "../zswap/params.ts";
import { createZswap } from "./create_zswap.ts";

const COMPRESSORS = ["lz4", "lz4hc", "zstd", "lzo", "deflate"] as const;
const REGISTRY = createNativeCompressorRegistry();

/** A deterministic noise page (mulberry32), independent of the corpus generator. */
function noise(seed: number): Uint8Array {
  let a = seed | 0;
  const page = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    page[i] = (t ^ (t >>> 14)) & 255;
  }
  return page;
}

/** `zeros` zero bytes, then noise: the compressed length grows by about one byte per byte. */
function zeroPrefixed(zeros: number, seed: number): Uint8Array {
  const page = noise(seed);
  page.fill(0, 0, zeros);
  return page;
}

/** The raw compressed length of `page` with `compressor`, given a two-page destination. */
function rawLength(compressor: string, page: Uint8Array): number {
  return REGISTRY.get(compressor)
    .create()
    .compress(page, new Uint8Array(2 * PAGE_SIZE));
}

/** A page whose raw compressed length is exactly `target`, or null if none is near. */
function pageCompressingTo(compressor: string, target: number): Uint8Array | null {
  for (let seed = 1; seed <= 4; seed++) {
    for (let zeros = 0; zeros <= 600; zeros++) {
      const page = zeroPrefixed(zeros, seed);
      if (rawLength(compressor, page) === target) return page;
    }
  }
  return null;
}

async function roundTrips(
  compressor: string,
  profile: Profile,
  list: readonly Uint8Array[],
): Promise<void> {
  const z = createZswap({ compressor, profile, cpus: 1, totalRamBytes: 2 ** 32 });
  try {
    const slots = list.map((p) => z.swapOutSync(p));
    for (const [i, slot] of slots.entries()) {
      const back = z.swapInSync(slot);
      assert.ok(Buffer.compare(back, list[i] as Uint8Array) === 0, `page ${i} came back different`);
    }
  } finally {
    await z.close();
  }
}

describe("round trip at the compressed-length boundaries", () => {
  it("6.12 lzo: a page compressing to exactly PAGE_SIZE is stored compressed and comes back", async () => {
    const page = pageCompressingTo("lzo", PAGE_SIZE);
    assert.ok(page !== null, "found a page whose lzo output is exactly 4096 bytes");
    const z = createZswap({ compressor: "lzo", profile: "6.12", cpus: 1, totalRamBytes: 2 ** 32 });
    try {
      const slot = z.swapOutSync(page);
      const s = z.stats();
      assert.equal(s.debugfs.stored_pages, 1, "6.12 stores it (lzo's dlen is not enforced)");
      assert.equal(s.vmstat.zswpout, 1);
      assert.ok(Buffer.compare(z.swapInSync(slot), page) === 0, "the page comes back as it was");
    } finally {
      await z.close();
    }
  });

  for (const compressor of COMPRESSORS) {
    for (const target of [PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1]) {
      const page = pageCompressingTo(compressor, target);
      if (page === null) continue;
      for (const profile of PROFILES) {
        it(`${profile} ${compressor}: a page compressing to ${target} bytes round-trips`, async () => {
          await roundTrips(compressor, profile, [page]);
        });
      }
    }
  }
});

describe("round trip: property over pages, compressors and profiles", () => {
  const pageArb = fc.oneof(
    fc.uint8Array({ minLength: PAGE_SIZE, maxLength: PAGE_SIZE }),
    fc
      .record({ zeros: fc.integer({ min: 0, max: PAGE_SIZE }), seed: fc.integer() })
      .map(({ zeros, seed }) => zeroPrefixed(zeros, seed)),
    fc.integer({ min: 0, max: 255 }).map((b) => new Uint8Array(PAGE_SIZE).fill(b)),
    fc
      .record({ period: fc.integer({ min: 1, max: 64 }), seed: fc.integer() })
      .map(({ period, seed }) => {
        const unit = noise(seed).subarray(0, period);
        const page = new Uint8Array(PAGE_SIZE);
        for (let i = 0; i < PAGE_SIZE; i++) page[i] = unit[i % period] as number;
        return page;
      }),
  );
  for (const compressor of COMPRESSORS) {
    for (const profile of PROFILES) {
      it(`${profile} ${compressor}: every page comes back byte for byte`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(pageArb, { minLength: 1, maxLength: 8 }), (list) =>
            roundTrips(compressor, profile, list),
          ),
          { numRuns: 40, seed: 11 },
        );
      });
    }
  }
});
