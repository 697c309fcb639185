/**
 * Capturing from an ELF core dump (the kernel's, or gdb's `gcore`): the pages of its writable
 * PT_LOAD segments. Only 64-bit little-endian cores (x86-64, arm64, riscv64, ...) are read.
 * The ELF64 header, program headers and the NT_PRPSINFO note (for the process name) are parsed
 * here directly: the layout is fixed (System V ABI, include/uapi/linux/elf.h).
 *
 * Simplified against a live capture: a core does not say which pages were resident, swapped
 * or never touched, nor which came from a file. The kernel writes a hole for pages never
 * touched or backed by the shared zero page (get_dump_page() finds no page), which reads as
 * zeros, so every all-zero page is dropped, also a zero-filled private page.
 *
 * @example
 * const c = captureCore("/tmp/core.1234", { maxSizeBytes: 64 * 2 ** 20 });
 */
import * as fs from "node:fs";
import { PAGE_SIZE } from "../kernel/page.ts";
import {
  type Capture,
  CaptureError,
  type CaptureMapping,
  hexAddress,
  isZeroPage,
  PageSink,
  sampleRuns,
} from "./capture.ts";
import { describeError } from "./corpus_file.ts";

const ELF_HEADER_BYTES = 64;
const PHDR_BYTES = 56;
const ET_CORE = 4;
const PT_LOAD = 1;
const PT_NOTE = 4;
const PF_X = 1;
const PF_W = 2;
const PF_R = 4;
/** e_phnum's escape: the real count is in section header 0's sh_info. */
const PN_XNUM = 0xffff;
const NT_PRPSINFO = 3;
/** sizeof(struct elf_prpsinfo) on 64-bit: pr_fname[16] at 40, pr_psargs[80] at 56. */
const PRPSINFO_BYTES = 136;

/** One program header. */
export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
}

export interface ElfCore {
  readonly phdrs: readonly ProgramHeader[];
  /** pr_fname and pr_psargs of NT_PRPSINFO, "" when the core has none. */
  readonly comm: string;
  readonly cmdline: string;
  readonly pid: number | null;
}

/** Parses the headers of an ELF64 little-endian core file; throws a one-line CaptureError. */
export function parseElfCore(path: string): ElfCore {
  const fd = openCore(path);
  try {
    const size = fs.fstatSync(fd).size;
    checkIdent(path, readAt(fd, path, 0, Math.min(size, ELF_HEADER_BYTES), size));
    const h = readAt(fd, path, 0, ELF_HEADER_BYTES, size);
    const type = h.readUInt16LE(16);
    if (type !== ET_CORE) {
      const names: Record<number, string> = { 1: "REL", 2: "EXEC", 3: "DYN" };
      throw new CaptureError(
        `Cannot capture ${path}: an ELF file but not a core dump (e_type ${names[type] ?? type}, expected CORE)`,
      );
    }
    const phoff = Number(h.readBigUInt64LE(32));
    const phentsize = h.readUInt16LE(54);
    if (phentsize !== PHDR_BYTES) {
      throw new CaptureError(
        `Cannot capture ${path}: expected ${PHDR_BYTES}-byte program headers, got ${phentsize}`,
      );
    }
    const phnum = programHeaderCount(fd, path, h, size);
    const table = readAt(fd, path, phoff, phnum * PHDR_BYTES, size);
    const phdrs: ProgramHeader[] = [];
    for (let i = 0; i < phnum; i++) phdrs.push(programHeader(table, i * PHDR_BYTES));
    return { phdrs, ...processInfo(fd, path, phdrs, size) };
  } finally {
    fs.closeSync(fd);
  }
}

function openCore(path: string): number {
  try {
    const fd = fs.openSync(path, "r");
    if (fs.fstatSync(fd).isDirectory()) {
      fs.closeSync(fd);
      throw new CaptureError(`Cannot capture ${path}: it is a directory, expected a core file`);
    }
    return fd;
  } catch (e) {
    if (e instanceof CaptureError) throw e;
    throw new CaptureError(`Cannot capture ${path}: ${describeError(e)}`);
  }
}

function checkIdent(path: string, h: Buffer): void {
  if (h.length < 4 || h[0] !== 0x7f || h[1] !== 0x45 || h[2] !== 0x4c || h[3] !== 0x46) {
    throw new CaptureError(`Cannot capture ${path}: not an ELF file (expected an ELF core dump)`);
  }
  if (h.length >= 6 && (h[4] !== 2 || h[5] !== 1)) {
    throw new CaptureError(
      `Cannot capture ${path}: only 64-bit little-endian cores are read, got ${h[4] === 1 ? "32" : "64"}-bit ${h[5] === 2 ? "big" : "little"}-endian`,
    );
  }
}

