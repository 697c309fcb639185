/**
 * Corpora a chunk at a time: a corpus file read in chunks (CorpusReader), a generated corpus
 * written in chunks (writeCorpusStream). Memory stays at one chunk whatever the corpus size.
 *
 * A corpus is written only to a regular file: to a temporary file in the target's directory,
 * renamed over the target when complete (a reader never sees half a corpus, and an interrupted
 * write leaves nothing but the temporary file, which the caller's cleanup removes). A device
 * node, FIFO, socket or directory at the target is refused, never replaced.
 *
 * @example
 * const r = CorpusReader.open("/tmp/c.pages");
 * const chunk = new Uint8Array(CHUNK_PAGES * PAGE_SIZE);
 * for (let at = 0, n; (n = r.read(chunk, at)) > 0; at += n) use(chunk.subarray(0, n * PAGE_SIZE));
 * r.close();
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { basename, dirname, join } from "node:path";
import { PAGE_SIZE } from "../kernel/page.ts";
import { CorpusError, type CorpusGenerator } from "./corpus.ts";
import {
  type CorpusManifest,
  checkTarget,
  describeError,
  fileKind,
  manifestFor,
  readManifest,
} from "./corpus_file.ts";

/** Pages per chunk: 1 MiB, enough to amortise a read or write call. */
export const CHUNK_PAGES = 256;

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

export class CorpusReader {
  private constructor(
    readonly path: string,
    readonly nrPages: number,
    private fd: number | null,
  ) {}

  /** Opens a corpus file: a regular file of a whole number of pages (as its manifest says). */
  static open(path: string): CorpusReader {
    let st: fs.Stats;
    try {
      st = fs.statSync(path);
    } catch (e) {
      throw new CorpusError(`Cannot read corpus ${path}: ${describeError(e)}`);
    }
    if (!st.isFile()) throw new CorpusError(`Cannot read corpus ${path}: it is ${fileKind(st)}`);
    if (st.size === 0 || st.size % PAGE_SIZE !== 0) {
      throw new CorpusError(
        `Cannot read corpus ${path}: expected a positive multiple of ${PAGE_SIZE} bytes, got ${st.size} bytes`,
      );
    }
    const manifestPath = `${path}.manifest.json`;
    if (fs.existsSync(manifestPath)) {
      const m = readManifest(manifestPath);
      if (m.sizeBytes !== st.size) {
        throw new CorpusError(
          `Cannot read corpus ${path}: it holds ${st.size} bytes but ${manifestPath} says ${m.sizeBytes}`,
        );
      }
    }
    let fd: number;
    try {
      fd = fs.openSync(path, "r");
    } catch (e) {
      throw new CorpusError(`Cannot read corpus ${path}: ${describeError(e)}`);
    }
    return new CorpusReader(path, st.size / PAGE_SIZE, fd);
  }

  /** Reads pages from `firstPage` into `buf`; returns how many (0 past the end). */
  read(buf: Uint8Array, firstPage: number): number {
    if (this.fd === null) throw new Error(`CorpusReader ${this.path}: closed`);
    const n = Math.min(Math.floor(buf.length / PAGE_SIZE), this.nrPages - firstPage);
    if (n <= 0) return 0;
    const want = n * PAGE_SIZE;
    let done = 0;
    try {
      // Bounded: each round reads at least one byte, or stops.
      for (let i = 0; done < want && i < want; i++) {
        const got = fs.readSync(this.fd, buf, done, want - done, firstPage * PAGE_SIZE + done);
        if (got === 0) break;
        done += got;
      }
    } catch (e) {
      throw new CorpusError(`Cannot read corpus ${this.path}: ${describeError(e)}`);
    }
    if (done !== want) {
      throw new CorpusError(
        `Cannot read corpus ${this.path}: it shrank while read (page ${firstPage + Math.floor(done / PAGE_SIZE)} is missing)`,
      );
    }
    return n;
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** Where the temporary files of a write in progress are, so an interrupt can remove them. */
export interface TempFiles {
  add(path: string): void;
  delete(path: string): void;
}

export interface WriteStreamOptions {
  /** Called after each chunk with pages written and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Awaited between chunks (a turn of the event loop, so a signal can be handled). */
  readonly between?: () => Promise<void>;
  readonly temps?: TempFiles;
}

/**
 * Writes every page `gen` makes to `path`, and the manifest to `<path>.manifest.json`, each
 * through a temporary file and a rename. Throws CorpusError (one line).
 */
export async function writeCorpusStream(
  path: string,
  gen: CorpusGenerator,
  opts: WriteStreamOptions = {},
): Promise<CorpusManifest> {
  const manifestPath = `${path}.manifest.json`;
  checkTarget(path);
  checkTarget(manifestPath);
  const sha = createHash("sha256");
  const chunk = new Uint8Array(CHUNK_PAGES * PAGE_SIZE);
  await writeThroughTemp(path, opts.temps, async (fd) => {
    for (let done = 0, n = gen.fill(chunk); n > 0; n = gen.fill(chunk)) {
      const bytes = chunk.subarray(0, n * PAGE_SIZE);
      writeAll(fd, bytes);
      sha.update(bytes);
      done += n;
      opts.onProgress?.(done, gen.nrPages);
      await opts.between?.();
    }
  });
  const manifest = manifestFor(gen, sha.digest("hex"));
  const json = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeThroughTemp(manifestPath, opts.temps, async (fd) => writeAll(fd, json));
  return manifest;
}

/** A temporary name beside `path`: same directory, so the rename is atomic. */
export function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
}

async function writeThroughTemp(
  path: string,
  temps: TempFiles | undefined,
  write: (fd: number) => Promise<void>,
): Promise<void> {
  const tmp = tempPathFor(path);
  let fd: number | null = null;
  temps?.add(tmp);
  try {
    fd = fs.openSync(tmp, "wx", 0o644);
    await write(fd);
    fs.closeSync(fd);
    fd = null;
    checkTarget(path); // it may have become a device or a directory meanwhile
    fs.renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    if (e instanceof CorpusError) throw e;
    throw new CorpusError(`Cannot write corpus file ${path}: ${describeError(e)}`);
  } finally {
    temps?.delete(tmp);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  // Bounded: each round writes at least one byte.
  for (let off = 0, i = 0; off < bytes.length && i < bytes.length; i++) {
    off += fs.writeSync(fd, bytes, off, bytes.length - off);
  }
}
