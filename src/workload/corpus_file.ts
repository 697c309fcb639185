/**
 * Corpus files: the raw pages and, beside them, `<file>.manifest.json` with what generated them
 * (docs/corpus.md, "Format"). Written through a temporary file and a rename, so that an
 * interrupted write leaves no half a corpus; read whole or checked against the manifest.
 *
 * @example
 * writeCorpus("/tmp/c.pages", generateCorpus({ sizeBytes: 1 << 20, seed: 1, mix: DEFAULT_MIX }));
 * const pages = readCorpus("/tmp/c.pages");
 */
import { constants as bufferConstants } from "node:buffer";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { PAGE_SIZE } from "../kernel/page.ts";
import {
  type Corpus,
  CorpusError,
  type CorpusMix,
  KIND_LETTERS,
  KINDS,
  type KindCounts,
} from "./corpus.ts";

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
