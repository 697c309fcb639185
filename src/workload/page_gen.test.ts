import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { deflateRawSync } from "node:zlib";
import { PAGE_SIZE } from "../kernel/page.ts";
import { Rng } from "../util/rng.ts";
import { DEFAULT_MIX, generateCorpus } from "./corpus.ts";
import { fillCSource, fillElfPage, fillProse, fillTextPage } from "./page_gen.ts";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** Mean deflate ratio of `n` pages from `fill` (zlib is always there, unlike lz4 and zstd). */
function deflateRatio(fill: (rng: Rng, dst: Uint8Array) => void, n: number): number {
  const rng = new Rng(11);
  const p = new Uint8Array(PAGE_SIZE);
  let out = 0;
  for (let i = 0; i < n; i++) {
    fill(rng, p);
    out += Math.min(PAGE_SIZE, deflateRawSync(p).length);
  }
  return (n * PAGE_SIZE) / out;
}

describe("generated pages", () => {
  // The digest of the default corpus, pinned: a change here changes every published figure,
  // so it must come with a PAGE_GEN_VERSION bump and re-measured docs (docs/corpus.md).
  it("pins the default corpus: seed 1, default mix, 16 MiB", () => {
    const c = generateCorpus({ sizeBytes: 16 * 2 ** 20, seed: 1, mix: DEFAULT_MIX });
    assert.equal(sha(c.pages), "af06be28024708eb7b27065eee5286071e727040ddd6ec3651af34f558c08465");
  });

  it("gives the same bytes for the same seed and other bytes for another", () => {
    for (const fill of [fillProse, fillCSource, fillTextPage, fillElfPage]) {
      const x = new Uint8Array(PAGE_SIZE);
      const y = new Uint8Array(PAGE_SIZE);
      const z = new Uint8Array(PAGE_SIZE);
      fill(new Rng(5), x);
      fill(new Rng(5), y);
      fill(new Rng(6), z);
      assert.deepEqual(x, y, fill.name);
      assert.notDeepEqual(x, z, fill.name);
    }
  });

  it("writes printable text, prose in lines of at most 72 characters", () => {
    const rng = new Rng(2);
    const p = new Uint8Array(PAGE_SIZE);
    for (let i = 0; i < 50; i++) {
      fillTextPage(rng, p);
      assert.ok(
        p.every((b) => b === 9 || b === 10 || (b >= 32 && b < 127)),
        `page ${i}`,
      );
      fillProse(rng, p);
      const lines = new TextDecoder().decode(p).split("\n");
      assert.ok(
        lines.every((l) => l.length <= 72 + 40),
        `prose page ${i}`,
      );
    }
  });

  // Bands around the real files' deflate ratios (docs/corpus.md): text compresses better than
  // binary, and neither is near incompressible nor near trivial.
  it("compresses like the files it stands in for", () => {
    const text = deflateRatio(fillTextPage, 200);
    const bin = deflateRatio(fillElfPage, 200);
    assert.ok(text > 2.4 && text < 3.6, `text deflate ratio ${text}`);
    assert.ok(bin > 1.7 && bin < 2.6, `bin deflate ratio ${bin}`);
    assert.ok(text > bin);
  });
});
