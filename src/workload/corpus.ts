/**
 * Page corpora: raw 4 KiB pages of mixed kinds, standing in for the anonymous memory that
 * reclaim hands to zswap. See docs/corpus.md for the kinds, the default mix and the format.
 *
 * A corpus is deterministic for a given seed, mix and size, on every machine and Node version:
 * kinds and contents come from one seeded stream, and text and bin pages are generated
 * (page_gen.ts), not read from files.
 *
 * The files (pages and manifest) are corpus_file.ts's.
 *
 * @example
 * const corpus = generateCorpus({ sizeBytes: parseSize("64M"), seed: 1, mix: DEFAULT_MIX });
 * writeCorpus("/tmp/c.pages", corpus); // corpus_file.ts; and /tmp/c.pages.manifest.json
 */
import { constants as bufferConstants } from "node:buffer";
import { PAGE_SIZE } from "../kernel/page.ts";
import { Rng } from "../util/rng.ts";
import { fillElfPage, fillTextPage, PAGE_GEN_SOURCES } from "./page_gen.ts";

/** Page kinds, in code order: `kinds[i]` of a corpus is an index into this list. */
export const KINDS = ["text", "bin", "zero", "same", "random"] as const;
export type PageKind = (typeof KINDS)[number];

/** One letter per kind, for the manifest's per-page `kinds` string. */
export const KIND_LETTERS: Record<PageKind, string> = {
  text: "t",
  bin: "b",
  zero: "z",
  same: "s",
  random: "r",
};

/** Relative weights of the page kinds (any non-negative numbers, not all zero). */
export interface CorpusMix {
  text: number;
  bin: number;
  zero: number;
  same: number;
  random: number;
}

/**
 * Default mix for anonymous memory (reasons in docs/corpus.md): mostly compressible text and
 * binary data; 15% same-filled pages, nearly all zero (10-20% of zswap's pages are same-filled,
 * and under 1% of those are non-zero, on Meta's fleet); 15% incompressible pages, so that
 * reject_compress_poor and the incompressible paths are exercised.
 */
export const DEFAULT_MIX: CorpusMix = { text: 35, bin: 35, zero: 12, same: 3, random: 15 };

/** Bad corpus input (mix, size, seed) or an unreadable/unwritable corpus file; one line. */
export class CorpusError extends Error {
  override name = "CorpusError";
}

/** Seeds are 32-bit: the Rng folds larger seeds into 32 bits, so they would collide. */
export const SEED_MAX = 0xffff_ffff;

// Parsing

/** Parses "text=40,bin=30,zero=10,same=5,random=15"; kinds left out weigh 0. */
export function parseMix(s: string): CorpusMix {
  const mix: CorpusMix = { text: 0, bin: 0, zero: 0, same: 0, random: 0 };
  const seen = new Set<string>();
  const expected = `expected kind=weight pairs like "${formatMix(DEFAULT_MIX)}"`;
  if (s.trim() === "") throw new CorpusError(`Cannot parse mix "": ${expected}`);
  for (const part of s.split(",")) {
    const m = /^\s*([a-z]+)\s*=\s*([^\s]*)\s*$/.exec(part);
    if (m === null) throw new CorpusError(`Cannot parse mix "${s}": ${expected}, got "${part}"`);
    const [, name, weightText] = m as unknown as [string, string, string];
    if (!(KINDS as readonly string[]).includes(name)) {
      throw new CorpusError(
        `Cannot parse mix "${s}": unknown page kind "${name}" (expected one of ${KINDS.join(", ")})`,
      );
    }
    if (seen.has(name)) throw new CorpusError(`Cannot parse mix "${s}": "${name}" given twice`);
    seen.add(name);
    const weight = Number(weightText);
    if (weightText === "" || !Number.isFinite(weight) || weight < 0) {
      throw new CorpusError(
        `Cannot parse mix "${s}": expected a non-negative number for ${name}, got "${weightText}"`,
      );
    }
    mix[name as PageKind] = weight;
  }
  if (KINDS.every((k) => mix[k] === 0)) {
    throw new CorpusError(`Cannot parse mix "${s}": all weights are 0`);
  }
  return mix;
}

