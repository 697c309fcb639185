import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { PAGE_SIZE } from "../kernel/page.ts";
import {
  apportion,
  CorpusError,
  type CorpusMix,
  DEFAULT_MIX,
  formatMix,
  generateCorpus,
  KINDS,
  parseMix,
  parseSeed,
  parseSize,
} from "./corpus.ts";
import { readCorpus, readManifest, writeCorpus } from "./corpus_file.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-corpus-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const page = (pages: Uint8Array, i: number): Uint8Array =>
  pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);

describe("parseMix", () => {
  it("parses weights, with kinds left out as 0", () => {
    assert.deepEqual(parseMix("text=40,bin=30,zero=10,same=5,random=15"), {
      text: 40,
      bin: 30,
      zero: 10,
      same: 5,
      random: 15,
    });
    assert.deepEqual(parseMix(" random = 1 , zero=0.5"), {
      text: 0,
      bin: 0,
      zero: 0.5,
      same: 0,
      random: 1,
    });
    assert.deepEqual(parseMix(formatMix(DEFAULT_MIX)), DEFAULT_MIX);
  });

  it("rejects bad input with one-line messages", () => {
    const bad: Array<[string, RegExp]> = [
      ["", /Cannot parse mix "": expected kind=weight pairs/],
      ["text", /got "text"/],
      [
        "text=40,video=3",
        /unknown page kind "video" \(expected one of text, bin, zero, same, random\)/,
      ],
      ["text=1,text=2", /"text" given twice/],
      ["text=-1", /expected a non-negative number for text, got "-1"/],
      ["text=abc", /got "abc"/],
      ["text=", /got ""/],
      ["text=Infinity", /non-negative number/],
      ["text=0,bin=0", /all weights are 0/],
      ["text=1,,bin=2", /got ""/],
    ];
    for (const [input, message] of bad) {
      assert.throws(
        () => parseMix(input),
        (e: unknown) => {
          assert.ok(e instanceof CorpusError, `"${input}" should throw a CorpusError`);
          assert.match(e.message, message);
          assert.doesNotMatch(e.message, /\n/);
          return true;
        },
      );
    }
  });
});

describe("parseSize and parseSeed", () => {
  it("parses bytes and binary units", () => {
    assert.equal(parseSize("4096"), 4096);
    assert.equal(parseSize("16k"), 16384);
    assert.equal(parseSize("16K"), 16384);
    assert.equal(parseSize("64M"), 64 * 2 ** 20);
    assert.equal(parseSize("64MiB"), 64 * 2 ** 20);
    assert.equal(parseSize("1G"), 2 ** 30);
    assert.equal(parseSize("0.5M"), 2 ** 19);
  });

  it("rejects sizes that are not a positive multiple of 4096", () => {
    for (const s of ["0", "5000", "1k", "4095", "0.3M"]) {
      assert.throws(
        () => parseSize(s),
        /expected a positive multiple of 4096 bytes, got [\d.]+ bytes/,
      );
    }
    for (const s of ["", "abc", "-4096", "64MB", "1e6", "4 096"]) {
      assert.throws(() => parseSize(s), /Cannot parse size .*with an optional K, M, G or T suffix/);
    }
  });

  it("accepts any multiple of 4096 written in bytes (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), (n) => {
        assert.equal(parseSize(String(n * 4096)), n * 4096);
      }),
    );
  });

  it("parses seeds in 0..2^32-1", () => {
    assert.equal(parseSeed("0"), 0);
    assert.equal(parseSeed("4294967295"), 4294967295);
    for (const s of ["-1", "4294967296", "1.5", "x", ""]) {
      assert.throws(() => parseSeed(s), /expected an integer in 0\.\.4294967295/);
    }
  });
});

