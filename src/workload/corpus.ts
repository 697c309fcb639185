/**
 * Page corpora: raw 4 KiB pages of mixed kinds, standing in for the anonymous memory that
 * reclaim hands to zswap. See docs/corpus.md for the kinds, the default mix and the format.
 *
 * A corpus is deterministic for a given seed, mix and size, on every machine and Node version:
 * kinds and contents come from one seeded stream, and text and bin pages are generated
 * (page_gen.ts), not read from files.
 *
 * @example
 * const corpus = generateCorpus({ sizeBytes: parseSize("64M"), seed: 1, mix: DEFAULT_MIX });
 * writeCorpus("/tmp/c.pages", corpus); // and /tmp/c.pages.manifest.json
 * const pages = readCorpus("/tmp/c.pages");
 */
import { constants as bufferConstants } from "node:buffer";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { Rng } from "../sim/rng.ts";
import { fillElfPage, fillTextPage, PAGE_GEN_SOURCES } from "./page_gen.ts";

export const PAGE_SIZE = 4096;

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
    const j = uniformBelow(rng, i + 1);
    const t = kinds[i] as number;
    kinds[i] = kinds[j] as number;
    kinds[j] = t;
  }
  return kinds;
}

/** Uniform in 0..n-1 without modulo bias (n <= 2^32). */
function uniformBelow(rng: Rng, n: number): number {
  const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
  for (let i = 0; i < 64; i++) {
    const x = rng.next32();
    if (x < limit) return x % n;
  }
  return rng.next32() % n; // unreachable in practice: 64 rejections in a row have p < 2^-64
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

// Files

/** What writeCorpus puts next to the pages (`<file>.manifest.json`). */
export interface CorpusManifest {
  readonly format: "zswap-ts-corpus";
  readonly version: 1;
  readonly pageSize: number;
  readonly pages: number;
  readonly sizeBytes: number;
  readonly seed: number;
  readonly mix: CorpusMix;
  readonly counts: KindCounts;
  /** sha256 of the raw pages, hex. */
  readonly sha256: string;
  readonly sources: Corpus["sources"];
  /** One letter per page (t b z s r), in page order. */
  readonly kinds: string;
}

export function manifestOf(corpus: Corpus): CorpusManifest {
  return manifestFor(corpus, createHash("sha256").update(corpus.pages).digest("hex"));
}

/** The manifest of a corpus described by its layout (a Corpus or a CorpusGenerator). */
export function manifestFor(
  c: Pick<Corpus, "kinds" | "seed" | "mix" | "counts" | "sources">,
  sha256: string,
): CorpusManifest {
  const letters = KINDS.map((k) => KIND_LETTERS[k]);
  let kinds = "";
  for (const code of c.kinds) kinds += letters[code];
  return {
    format: "zswap-ts-corpus",
    version: 1,
    pageSize: PAGE_SIZE,
    pages: c.kinds.length,
    sizeBytes: c.kinds.length * PAGE_SIZE,
    seed: c.seed,
    mix: c.mix,
    counts: c.counts,
    sha256,
    sources: c.sources,
    kinds,
  };
}

/** Bytes per write or read call (fs calls move at most 2 GiB at once). */
const CHUNK_BYTES = 64 * 2 ** 20;

/**
 * Writes the raw pages to `path` and the manifest next to it; returns the manifest. Each file
 * is written to a temporary name and renamed, so a reader never sees half a corpus.
 */
export function writeCorpus(
  path: string,
  corpus: Corpus,
  manifestPath = `${path}.manifest.json`,
): CorpusManifest {
  const manifest = manifestOf(corpus);
  writeAtomically(path, (fd) => {
    for (let off = 0; off < corpus.pages.length; ) {
      off += fs.writeSync(fd, corpus.pages, off, Math.min(CHUNK_BYTES, corpus.pages.length - off));
    }
  });
  const json = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  writeAtomically(manifestPath, (fd) => {
    for (let off = 0; off < json.length; ) off += fs.writeSync(fd, json, off, json.length - off);
  });
  return manifest;
}

export function writeAtomically(path: string, write: (fd: number) => void): void {
  checkTarget(path);
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, "w", 0o644);
    write(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new CorpusError(`Cannot write corpus file ${path}: ${describeError(e)}`);
  }
}

