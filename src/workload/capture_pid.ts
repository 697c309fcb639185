/**
 * Capturing a live process: the pages reclaim could hand to zswap, i.e. its private anonymous
 * pages that are resident or swapped out, read from /proc/PID/maps, /proc/PID/pagemap
 * (Documentation/admin-guide/mm/pagemap.rst) and /proc/PID/mem.
 *
 * The process keeps running while it is read, so the capture is not a snapshot of one instant:
 * a page may change or go away between its pagemap entry and its read (it is then counted as
 * unreadable). Reading a swapped page through /proc/PID/mem swaps it in.
 *
 * @example
 * const c = capturePid(1234, { maxSizeBytes: 64 * 2 ** 20 });
 */
import { constants as bufferConstants } from "node:buffer";
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

// Pagemap entry bits, as seen in the high 32-bit word of the 64-bit entry.
const PM_PRESENT_HI = 1 << 31; // bit 63
const PM_SWAP_HI = 1 << 30; // bit 62
const PM_FILE_HI = 1 << 29; // bit 61: file page or shared anonymous
const PM_MMAP_EXCLUSIVE_HI = 1 << 24; // bit 56: mapped by this process only

/** One line of /proc/PID/maps. */
export interface MapsLine {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly path: string;
}

/** Parses /proc/PID/maps text. Lines it cannot read are an error: the format is fixed. */
export function parseMaps(text: string): MapsLine[] {
  const out: MapsLine[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (m === null) throw new CaptureError(`Cannot parse /proc/PID/maps line "${line}"`);
    const [, start, end, perms, path] = m as unknown as [string, string, string, string, string];
    out.push({ start: Number.parseInt(start, 16), end: Number.parseInt(end, 16), perms, path });
  }
  return out;
}

/** Kernel pseudo-mappings that are not the process's memory. */
const SPECIAL = new Set(["[vvar]", "[vvar_vclock]", "[vdso]", "[vsyscall]", "[uprobes]"]);

/**
 * Private writable mappings: anonymous ones, [heap], [stack], and private file mappings (their
 * written pages are anonymous copies, which pagemap tells apart from the file's own pages).
 */
export function isCandidateMapping(m: MapsLine): boolean {
  return m.perms[0] === "r" && m.perms[1] === "w" && m.perms[3] === "p" && !SPECIAL.has(m.path);
}

export interface CapturePidOptions {
  /** At most this many bytes, sampled as evenly spaced runs of pages; default: everything. */
  readonly maxSizeBytes?: number;
  /** Where procfs is mounted (tests). */
  readonly procRoot?: string;
}

/**
 * Eligible pages in address order, as two parallel arrays (a process may have millions):
 * the address, and whether the page is present but not exclusively mapped, which makes it
 * the shared zero page if it reads as zeros.
 */
interface Eligible {
  readonly addrs: number[];
  readonly maybeZeroPage: boolean[];
}

/** Captures the private, writable, anonymous pages of process `pid`; see the file comment. */
export function capturePid(pid: number, opts: CapturePidOptions = {}): Capture {
  const dir = `${opts.procRoot ?? "/proc"}/${pid}`;
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new CaptureError(`Cannot capture pid ${pid}: expected a positive integer`);
  }
  if (!fs.existsSync(dir)) throw new CaptureError(`Cannot capture pid ${pid}: no such process`);
  const comm = readSmall(`${dir}/comm`).trim();
  const cmdline = readSmall(`${dir}/cmdline`).split("\0").join(" ").trim();
  const maps = parseMaps(
    procRead(pid, `${dir}/maps`, () => fs.readFileSync(`${dir}/maps`, "utf8")),
  ).filter(isCandidateMapping);
  const pagemapFd = procRead(pid, `${dir}/pagemap`, () => fs.openSync(`${dir}/pagemap`, "r"));
  const memFd = procRead(pid, `${dir}/mem`, () => fs.openSync(`${dir}/mem`, "r"));
  try {
    const all: Eligible = { addrs: [], maybeZeroPage: [] };
    const perMapping = maps.map((m) => eligiblePages(pid, pagemapFd, m, all));
    const nrEligible = all.addrs.length;
    const maxPages =
      opts.maxSizeBytes === undefined ? nrEligible : Math.floor(opts.maxSizeBytes / PAGE_SIZE);
    if (Math.min(maxPages, nrEligible) * PAGE_SIZE > bufferConstants.MAX_LENGTH) {
      throw new CaptureError(
        `Cannot capture pid ${pid}: ${nrEligible} pages do not fit in memory; use --max-size`,
      );
    }
    const picked = sampleRuns(nrEligible, maxPages);
    const chosen: Eligible = {
      addrs: picked.map((i) => all.addrs[i] as number),
      maybeZeroPage: picked.map((i) => all.maybeZeroPage[i] as boolean),
    };
    const read = readPages(memFd, chosen);
    const captured = countByMapping(maps, read.addrs);
    return {
      pages: read.sink.result(),
      info: {
        source: "pid",
        pid,
        comm,
        cmdline,
        file: null,
        maxSizeBytes: opts.maxSizeBytes ?? null,
        pages: {
          eligible: nrEligible,
          resident: perMapping.reduce((s, e) => s + e.resident, 0),
          swapped: perMapping.reduce((s, e) => s + e.swapped, 0),
          sampledOut: nrEligible - picked.length,
          zeroPageDropped: read.zeroPageDropped,
          unreadable: read.unreadable,
          captured: read.sink.count,
        },
        mappings: maps
          .map((m, i) => mappingInfo(m, perMapping[i]?.eligible ?? 0, captured[i] ?? 0))
          .filter((m) => m.eligiblePages > 0),
      },
    };
  } finally {
    fs.closeSync(pagemapFd);
    fs.closeSync(memFd);
  }
}