export function formatMix(mix: CorpusMix): string {
  return KINDS.map((k) => `${k}=${mix[k]}`).join(",");
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** Parses "4096", "16k", "64M", "1G", "2GiB" (binary units) into a positive multiple of 4096. */
export function parseSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kKmMgGtT])(?:iB)?)?\s*$/.exec(s);
  if (m === null) {
    throw new CorpusError(
      `Cannot parse size "${s}": expected a number of bytes with an optional K, M, G or T suffix, like "64M"`,
    );
  }
  const bytes = Number(m[1]) * (SIZE_UNITS[(m[2] ?? "").toLowerCase()] as number);
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % PAGE_SIZE !== 0) {
    throw new CorpusError(
      `Cannot use size "${s}": expected a positive multiple of ${PAGE_SIZE} bytes, got ${bytes} bytes`,
    );
  }
  return bytes;
}

/** Parses a seed: an integer in 0..2^32-1. */
export function parseSeed(s: string): number {
  const n = /^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > SEED_MAX) {
    throw new CorpusError(`Cannot use seed "${s}": expected an integer in 0..${SEED_MAX}`);
  }
  return n;
}

// Generation

export type KindCounts = Record<PageKind, number>;

/** What made the text and bin pages (the generator and its version), for the manifest. */
export interface CorpusSources {
  readonly text: string;
  readonly bin: string;
}

export interface Corpus {
  /** sizeBytes of raw pages. */
  readonly pages: Uint8Array;
  /** One code per page, an index into KINDS. */
  readonly kinds: Uint8Array;
  readonly counts: KindCounts;
  readonly seed: number;
  readonly mix: CorpusMix;
  readonly sources: CorpusSources;
}

export interface GenerateOptions {
  readonly sizeBytes: number;
  readonly seed: number;
  readonly mix: CorpusMix;
  /** Called every PROGRESS_PAGES pages and at the end, with pages done and total. */
  readonly onProgress?: (done: number, total: number) => void;
}

const PROGRESS_PAGES = 1024;

/** Generates a corpus in memory (the whole corpus is one buffer); see CorpusGenerator. */
export function generateCorpus(opts: GenerateOptions): Corpus {
  const g = new CorpusGenerator(opts);
  if (opts.sizeBytes > bufferConstants.MAX_LENGTH) {
    throw new CorpusError(
      `Cannot generate a corpus of ${opts.sizeBytes} bytes: it is built in memory, at most ${bufferConstants.MAX_LENGTH} bytes`,
    );
  }
  const pages = new Uint8Array(opts.sizeBytes);
  // In chunks, for the progress callback; the bytes are the same whatever the chunking.
  for (let done = 0; done < g.nrPages; ) {
    const n = Math.min(PROGRESS_PAGES, g.nrPages - done);
    g.fill(pages.subarray(done * PAGE_SIZE, (done + n) * PAGE_SIZE));
    done += n;
    opts.onProgress?.(done, g.nrPages);
  }
  return { pages, kinds: g.kinds, counts: g.counts, seed: g.seed, mix: g.mix, sources: g.sources };
}

/**
 * Generates a corpus a chunk at a time, in page order, so that a corpus of any size needs only
 * its chunk buffer (and one byte per page for the kinds). The pages are those generateCorpus
 * makes: one seeded stream, first the layout of kinds, then the contents, page by page.
 *
 * @example
 * const g = new CorpusGenerator({ sizeBytes: 2 ** 30, seed: 1, mix: DEFAULT_MIX });
 * const chunk = new Uint8Array(256 * PAGE_SIZE);
 * for (let n = g.fill(chunk); n > 0; n = g.fill(chunk)) use(chunk.subarray(0, n * PAGE_SIZE));
 */
export class CorpusGenerator {
  readonly nrPages: number;
  readonly seed: number;
  readonly mix: CorpusMix;
  readonly counts: KindCounts;
  /** One code per page, an index into KINDS. */
  readonly kinds: Uint8Array;
  readonly sources: Corpus["sources"];
  /** Pages generated so far. */
  private next = 0;
  private readonly rng: Rng;

  constructor(opts: Omit<GenerateOptions, "onProgress">) {
    checkGenerateOptions(opts);
    this.seed = opts.seed;
    this.mix = opts.mix;
    this.nrPages = opts.sizeBytes / PAGE_SIZE;
    this.counts = apportion(opts.mix, this.nrPages);
    this.rng = new Rng(opts.seed);
    this.kinds = layoutKinds(this.counts, this.nrPages, this.rng);
    this.sources = PAGE_GEN_SOURCES;
  }

