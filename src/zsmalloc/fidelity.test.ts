/**
 * Fidelity: for objects stored without frees, the pool uses exactly the pages Linux's zsmalloc
 * would. Every expected count below is derived by hand from the kernel's formulas:
 *
 *   class index  idx = DIV_ROUND_UP(size + ZS_HANDLE_SIZE - 32, 16), clamped to 254
 *   class size   32 + 16 * idx (4096 at most)
 *   chain        pages_per_zspage = the i in 1..chain with the least (i * 4096) % class size
 *                (first wins ties; powers of two: 1), objs_per_zspage = i * 4096 / size
 *   merging      indices with equal (pages, objs) share the zspages of the biggest of them
 *   pages        per merged class: ceil(objects / objs_per_zspage) * pages_per_zspage
 *
 * A small independent model of the same formulas then checks random multisets.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { zsCheckPool } from "./check.ts";
import { zsClassStats, zsStatsText, zsTotals } from "./stats.ts";
import { zsCreatePool, zsDestroyPool, zsGetTotalPages, zsMalloc } from "./zsmalloc.ts";

function pagesFor(chainSize: number, sizes: readonly number[]): number {
  const pool = zsCreatePool("fidelity", { chainSize });
  for (const size of sizes) assert.ok(zsMalloc(pool, size) > 0, `zsMalloc(${size})`);
  assert.deepEqual(zsCheckPool(pool), []);
  const pages = zsGetTotalPages(pool);
  // The debugfs table's pages_used must agree with zs_get_total_pages() when nothing was freed.
  assert.equal(zsTotals(zsClassStats(pool)).pages_used, pages);
  zsDestroyPool(pool);
  return pages;
}

const repeat = (size: number, n: number): number[] => new Array<number>(n).fill(size);

describe("page counts equal the kernel's, fixed lists", () => {
  it("objects of exactly PAGE_SIZE take one page each (huge class 254)", () => {
    // 4096 + 8 = 4104 -> DIV_ROUND_UP(4072, 16) = 255 -> clamped to 254: size 4096, a power of
    // two -> 1 page, 1 object (huge: the handle is kept outside the object, so 4096 fits).
    assert.equal(pagesFor(8, repeat(4096, 5)), 5);
    // 4089 + 8 = 4097 -> 255 -> 254; 4088 + 8 = 4096 -> 254: same huge class, 1 page each.
    assert.equal(pagesFor(8, [...repeat(4089, 3), ...repeat(4088, 2)]), 5);
  });

  it("the biggest non-huge class, chain 8: 3624 bytes -> class 3632, 9 objects in 8 pages", () => {
    // 3624 + 8 = 3632 -> idx 225. Waste for 1..8 pages: 464, 928, 1392, 1856, 2320, 2784, 3248,
    // 80 -> 8 pages; 32768 / 3632 = 9 objects. 10 objects -> 2 zspages -> 16 pages.
    assert.equal(pagesFor(8, repeat(3624, 9)), 8);
    assert.equal(pagesFor(8, repeat(3624, 10)), 16);
  });

  it("one byte more is huge, chain 8: 3625 bytes -> 1 page each", () => {
    // 3625 + 8 = 3633 -> DIV_ROUND_UP(3601, 16) = 226 -> 3648: waste 448 for 1 page, more for
    // 2..8 (896, 1344, ..., 3584) -> 1 page, 1 object -> huge, merged into class 254.
    assert.equal(pagesFor(8, repeat(3625, 3)), 3);
  });

  it("chain 4, biggest non-huge class: 3256 bytes -> class 3264, 5 objects in 4 pages", () => {
    // 3256 + 8 = 3264 -> idx 202. Waste for 1..4 pages: 832, 1664, 2496, 64 -> 4 pages, 5
    // objects. 11 objects -> 3 zspages -> 12 pages.
    assert.equal(pagesFor(4, repeat(3256, 11)), 12);
  });

  it("13 objects of 1560 bytes: 6 pages with chain 4, 5 pages with chain 8 (kernel docs)", () => {
    // 1560 + 8 = 1568 -> idx 96. Chain 4: waste 960, 352, 1312, 704 -> 2 pages, 5 objects, the
    // same as class 100 (1632: 8192 % 1632 = 32 -> 2 pages, 5 objects), so 96 merges into 100:
    // ceil(13 / 5) = 3 zspages = 6 pages. Chain 8: 5 pages waste 96 (the least), 13 objects:
    // one zspage = 5 pages.
    assert.equal(pagesFor(4, repeat(1560, 13)), 6);
    assert.equal(pagesFor(8, repeat(1560, 13)), 5);
  });

  it("small objects: 1..24 bytes share class 32, 25 bytes go to class 48", () => {
    // 1 + 8 and 24 + 8 are <= 32 -> idx 0: 32 bytes, 1 page, 128 objects; 200 objects -> 2
    // pages. 25 + 8 = 33 -> idx 1: 48 bytes, waste 16, 32, 0 -> 3 pages, 256 objects; 256 of
    // them -> 1 zspage = 3 pages. Class 48 does not merge with 32 (3 pages vs 1).
    assert.equal(pagesFor(8, [...repeat(1, 100), ...repeat(24, 100)]), 2);
    assert.equal(pagesFor(8, repeat(25, 256)), 3);
    assert.equal(pagesFor(8, [...repeat(1, 100), ...repeat(24, 100), ...repeat(25, 256)]), 5);
  });

  it("merged classes share zspages: 1000 and 1016 bytes land in one 4-object page", () => {
    // 1000 + 8 = 1008 -> idx 61: waste 64 (1 page), 128, 192, ..., 512 (8 pages) -> 1 page, 4
    // objects. 1016 + 8 = 1024 -> idx 62: power of two, 1 page, 4 objects. Same (1, 4): index
    // 61 merges into 62, so 2 + 2 objects fill a single zspage of 1 page (not 2 pages).
    assert.equal(pagesFor(8, [1000, 1016, 1000, 1016]), 1);
    assert.equal(pagesFor(8, [1000, 1016, 1000, 1016, 1000]), 2);
  });

  it("chain 16: 3320 bytes -> class 3328 packs 16 objects into 13 pages with no waste", () => {
    // 3320 + 8 = 3328 -> idx 206; 13 * 4096 = 53248 = 16 * 3328 -> waste 0 -> 13 pages, 16 objs.
    assert.equal(pagesFor(16, repeat(3320, 16)), 13);
    assert.equal(pagesFor(16, repeat(3320, 17)), 26);
  });

  it("a mixed list, chain 8: 10 pages", () => {
    // 500 + 8 = 508 -> idx 30: 512, 1 page, 8 objects; 20 objects -> 3 pages.
    // 2000 + 8 = 2008 -> idx 124: 2016, waste 64 for 1 page (128, 192, ... for more) -> 1 page,
    //   2 objects; 7 objects -> 4 pages.
    // 3000 + 8 = 3008 -> idx 186: 3008, waste 1088, 2176, 256, 1344, 2432, 512, 1600, 2688 ->
    //   3 pages, 4 objects (merged into 3072, whose 3 pages hold 4 with no waste); 4 objects
    //   -> 3 pages.
    const sizes = [...repeat(500, 20), ...repeat(2000, 7), ...repeat(3000, 4)];
    assert.equal(pagesFor(8, sizes), 3 + 4 + 3);
    // Order does not matter without frees.
    assert.equal(pagesFor(8, [...sizes].reverse()), 10);
  });

  it("the classes file reports the same pages", () => {
    const pool = zsCreatePool("zram0");
    for (const s of repeat(3624, 10)) zsMalloc(pool, s);
    const text = zsStatsText(pool);
    // class 225, size 3632: one zspage full (100%), one at 1 of 9 (ratio 11% -> group 20%);
    // obj_allocated 18, obj_used 10, pages_used 16, pages_per_zspage 8, freeable
    // (18 - 10) / 9 = 0.
    const row = text.split("\n").find((l) => l.startsWith("   225  3632 "));
    assert.ok(row, text);
    const cols = row.trim().split(/\s+/).map(Number);
    assert.deepEqual(cols, [225, 3632, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 18, 10, 16, 8, 0]);
  });
});

// ---------------------------------------------------------------------------------------------
// Random multisets against an independent model of the kernel formulas
// ---------------------------------------------------------------------------------------------

/** The kernel's class arithmetic, written again from scratch for this test. */
function kernelPages(chain: number, sizes: readonly number[]): number {
  const info: { ppz: number; opz: number }[] = [];
  for (let i = 0; i <= 254; i++) {
    const s = Math.min(32 + 16 * i, 4096);
    let best = 1;
    let least = Infinity;
    for (let n = 1; n <= chain; n++) {
      const w = (n * 4096) % s;
      if (w < least) [least, best] = [w, n];
    }
    info.push({ ppz: best, opz: Math.floor((best * 4096) / s) });
  }
  const owner: number[] = new Array(255);
  for (let i = 254; i >= 0; i--) {
    const up = i < 254 ? owner[i + 1]! : -1;
    owner[i] = up >= 0 && info[up]!.ppz === info[i]!.ppz && info[up]!.opz === info[i]!.opz ? up : i;
  }
  const count = new Map<number, number>();
  for (const size of sizes) {
    const idx = Math.min(254, Math.max(0, Math.ceil((size + 8 - 32) / 16)));
    const o = owner[idx]!;
    count.set(o, (count.get(o) ?? 0) + 1);
  }
  let pages = 0;
  for (const [o, n] of count) pages += Math.ceil(n / info[o]!.opz) * info[o]!.ppz;
  return pages;
}

describe("page counts equal the kernel's, random multisets", () => {
  it("matches an independent model of the formulas for chain 4, 8 and 16", () => {
    const size = fc.oneof(
      fc.integer({ min: 1, max: 4096 }),
      fc.integer({ min: 900, max: 3700 }),
      fc.constantFrom(1, 24, 25, 3256, 3257, 3624, 3625, 3832, 3833, 4088, 4089, 4096),
    );
    fc.assert(
      fc.property(fc.constantFrom(4, 8, 16), fc.array(size, { maxLength: 400 }), (chain, sizes) => {
        assert.equal(pagesFor(chain, sizes), kernelPages(chain, sizes));
      }),
      { numRuns: 150 },
    );
  });
});
