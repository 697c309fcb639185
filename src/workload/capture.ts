/**
 * Captured corpora: the anonymous memory of a real process (a live one, capture_pid.ts, or an
 * ELF core dump, capture_core.ts), written in the corpus format of corpus.ts with a manifest
 * that says where each page came from. See docs/corpus.md ("Capturing a process").
 *
 * @example
 * const c = capturePid(1234, { maxSizeBytes: parseSize("256M") });
 * writeCapture("/tmp/p.pages", c); // and /tmp/p.pages.manifest.json
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { PAGE_SIZE } from "../kernel/page.ts";
import { CorpusError } from "./corpus.ts";
import { writeAtomically } from "./corpus_file.ts";

/** A capture that cannot be made: no such process, no permission, not a core file. One line. */
export class CaptureError extends CorpusError {
  override name = "CaptureError";
}

/**
 * Content classes of captured pages, one letter each in the manifest's `kinds`. A capture
 * cannot tell text from binary data, so everything that is neither zero nor same-filled is
 * `data`. `z` and `s` are the letters generated corpora use for the same classes.
 */
export const CAPTURE_KIND_LETTERS = { zero: "z", same: "s", data: "a" } as const;
export type CaptureKind = keyof typeof CAPTURE_KIND_LETTERS;

/** One mapping (or core segment) that contributed pages. Addresses are hex strings. */
export interface CaptureMapping {
  readonly start: string;
  readonly end: string;
  readonly perms: string;
  /** The mapped file, `[heap]`, `[stack]`, or "" for anonymous memory. */
  readonly path: string;
  /** Pages eligible: resident private anonymous or swapped (pid); in the file (core). */
  readonly eligiblePages: number;
  /** Pages in the corpus, after sampling and dropping zero pages. */
  readonly capturedPages: number;
}

export interface CapturePageCounts {
  readonly eligible: number;
  /** Of the eligible pages (pid only; a core does not say). */
  readonly resident: number | null;
  readonly swapped: number | null;
  /** Left out by --max-size sampling. */
  readonly sampledOut: number;
  /** Dropped as the shared zero page (pid) or all-zero pages (core, see capture_core.ts). */
  readonly zeroPageDropped: number;
  /** Could not be read (the process unmapped them meanwhile). */
  readonly unreadable: number;
  readonly captured: number;
}

export interface CaptureInfo {
  readonly source: "pid" | "core";
  readonly pid: number | null;
  /** The process name (comm), "" if unknown. */
  readonly comm: string;
  readonly cmdline: string;
  /** The core file, for source "core". */
  readonly file: string | null;
  readonly maxSizeBytes: number | null;
  readonly pages: CapturePageCounts;
  readonly mappings: readonly CaptureMapping[];
}

export interface Capture {
  readonly pages: Uint8Array;
  readonly info: CaptureInfo;
}

/** The manifest of a captured corpus: readManifest() accepts it (same format and version). */
export interface CaptureManifest {
  readonly format: "zswap-ts-corpus";
  readonly version: 1;
  readonly pageSize: number;
  readonly pages: number;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** Captured corpora have no seed and no mix. */
  readonly seed: null;
  readonly mix: null;
  readonly counts: Record<CaptureKind, number>;
  readonly capture: CaptureInfo;
  /** One letter per page: z zero-filled, s same-filled, a other data. */
  readonly kinds: string;
}

// ---------------------------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------------------------

/** Pages per sampled run: 64 KiB, so neighbouring pages (one object's) stay together. */
export const SAMPLE_RUN_PAGES = 16;

/**
 * Chooses at most `maxPages` of `nrPages` indices as evenly spaced runs of up to
 * SAMPLE_RUN_PAGES consecutive indices; all of them when they fit. Returns sorted,
 * distinct indices.
 */
export function sampleRuns(nrPages: number, maxPages: number): number[] {
  if (nrPages <= maxPages) return Array.from({ length: nrPages }, (_, i) => i);
  const runs = Math.ceil(maxPages / SAMPLE_RUN_PAGES);
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = Math.floor((r * nrPages) / runs);
    const nextStart = Math.floor(((r + 1) * nrPages) / runs);
    const want = Math.floor(((r + 1) * maxPages) / runs) - Math.floor((r * maxPages) / runs);
    for (let i = start; i < Math.min(start + want, nextStart); i++) out.push(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

export function isZeroPage(page: Uint8Array): boolean {
  const words = new BigUint64Array(page.buffer, page.byteOffset, PAGE_SIZE / 8);
  for (const w of words) if (w !== 0n) return false;
  return true;
}

function isSameFilled(page: Uint8Array): boolean {
  const words = new BigUint64Array(page.buffer, page.byteOffset, PAGE_SIZE / 8);
  const first = words[0];
  for (const w of words) if (w !== first) return false;
  return true;
}

/** Same-filled as zswap and the swap layer see it: one 8-byte word repeated. */
export function captureKindOf(page: Uint8Array): CaptureKind {
  if (!isSameFilled(page)) return "data";
  return isZeroPage(page) ? "zero" : "same";
}

/** Accumulates captured pages into one buffer (its final size is known up front). */
export class PageSink {
  readonly pages: Uint8Array;
  count = 0;

  constructor(maxPages: number) {
    this.pages = new Uint8Array(maxPages * PAGE_SIZE);
  }

  push(page: Uint8Array): void {
    this.pages.set(page, this.count * PAGE_SIZE);
    this.count++;
  }

  /** The pages pushed (a view, no copy). */
  result(): Uint8Array {
    return this.pages.subarray(0, this.count * PAGE_SIZE);
  }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

export function captureManifestOf(c: Capture): CaptureManifest {
  const counts: Record<CaptureKind, number> = { zero: 0, same: 0, data: 0 };
  let kinds = "";
  const nrPages = c.pages.length / PAGE_SIZE;
  for (let i = 0; i < nrPages; i++) {
    const kind = captureKindOf(c.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
    counts[kind]++;
    kinds += CAPTURE_KIND_LETTERS[kind];
  }
  return {
    format: "zswap-ts-corpus",
    version: 1,
    pageSize: PAGE_SIZE,
    pages: nrPages,
    sizeBytes: c.pages.length,
    sha256: createHash("sha256").update(c.pages).digest("hex"),
    seed: null,
    mix: null,
    counts,
    capture: c.info,
    kinds,
  };
}

/** Bytes per write call (fs calls move at most 2 GiB at once). */
const CHUNK_BYTES = 64 * 2 ** 20;

/** Writes the pages and `<path>.manifest.json`, each atomically; returns the manifest. */
export function writeCapture(path: string, c: Capture): CaptureManifest {
  if (c.pages.length === 0) {
    throw new CaptureError(
      `Cannot write corpus ${path}: the capture holds no pages (nothing resident or swapped that is private, writable and anonymous)`,
    );
  }
  const manifest = captureManifestOf(c);
  writeAtomically(path, (fd) => {
    for (let off = 0; off < c.pages.length; ) {
      off += fs.writeSync(fd, c.pages, off, Math.min(CHUNK_BYTES, c.pages.length - off));
    }
  });
  writeAtomically(`${path}.manifest.json`, (fd) => {
    fs.writeSync(fd, `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return manifest;
}

/** "0x7f12a000" */
export function hexAddress(a: number): string {
  return `0x${a.toString(16)}`;
}
