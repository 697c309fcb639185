/**
 * Where corpus pages come from: real files found on this machine (text and ELF binaries), read
 * as one virtual concatenation so that a page is a 4 KiB window at any byte offset, plus a
 * generated English-like text for machines with no text files.
 *
 * Everything is deterministic for a given machine: directories are walked in sorted order, with
 * a bound on depth and on the number of files, and positions are drawn from a seeded Rng.
 */
import * as fs from "node:fs";
import { join } from "node:path";
import type { Rng } from "../sim/rng.ts";

export const PAGE_SIZE = 4096;

export interface SourceFile {
  readonly path: string;
  readonly sizeBytes: number;
}

/** A place to look for files: a root, how deep to go, and which regular files to keep. */
export interface SourceRoot {
  readonly dir: string;
  /** 0: only the root's own entries. */
  readonly depthMax: number;
  readonly accept: (name: string, path: string) => boolean;
}

/** Bound on files taken from one root (the walk stops there, deterministically). */
export const FILES_PER_ROOT_MAX = 20_000;
/** Bound on directory entries visited under one root. */
const ENTRIES_PER_ROOT_MAX = 200_000;

/** Text: licenses, package copyright files, C headers. */
export const TEXT_ROOTS: readonly SourceRoot[] = [
  { dir: "/usr/share/common-licenses", depthMax: 0, accept: () => true },
  { dir: "/usr/share/doc", depthMax: 1, accept: (name) => name === "copyright" },
  { dir: "/usr/include", depthMax: 6, accept: (name) => name.endsWith(".h") },
];

/** The multiarch library directory of this machine, e.g. /usr/lib/x86_64-linux-gnu. */
export function multiarchLibDir(arch: string = process.arch): string {
  const triplets: Record<string, string> = {
    x64: "x86_64-linux-gnu",
    arm64: "aarch64-linux-gnu",
    arm: "arm-linux-gnueabihf",
    ia32: "i386-linux-gnu",
    ppc64: "powerpc64le-linux-gnu",
    s390x: "s390x-linux-gnu",
    riscv64: "riscv64-linux-gnu",
  };
  return `/usr/lib/${triplets[arch] ?? `${arch}-linux-gnu`}`;
}

/** Binaries: executables and shared libraries (only files that start with the ELF magic). */
export function binRoots(): SourceRoot[] {
  return [
    { dir: "/usr/bin", depthMax: 0, accept: (_name, path) => isElf(path) },
    {
      dir: multiarchLibDir(),
      depthMax: 0,
      accept: (name, path) => /\.so(\.\d+)*$/.test(name) && isElf(path),
    },
  ];
}

/**
 * Regular, readable, non-empty files under `roots` that `accept` keeps, in sorted order.
 * Symlinks are skipped (they would duplicate files, or loop).
 */
export function findFiles(roots: readonly SourceRoot[]): SourceFile[] {
  const out: SourceFile[] = [];
  for (const root of roots) {
    const budget = { files: FILES_PER_ROOT_MAX, entries: ENTRIES_PER_ROOT_MAX };
    walk(root, root.dir, 0, budget, out);
  }
  return out;
}

function walk(
  root: SourceRoot,
  dir: string,
  depth: number,
  budget: { files: number; entries: number },
  out: SourceFile[],
): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return; // missing or unreadable: this root contributes nothing
  }
  for (const name of names) {
    if (budget.files <= 0 || --budget.entries < 0) return;
    const path = join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (depth < root.depthMax) walk(root, path, depth + 1, budget, out);
    } else if (st.isFile() && st.size > 0 && root.accept(name, path) && isReadable(path)) {
      out.push({ path, sizeBytes: st.size });
      budget.files--;
    }
  }
}