describe("generateCorpus", () => {
  const sizeBytes = 2 * 2 ** 20; // 512 pages
  const gen = (seed: number, mix: CorpusMix = DEFAULT_MIX) =>
    generateCorpus({ sizeBytes, seed, mix });

  it("is deterministic: the same seed gives the same bytes, another seed other bytes", () => {
    const a = gen(7);
    const b = gen(7);
    assert.equal(sha(a.pages), sha(b.pages));
    assert.deepEqual(a.kinds, b.kinds);
    assert.notEqual(sha(gen(8).pages), sha(a.pages));
    assert.equal(a.pages.length, sizeBytes);
    assert.equal(a.kinds.length, sizeBytes / PAGE_SIZE);
  });

  it("splits pages exactly by the mix (largest remainder)", () => {
    const c = gen(1);
    const n = sizeBytes / PAGE_SIZE;
    const total = KINDS.reduce((s, k) => s + DEFAULT_MIX[k], 0);
    for (const k of KINDS) {
      assert.ok(Math.abs(c.counts[k] - (n * DEFAULT_MIX[k]) / total) < 1, `${k}: ${c.counts[k]}`);
      assert.equal(
        c.kinds.filter((code) => code === KINDS.indexOf(k)).length,
        c.counts[k],
        `kinds agree with counts for ${k}`,
      );
    }
    fc.assert(
      fc.property(
        fc.record({
          text: fc.nat(100),
          bin: fc.nat(100),
          zero: fc.nat(100),
          same: fc.nat(100),
          random: fc.integer({ min: 1, max: 100 }),
        }),
        fc.integer({ min: 1, max: 100_000 }),
        (mix, pages) => {
          const counts = apportion(mix, pages);
          const sum = KINDS.reduce((s, k) => s + counts[k], 0);
          assert.equal(sum, pages);
          const total = KINDS.reduce((s, k) => s + mix[k], 0);
          for (const k of KINDS) assert.ok(Math.abs(counts[k] - (pages * mix[k]) / total) < 1);
        },
      ),
    );
  });

  it("makes zero pages zero, same pages one repeated non-zero word, random pages incompressible", () => {
    const c = gen(3);
    const code = (k: (typeof KINDS)[number]) => KINDS.indexOf(k);
    let checked = 0;
    c.kinds.forEach((kind, i) => {
      const p = page(c.pages, i);
      if (kind === code("zero"))
        assert.ok(
          p.every((b) => b === 0),
          `page ${i} is zero`,
        );
      if (kind === code("same")) {
        const words = new BigUint64Array(p.buffer, p.byteOffset, PAGE_SIZE / 8);
        assert.notEqual(words[0], 0n);
        assert.ok(
          words.every((w) => w === words[0]),
          `page ${i} is same-filled`,
        );
      }
      if (kind === code("random")) assert.ok(new Set(p).size > 200, `page ${i} looks random`);
      if (kind === code("text")) {
        const printable = p.filter((b) => b === 9 || b === 10 || (b >= 32 && b < 127)).length;
        assert.ok(printable > PAGE_SIZE * 0.9, `text page ${i}: ${printable} printable bytes`);
      }
      checked++;
    });
    assert.equal(checked, sizeBytes / PAGE_SIZE);
  });

  it("reports progress, and validates its options", () => {
    const seen: number[] = [];
    generateCorpus({
      sizeBytes: 2048 * PAGE_SIZE,
      seed: 1,
      mix: { text: 0, bin: 0, zero: 1, same: 1, random: 0 },
      onProgress: (done, total) => {
        assert.equal(total, 2048);
        seen.push(done);
      },
    });
    assert.deepEqual(seen, [1024, 2048]);
    const mix = DEFAULT_MIX;
    assert.throws(() => generateCorpus({ sizeBytes: 5000, seed: 1, mix }), CorpusError);
    assert.throws(() => generateCorpus({ sizeBytes: 4096, seed: -1, mix }), /seed -1/);
    assert.throws(
      () => generateCorpus({ sizeBytes: 4096, seed: 1, mix: { ...mix, text: Number.NaN } }),
      /non-negative weight for text/,
    );
  });
});

describe("writeCorpus and readCorpus", () => {
  it("round-trips pages and writes a manifest", () => {
    const c = generateCorpus({
      sizeBytes: 64 * PAGE_SIZE,
      seed: 9,
      mix: DEFAULT_MIX,
    });
    const path = join(scratch, "c.pages");
    const manifest = writeCorpus(path, c);
    assert.deepEqual(readCorpus(path), c.pages);
    const m = readManifest(`${path}.manifest.json`);
    assert.deepEqual(m, JSON.parse(JSON.stringify(manifest)));
    assert.equal(m.sha256, sha(c.pages));
    assert.equal(m.pages, 64);
    assert.equal(m.seed, 9);
    assert.deepEqual(m.counts, c.counts);
    assert.equal(m.kinds.length, 64);
    assert.match(m.kinds, /^[tbzsr]+$/);
    assert.deepEqual(
      fs.readdirSync(scratch).filter((f) => f.includes(".tmp-")),
      [],
    );
  });

  it("rejects missing, unreadable, directory and badly sized files with one-line CorpusErrors", () => {
    const check = (path: string, message: RegExp) =>
      assert.throws(
        () => readCorpus(path),
        (e: unknown) => {
          assert.ok(e instanceof CorpusError);
          assert.match(e.message, message);
          assert.doesNotMatch(e.message, /\n/);
          return true;
        },
      );
    check(
      join(scratch, "missing"),
      /^Cannot read corpus .*missing: ENOENT: no such file or directory$/,
    );
    check(scratch, /it is a directory/);
    const odd = join(scratch, "odd.pages");
    fs.writeFileSync(odd, new Uint8Array(5000));
    check(odd, /expected a positive multiple of 4096 bytes, got 5000 bytes/);
    const empty = join(scratch, "empty.pages");
    fs.writeFileSync(empty, "");
    check(empty, /got 0 bytes/);
    const stale = join(scratch, "stale.pages");
    writeCorpus(stale, generateCorpus({ sizeBytes: 2 * PAGE_SIZE, seed: 1, mix: DEFAULT_MIX }));
    fs.writeFileSync(stale, new Uint8Array(PAGE_SIZE));
    check(stale, /holds 4096 bytes but .*manifest.json says 8192/);
    if (process.getuid?.() !== 0) {
      const locked = join(scratch, "locked.pages");
      fs.writeFileSync(locked, new Uint8Array(PAGE_SIZE));
      fs.chmodSync(locked, 0o000);
      check(locked, /EACCES: permission denied/);
    }
    assert.throws(
      () =>
        writeCorpus(
          "/nonexistent/dir/c.pages",
          generateCorpus({ sizeBytes: PAGE_SIZE, seed: 1, mix: DEFAULT_MIX }),
        ),
      /^CorpusError: Cannot write corpus file \/nonexistent\/dir\/c.pages: ENOENT/,
    );
  });
});