function mappingInfo(m: MapsLine, eligible: number, captured: number): CaptureMapping {
  return {
    start: hexAddress(m.start),
    end: hexAddress(m.end),
    perms: m.perms,
    path: m.path,
    eligiblePages: eligible,
    capturedPages: captured,
  };
}

/** Pagemap entries read at once: 64 Ki pages (256 MiB of address space, 512 KiB of entries). */
const PAGEMAP_CHUNK_PAGES = 65536;

/** Appends the pages of one mapping that are resident anonymous (not file) pages, or swapped. */
function eligiblePages(pid: number, fd: number, m: MapsLine, out: Eligible) {
  let resident = 0;
  let swapped = 0;
  const entries = new Uint32Array(PAGEMAP_CHUNK_PAGES * 2);
  const bytes = new Uint8Array(entries.buffer);
  for (let addr = m.start; addr < m.end; addr += PAGEMAP_CHUNK_PAGES * PAGE_SIZE) {
    const n = Math.min(PAGEMAP_CHUNK_PAGES, (m.end - addr) / PAGE_SIZE);
    const got = procRead(pid, "pagemap", () =>
      fs.readSync(fd, bytes, 0, n * 8, (addr / PAGE_SIZE) * 8),
    );
    for (let i = 0; i < got / 8; i++) {
      const hi = entries[2 * i + 1] as number;
      const swap = (hi & PM_SWAP_HI) !== 0;
      const anon = (hi & PM_PRESENT_HI) !== 0 && (hi & PM_FILE_HI) === 0;
      if (!swap && !anon) continue;
      if (swap) swapped++;
      else resident++;
      out.addrs.push(addr + i * PAGE_SIZE);
      out.maybeZeroPage.push(!swap && (hi & PM_MMAP_EXCLUSIVE_HI) === 0);
    }
  }
  return { eligible: resident + swapped, resident, swapped };
}

/**
 * Reads the chosen pages from /proc/PID/mem, consecutive addresses in one call. A present page
 * that is not exclusively mapped and reads as zeros is the shared zero page (a read fault on
 * untouched anonymous memory maps it): not the process's memory, dropped. Simplified: a
 * zero-filled private page shared with a forked child looks the same and is dropped too.
 */
function readPages(fd: number, chosen: Eligible) {
  const { addrs: at, maybeZeroPage } = chosen;
  const sink = new PageSink(at.length);
  const addrs: number[] = [];
  let zeroPageDropped = 0;
  let unreadable = 0;
  const buf = new Uint8Array(RUN_READ_PAGES * PAGE_SIZE);
  for (let i = 0; i < at.length; ) {
    const first = at[i] as number;
    let n = 1;
    while (n < RUN_READ_PAGES && i + n < at.length && at[i + n] === first + n * PAGE_SIZE) n++;
    const ok = readRun(fd, buf, first, n);
    for (let j = 0; j < n; j++) {
      const page = buf.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE);
      if (!ok[j]) unreadable++;
      else if (maybeZeroPage[i + j] && isZeroPage(page)) zeroPageDropped++;
      else {
        sink.push(page);
        addrs.push(first + j * PAGE_SIZE);
      }
    }
    i += n;
  }
  return { sink, addrs, zeroPageDropped, unreadable };
}

const RUN_READ_PAGES = 256;

/** Reads n pages at addr into buf; on an error, page by page. Returns which pages were read. */
function readRun(fd: number, buf: Uint8Array, addr: number, n: number): boolean[] {
  if (tryRead(fd, buf, 0, n * PAGE_SIZE, addr)) return new Array<boolean>(n).fill(true);
  const ok: boolean[] = [];
  for (let j = 0; j < n; j++) {
    ok.push(tryRead(fd, buf, j * PAGE_SIZE, PAGE_SIZE, addr + j * PAGE_SIZE));
  }
  return ok;
}

function tryRead(fd: number, buf: Uint8Array, off: number, len: number, pos: number): boolean {
  try {
    return fs.readSync(fd, buf, off, len, pos) === len;
  } catch {
    return false; // EIO: unmapped since pagemap was read
  }
}

function countByMapping(maps: readonly MapsLine[], addrs: readonly number[]): number[] {
  const counts = new Array<number>(maps.length).fill(0);
  let m = 0;
  // maps are in address order, and so are addrs.
  for (const a of addrs) {
    while (m < maps.length && (maps[m] as MapsLine).end <= a) m++;
    counts[m] = (counts[m] ?? 0) + 1;
  }
  return counts;
}

function readSmall(path: string): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Runs a procfs read; turns its errors into one-line CaptureErrors saying what is needed. */
function procRead<T>(pid: number, what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") {
      throw new CaptureError(`Cannot capture pid ${pid}: no such process (it exited)`);
    }
    if (code === "EACCES" || code === "EPERM") {
      throw new CaptureError(
        `Cannot capture pid ${pid}: permission denied reading ${what}; run as the process's user ` +
          `or with CAP_SYS_PTRACE (as root), and check /proc/sys/kernel/yama/ptrace_scope ` +
          `(${ptraceScopeText()})`,
      );
    }
    throw new CaptureError(`Cannot capture pid ${pid}: reading ${what}: ${describeError(e)}`);
  }
}

function ptraceScopeText(): string {
  const s = readSmall("/proc/sys/kernel/yama/ptrace_scope").trim();
  if (s === "") return "not present here";
  const meaning: Record<string, string> = {
    "0": "0: any process of the same user",
    "1": "1: only descendants, unless CAP_SYS_PTRACE",
    "2": "2: only with CAP_SYS_PTRACE",
    "3": "3: no attaching at all",
  };
  return `now ${meaning[s] ?? s}`;
}