function programHeaderCount(fd: number, path: string, h: Buffer, size: number): number {
  const phnum = h.readUInt16LE(56);
  if (phnum !== PN_XNUM) return phnum;
  const shoff = Number(h.readBigUInt64LE(40));
  return readAt(fd, path, shoff, 64, size).readUInt32LE(44);
}

function programHeader(table: Buffer, at: number): ProgramHeader {
  return {
    type: table.readUInt32LE(at),
    flags: table.readUInt32LE(at + 4),
    offset: Number(table.readBigUInt64LE(at + 8)),
    vaddr: Number(table.readBigUInt64LE(at + 16)),
    filesz: Number(table.readBigUInt64LE(at + 32)),
    memsz: Number(table.readBigUInt64LE(at + 40)),
  };
}

/** The process name, arguments and pid from the first NT_PRPSINFO note, if any. */
function processInfo(fd: number, path: string, phdrs: readonly ProgramHeader[], size: number) {
  for (const p of phdrs) {
    if (p.type !== PT_NOTE) continue;
    const notes = readAt(fd, path, p.offset, p.filesz, size);
    for (let at = 0; at + 12 <= notes.length; ) {
      const namesz = notes.readUInt32LE(at);
      const descsz = notes.readUInt32LE(at + 4);
      const type = notes.readUInt32LE(at + 8);
      const desc = at + 12 + align4(namesz);
      if (desc + descsz > notes.length) break;
      if (type === NT_PRPSINFO && descsz >= PRPSINFO_BYTES) {
        return {
          pid: notes.readUInt32LE(desc + 24),
          comm: cString(notes.subarray(desc + 40, desc + 56)),
          cmdline: cString(notes.subarray(desc + 56, desc + 136)),
        };
      }
      at = desc + align4(descsz);
    }
  }
  return { pid: null, comm: "", cmdline: "" };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString("utf8");
}

function readAt(fd: number, path: string, pos: number, len: number, size: number): Buffer {
  if (!Number.isSafeInteger(pos) || pos < 0 || pos + len > size) {
    throw new CaptureError(
      `Cannot capture ${path}: truncated core (needs bytes ${pos}..${pos + len}, the file has ${size})`,
    );
  }
  const b = Buffer.alloc(len);
  if (len > 0 && fs.readSync(fd, b, 0, len, pos) !== len) {
    throw new CaptureError(`Cannot capture ${path}: short read at byte ${pos}`);
  }
  return b;
}

function permsOf(flags: number): string {
  return `${flags & PF_R ? "r" : "-"}${flags & PF_W ? "w" : "-"}${flags & PF_X ? "x" : "-"}`;
}

export interface CaptureCoreOptions {
  /** At most this many bytes, sampled as evenly spaced runs of pages; default: everything. */
  readonly maxSizeBytes?: number;
}

/** Captures the pages of a core's writable PT_LOAD segments (their bytes in the file). */
export function captureCore(path: string, opts: CaptureCoreOptions = {}): Capture {
  const core = parseElfCore(path);
  const segs = core.phdrs.filter((p) => p.type === PT_LOAD && p.flags & PF_W && p.filesz > 0);
  const all: Array<{ seg: number; offset: number }> = [];
  segs.forEach((p, seg) => {
    for (let k = 0; k < Math.floor(p.filesz / PAGE_SIZE); k++) {
      all.push({ seg, offset: p.offset + k * PAGE_SIZE });
    }
  });
  const maxPages =
    opts.maxSizeBytes === undefined ? all.length : Math.floor(opts.maxSizeBytes / PAGE_SIZE);
  const chosen = sampleRuns(all.length, maxPages).map((i) => all[i] as (typeof all)[number]);
  const sink = new PageSink(chosen.length);
  const captured = new Array<number>(segs.length).fill(0);
  let zeroPageDropped = 0;
  const fd = openCore(path);
  try {
    const size = fs.fstatSync(fd).size;
    for (const c of chosen) {
      const page = readAt(fd, path, c.offset, PAGE_SIZE, size);
      if (isZeroPage(page)) zeroPageDropped++;
      else {
        sink.push(page);
        captured[c.seg] = (captured[c.seg] ?? 0) + 1;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  const mappings: CaptureMapping[] = segs.map((p, i) => ({
    start: hexAddress(p.vaddr),
    end: hexAddress(p.vaddr + p.memsz),
    perms: permsOf(p.flags),
    path: "",
    eligiblePages: Math.floor(p.filesz / PAGE_SIZE),
    capturedPages: captured[i] ?? 0,
  }));
  return {
    pages: sink.result(),
    info: {
      source: "core",
      pid: core.pid,
      comm: core.comm,
      cmdline: core.cmdline,
      file: path,
      maxSizeBytes: opts.maxSizeBytes ?? null,
      pages: {
        eligible: all.length,
        resident: null,
        swapped: null,
        sampledOut: all.length - chosen.length,
        zeroPageDropped,
        unreadable: 0,
        captured: sink.count,
      },
      mappings,
    },
  };
}