function isReadable(path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function isElf(path: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const head = new Uint8Array(4);
    return fs.readSync(fd, head, 0, 4, 0) === 4 && ELF_MAGIC.every((b, i) => head[i] === b);
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A list of files read as one concatenation. `readWindow` fills a page from any offset,
 * crossing into the next files as needed, so drawing an offset uniformly weights files by size.
 */
export class FileSet {
  readonly files: readonly SourceFile[];
  readonly totalBytes: number;
  /** starts[i]: offset of files[i] in the concatenation. */
  private readonly starts: number[];

  constructor(files: readonly SourceFile[]) {
    this.files = files;
    this.starts = [];
    let total = 0;
    for (const f of files) {
      this.starts.push(total);
      total += f.sizeBytes;
    }
    this.totalBytes = total;
  }

  /** Whether there is enough data for at least one full page. */
  get usable(): boolean {
    return this.totalBytes >= PAGE_SIZE;
  }

  /** Fills `dst` (one page) from a uniformly drawn offset. */
  readRandomPage(rng: Rng, dst: Uint8Array): void {
    const span = this.totalBytes - PAGE_SIZE + 1;
    // Two draws: the concatenation can exceed 4 GiB.
    const pos = (rng.next32() * 0x100000000 + rng.next32()) % span;
    this.readWindow(pos, dst);
  }

  /** Fills `dst` with the bytes at [pos, pos + dst.length) of the concatenation. */
  readWindow(pos: number, dst: Uint8Array): void {
    let i = this.fileIndexAt(pos);
    let off = pos - (this.starts[i] as number);
    let done = 0;
    // Bounded: every round consumes a file (a page spans at most PAGE_SIZE files).
    for (let round = 0; done < dst.length && round <= dst.length; round++, i++, off = 0) {
      const f = this.files[i];
      if (f === undefined) break;
      const want = Math.min(dst.length - done, f.sizeBytes - off);
      const got = readAt(f.path, dst.subarray(done, done + want), off);
      // A file that shrank since the scan reads short: zeros stand in, deterministically.
      dst.fill(0, done + got, done + want);
      done += want;
    }
    dst.fill(0, done);
  }

  /** The index of the file holding byte `pos` (binary search over starts). */
  private fileIndexAt(pos: number): number {
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.starts[mid] as number) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** pread into `dst` from `path` at `pos`; returns the bytes read (0 if the file is gone). */
function readAt(path: string, dst: Uint8Array, pos: number): number {
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch {
    return 0;
  }
  try {
    let done = 0;
    for (let i = 0; i < dst.length && done < dst.length; i++) {
      const n = fs.readSync(fd, dst, done, dst.length - done, pos + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  } catch {
    return 0;
  } finally {
    fs.closeSync(fd);
  }
}

// Generated text: the fallback when a machine has no text files.

/** Common English words, most frequent first (drawn with a Zipf-like 1/rank weight). */
const WORDS = (
  "the of and to a in is that for it as was with be by on not he this are or his from at " +
  "which but have an they you were her she there been one all we their has would when if so " +
  "no will can more other its into only some could time these may then do first any my now " +
  "such like our over man me even most made after also did many before must through back " +
  "years where much your way well down should because each just those people how too little " +
  "state good very make world still own see men work long get here between both life being " +
  "under never day same another know while last might us great old year off come since " +
  "against go came right used take three memory page swap kernel system process data file " +
  "value number part system program report order case point group problem fact"
).split(" ");

const WORD_CUMULATIVE: number[] = (() => {
  const out: number[] = [];
  let sum = 0;
  for (let r = 1; r <= WORDS.length; r++) out.push((sum += 1 / r));
  return out;
})();

function zipfWord(rng: Rng): string {
  const total = WORD_CUMULATIVE[WORD_CUMULATIVE.length - 1] as number;
  const x = (rng.next32() / 0x100000000) * total;
  let lo = 0;
  let hi = WORD_CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((WORD_CUMULATIVE[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return WORDS[lo] as string;
}

/** Fills `dst` with English-like prose: sentences of Zipf-distributed words, lines <= 72. */
export function fillGeneratedText(rng: Rng, dst: Uint8Array): void {
  let text = "";
  let line = "";
  let sentenceLeft = 0;
  // Bounded: every round adds at least two characters.
  for (let round = 0; text.length < dst.length && round < dst.length; round++) {
    let word = zipfWord(rng);
    if (sentenceLeft === 0) {
      sentenceLeft = 5 + rng.below(16);
      word = word.charAt(0).toUpperCase() + word.slice(1);
    }
    if (--sentenceLeft === 0) word += rng.below(8) === 0 ? ".\n" : ".";
    if (line.length + word.length + 1 > 72) {
      text += `${line}\n`;
      line = "";
    }
    line += line.length === 0 ? word : ` ${word}`;
    if (word.endsWith("\n")) {
      text += line;
      line = "";
    }
  }
  text += line;
  for (let i = 0; i < dst.length; i++) dst[i] = i < text.length ? text.charCodeAt(i) & 0x7f : 0x20;
}
