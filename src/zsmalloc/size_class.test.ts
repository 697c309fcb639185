/**
 * The class table against the kernel's own numbers: Documentation/mm/zsmalloc.rst (v6.3+), the
 * commit messages of the chain-size series (Sergey Senozhatsky, Jan 2023), and arithmetic done
 * by hand from calculate_zspage_chain_size(). Expected values are literals, never computed by
 * the code under test.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildSizeClassTable,
  getSizeClassIndex,
  ZS_SIZE_CLASS_DELTA,
  zsMinAllocSize,
  zsSizeClasses,
} from "./size_class.ts";

describe("constants", () => {
  it("4 KiB pages: delta 16 (PAGE_SIZE >> CLASS_BITS 8), min 32, 255 classes", () => {
    assert.equal(ZS_SIZE_CLASS_DELTA, 16);
    for (const chain of [4, 8, 16]) {
      // MAX(32, chain << 12 >> 24) = MAX(32, 0) on x86_64 (OBJ_INDEX_BITS = 64 - (52 - 12) = 24).
      assert.equal(zsMinAllocSize(chain), 32);
    }
    // DIV_ROUND_UP(4096 - 32, 16) + 1 = 254 + 1.
    assert.equal(zsSizeClasses(32), 255);
  });

  it("get_size_class_index() rounds up by 16 and clamps to the last class", () => {
    const cases: [number, number][] = [
      [1, 0],
      [32, 0],
      [33, 1],
      [48, 1],
      [49, 2],
      [1008, 61],
      [4096, 254],
      [4104, 254], // 4096 + ZS_HANDLE_SIZE: DIV_ROUND_UP(4072, 16) = 255, clamped
    ];
    for (const [size, idx] of cases)
      assert.equal(getSizeClassIndex(size, 32, 255), idx, `size ${size}`);
  });

  it("rejects chain sizes outside CONFIG_ZSMALLOC_CHAIN_SIZE's range", () => {
    assert.throws(
      () => buildSizeClassTable(3),
      /expected chainSize 4\.\.16 \(CONFIG_ZSMALLOC_CHAIN_SIZE\), got 3/,
    );
    assert.throws(() => buildSizeClassTable(17), /got 17/);
    assert.throws(() => buildSizeClassTable(8.5), /got 8\.5/);
  });
});

describe("clusters and huge watermark", () => {
  // Documentation/mm/zsmalloc.rst, "Overall the combined zspage chain size effect": pages per
  // zspage -> number of size classes (clusters), huge size class watermark. These numbers
  // reproduce exactly with the pre-v6.3 rule (get_pages_per_zspage(), first chain reaching the
  // best integer used%), not with calculate_zspage_chain_size(): the documentation was not
  // regenerated when the rule changed.
  const doc: [number, number, number][] = [
    [4, 69, 3264],
    [5, 86, 3408],
    [6, 93, 3504],
    [7, 112, 3584],
    [8, 123, 3632],
    [9, 140, 3680],
    [10, 143, 3712],
    [11, 159, 3744],
    [12, 164, 3776],
    [13, 180, 3792],
    [14, 183, 3808],
    [15, 188, 3840],
    [16, 191, 3840],
  ];

  it("used-percent rule reproduces the documentation's table for chain sizes 4..16", () => {
    for (const [chain, clusters, watermark] of doc) {
      const t = buildSizeClassTable(chain, "used-percent");
      assert.equal(t.classes.length, clusters, `chain ${chain}`);
      assert.equal(t.hugeClassSize, watermark - 7, `chain ${chain}`);
    }
  });

  it("min-waste rule (the kernel since v6.3): 69 / 119 / 192 clusters for chain 4 / 8 / 16", () => {
    // Counted by an independent script walking calculate_zspage_chain_size() and can_merge()
    // from class 254 down; the watermarks are the documentation's (both rules agree there).
    const expected: [number, number, number][] = [
      [4, 69, 3264],
      [8, 119, 3632],
      [16, 192, 3840],
    ];
    for (const [chain, clusters, watermark] of expected) {
      const t = buildSizeClassTable(chain);
      assert.equal(t.classes.length, clusters, `chain ${chain}`);
      // zs_huge_class_size() = watermark - (ZS_HANDLE_SIZE - 1)
      assert.equal(t.hugeClassSize, watermark - 7, `chain ${chain}`);
    }
  });

  it("every class above the watermark is huge and merged into class 254 (4096)", () => {
    for (const [chain, top] of [
      [4, 202],
      [8, 225],
      [16, 238],
    ] as const) {
      const t = buildSizeClassTable(chain);
      assert.equal(t.huge[top], 0);
      for (let i = top + 1; i <= 254; i++) {
        assert.equal(t.classOf[i], 254, `chain ${chain} index ${i}`);
        assert.equal(t.huge[i], 1);
      }
      assert.equal(t.size[254], 4096);
      assert.equal(t.pagesPerZspage[254], 1);
      assert.equal(t.objsPerZspage[254], 1);
    }
  });
});

describe("pages_per_zspage of specific classes", () => {
  it("class 208 (index 11): 3 pages with min-waste, 2 with used-percent (commit message)", () => {
    // waste 1: 4096 % 208 = 144, 2: 8192 % 208 = 80, 3: 12288 % 208 = 16, 4: 16384 % 208 = 160;
    // used% 96, 99, 99, 99: the old rule stops at the first 99 (2 pages).
    const idx = (208 - 32) / 16;
    const minWaste = buildSizeClassTable(4);
    assert.equal(minWaste.size[idx], 208);
    assert.equal(minWaste.pagesPerZspage[idx], 3);
    assert.equal(minWaste.objsPerZspage[idx], 59); // 12288 / 208 = 59.07
    assert.equal(buildSizeClassTable(4, "used-percent").pagesPerZspage[idx], 2);
  });

  it("chain 4: classes 95..99 merge into class 100 (1632, 2 pages, 5 objects); 94 is 1536 x 3 pages", () => {
    // Documentation example. 1632: 8192 % 1632 = 32 (best); 1568: 8192 % 1568 = 352 (best of
    // 960, 352, 1312, 704), 8192 / 1568 = 5 objects: same (2, 5) as class 100.
    const t = buildSizeClassTable(4);
    for (let i = 95; i <= 100; i++) assert.equal(t.classOf[i], 100, `index ${i}`);
    assert.equal(t.size[100], 1632);
    assert.equal(t.pagesPerZspage[100], 2);
    assert.equal(t.objsPerZspage[100], 5);
    assert.equal(t.classOf[94], 94);
    assert.equal(t.size[94], 1536);
    assert.equal(t.pagesPerZspage[94], 3); // 12288 % 1536 = 0
  });

  it("chain 8: class 96 (1568) stands alone with 5 pages and 13 objects", () => {
    // 20480 % 1568 = 96, the smallest waste for 1..8 pages; 20480 / 1568 = 13.06.
    const t = buildSizeClassTable(8);
    assert.equal(t.classOf[96], 96);
    assert.equal(t.pagesPerZspage[96], 5);
    assert.equal(t.objsPerZspage[96], 13);
  });

  it("chain 8 tail from the documentation: 202/4, 211/5, 217/6, 222/7, 225/8, 254/1", () => {
    const t = buildSizeClassTable(8);
    for (const [idx, size, ppz] of [
      [202, 3264, 4],
      [211, 3408, 5],
      [217, 3504, 6],
      [222, 3584, 7],
      [225, 3632, 8],
      [254, 4096, 1],
    ] as const) {
      assert.equal(t.classOf[idx], idx, `index ${idx} is a real class`);
      assert.equal(t.size[idx], size);
      assert.equal(t.pagesPerZspage[idx], ppz, `index ${idx}`);
    }
  });

  it("chain 16 tail from the documentation (212 differs between the rules)", () => {
    const listed: [number, number][] = [
      [202, 4],
      [206, 13],
      [207, 9],
      [208, 14],
      [211, 5],
      [214, 11],
      [217, 6],
      [219, 13],
      [222, 7],
      [223, 15],
      [225, 8],
      [228, 9],
      [230, 10],
      [232, 11],
      [234, 12],
      [235, 13],
      [236, 14],
      [238, 15],
      [254, 1],
    ];
    for (const rule of ["min-waste", "used-percent"] as const) {
      const t = buildSizeClassTable(16, rule);
      for (const [idx, ppz] of listed) {
        assert.equal(t.classOf[idx], idx, `${rule}: index ${idx} is a real class`);
        assert.equal(t.pagesPerZspage[idx], ppz, `${rule}: index ${idx}`);
      }
    }
    // 212 (3424): 16 pages hold 19 (waste 480, used 99%); 11 pages hold 13 (waste 544, 98%).
    // 213 (3440): 16 pages hold 19 (waste 176, 99%) but 11 pages hold 13 (waste 336, 99%).
    // min-waste gives both (16, 19) -> 212 merges into 213; used-percent gives 213 (11, 13),
    // which merges into 214 (3456: 11 pages, waste 128) and leaves 212 alone, as documented.
    const minWaste = buildSizeClassTable(16);
    assert.equal(minWaste.classOf[212], 213);
    assert.equal(minWaste.pagesPerZspage[213], 16);
    assert.equal(minWaste.objsPerZspage[213], 19);
    const usedPc = buildSizeClassTable(16, "used-percent");
    assert.equal(usedPc.classOf[212], 212);
    assert.equal(usedPc.pagesPerZspage[212], 16);
    assert.equal(usedPc.classOf[213], 214);
  });

  it("power-of-two classes use one page; request sizes map through the handle", () => {
    const t = buildSizeClassTable(8);
    for (const size of [32, 64, 128, 256, 512, 1024, 2048, 4096]) {
      assert.equal(t.pagesPerZspage[(size - 32) / 16], 1, `size ${size}`);
    }
    // A request of n bytes needs n + 8: 24 -> 32 (index 0), 25 -> 33 (index 1, 48 bytes).
    assert.equal(t.classOfRequest[24], 0);
    assert.equal(t.classOfRequest[25], t.classOf[1]);
    // 3624 + 8 = 3632 is the biggest non-huge class; 3625 is the first huge request.
    assert.equal(t.classOfRequest[3624], 225);
    assert.equal(t.classOfRequest[3625], 254);
    assert.equal(t.classOfRequest[4096], 254);
  });
});