  /** Pages not yet generated. */
  get left(): number {
    return this.nrPages - this.next;
  }

  /** Fills `buf` (a multiple of 4096 bytes) with the next pages; returns how many (0 at the end). */
  fill(buf: Uint8Array): number {
    const n = Math.min(Math.floor(buf.length / PAGE_SIZE), this.left);
    if (buf.byteOffset % 4 !== 0) throw new RangeError("CorpusGenerator.fill: unaligned buffer");
    const words = new Uint32Array(buf.buffer, buf.byteOffset, (n * PAGE_SIZE) / 4);
    const rng = this.rng;
    for (let j = 0; j < n; j++) {
      const page = buf.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE);
      const w0 = (j * PAGE_SIZE) / 4;
      switch (this.kinds[this.next + j] as number) {
        case 0: // text
          fillTextPage(rng, page);
          break;
        case 1: // bin
          fillElfPage(rng, page);
          break;
        case 2: // zero
          page.fill(0);
          break;
        case 3: // same: one non-zero 8-byte word, repeated
          fillSame(rng, words, w0);
          break;
        case 4: // random: incompressible
          for (let w = w0; w < w0 + PAGE_SIZE / 4; w++) words[w] = rng.next32();
          break;
      }
    }
    this.next += n;
    return n;
  }
}

function checkGenerateOptions(opts: GenerateOptions): void {
  const { sizeBytes, seed, mix } = opts;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % PAGE_SIZE !== 0) {
    throw new CorpusError(
      `Cannot generate a corpus of ${sizeBytes} bytes: expected a positive multiple of ${PAGE_SIZE}`,
    );
  }
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > SEED_MAX) {
    throw new CorpusError(`Cannot use seed ${seed}: expected an integer in 0..${SEED_MAX}`);
  }
  for (const k of KINDS) {
    if (!Number.isFinite(mix[k]) || mix[k] < 0) {
      throw new CorpusError(
        `Cannot use mix: expected a non-negative weight for ${k}, got ${mix[k]}`,
      );
    }
  }
  if (KINDS.every((k) => mix[k] === 0)) throw new CorpusError("Cannot use mix: all weights are 0");
}

/** Splits `nrPages` by the mix's weights, exactly (largest remainder, ties in KINDS order). */
export function apportion(mix: CorpusMix, nrPages: number): KindCounts {
  const total = KINDS.reduce((s, k) => s + mix[k], 0);
  const counts = { text: 0, bin: 0, zero: 0, same: 0, random: 0 };
  const rest: Array<{ k: PageKind; frac: number }> = [];
  let given = 0;
  for (const k of KINDS) {
    const exact = (mix[k] / total) * nrPages;
    counts[k] = Math.floor(exact);
    given += counts[k];
    rest.push({ k, frac: exact - counts[k] });
  }
  rest.sort((a, b) => b.frac - a.frac || KINDS.indexOf(a.k) - KINDS.indexOf(b.k));
  for (let i = 0; given < nrPages; i++, given++)
    counts[(rest[i % rest.length] as { k: PageKind }).k]++;
  return counts;
}

/** Kind codes in a seeded random order (Fisher-Yates), with exactly `counts` of each. */
function layoutKinds(counts: KindCounts, nrPages: number, rng: Rng): Uint8Array {
  const kinds = new Uint8Array(nrPages);
  let at = 0;
  KINDS.forEach((k, code) => {
    kinds.fill(code, at, at + counts[k]);
    at += counts[k];
  });
  for (let i = nrPages - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = kinds[i] as number;
    kinds[i] = kinds[j] as number;
    kinds[j] = t;
  }
  return kinds;
}

function fillSame(rng: Rng, words: Uint32Array, w0: number): void {
  let lo = rng.next32();
  const hi = rng.next32();
  if (lo === 0 && hi === 0) lo = 1; // a zero word would make a zero page, another kind
  for (let w = w0; w < w0 + PAGE_SIZE / 4; w += 2) {
    words[w] = lo;
    words[w + 1] = hi;
  }
}