/**
 * Reads a corpus's raw pages. The file must exist, be readable and hold a whole number of pages;
 * if a manifest sits next to it, its size must agree.
 */
export function readCorpus(path: string): Uint8Array {
  let size: number;
  try {
    const st = fs.statSync(path);
    if (!st.isFile()) throw new CorpusError(`Cannot read corpus ${path}: it is ${fileKind(st)}`);
    size = st.size;
  } catch (e) {
    if (e instanceof CorpusError) throw e;
    throw new CorpusError(`Cannot read corpus ${path}: ${describeError(e)}`);
  }
  if (size === 0 || size % PAGE_SIZE !== 0) {
    throw new CorpusError(
      `Cannot read corpus ${path}: expected a positive multiple of ${PAGE_SIZE} bytes, got ${size} bytes`,
    );
  }
  if (size > bufferConstants.MAX_LENGTH) {
    throw new CorpusError(
      `Cannot read corpus ${path}: ${size} bytes is more than fits in memory (${bufferConstants.MAX_LENGTH})`,
    );
  }
  checkManifestSize(path, size);
  return readAll(path, size);
}

function readAll(path: string, size: number): Uint8Array {
  const pages = new Uint8Array(size);
  let fd: number | null = null;
  try {
    fd = fs.openSync(path, "r");
    let off = 0;
    for (let i = 0; off < size && i <= size / PAGE_SIZE; i++) {
      const n = fs.readSync(fd, pages, off, Math.min(CHUNK_BYTES, size - off), off);
      if (n === 0) break;
      off += n;
    }
    if (off !== size) {
      throw new CorpusError(`Cannot read corpus ${path}: it shrank to ${off} bytes while read`);
    }
    return pages;
  } catch (e) {
    if (e instanceof CorpusError) throw e;
    throw new CorpusError(`Cannot read corpus ${path}: ${describeError(e)}`);
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

function checkManifestSize(path: string, size: number): void {
  const manifestPath = `${path}.manifest.json`;
  if (!fs.existsSync(manifestPath)) return;
  const m = readManifest(manifestPath);
  if (m.sizeBytes !== size) {
    throw new CorpusError(
      `Cannot read corpus ${path}: it holds ${size} bytes but ${manifestPath} says ${m.sizeBytes}`,
    );
  }
}

/** Reads and checks a manifest written by writeCorpus. */
export function readManifest(manifestPath: string): CorpusManifest {
  let m: Partial<CorpusManifest>;
  try {
    m = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as Partial<CorpusManifest>;
  } catch (e) {
    throw new CorpusError(`Cannot read corpus manifest ${manifestPath}: ${describeError(e)}`);
  }
  if (m?.format !== "zswap-ts-corpus" || m.version !== 1 || typeof m.sizeBytes !== "number") {
    throw new CorpusError(
      `Cannot read corpus manifest ${manifestPath}: expected format "zswap-ts-corpus" version 1`,
    );
  }
  return m as CorpusManifest;
}

/**
 * Refuses a corpus target that exists and is not a regular file: writing goes through a rename,
 * which would replace a device node, FIFO or socket with a regular file.
 */
export function checkTarget(path: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new CorpusError(`Cannot write corpus file ${path}: ${describeError(e)}`);
  }
  if (!st.isFile()) {
    throw new CorpusError(
      `Cannot write corpus file ${path}: it is ${fileKind(st)}; expected a regular file or a new path`,
    );
  }
}

/** "a character device", "a FIFO", ... for messages. */
export function fileKind(st: fs.Stats): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  return st.isSocket() ? "a socket" : "not a regular file";
}

/** "ENOENT: no such file or directory" (Node's message without its ", open '...'" tail). */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.message.replace(/, \w+ '.*'$/, "");
}
