/**
 * The cgroup v2 files of the library's memory cgroup that concern zswap, read and written with
 * the kernel's syntax (mm/memcontrol.c): memory.max, memory.zswap.max, memory.zswap.current,
 * memory.zswap.writeback, and the zswap lines of memory.stat.
 *
 * Simplified: memory.max is recorded, not enforced (the library has no resident set to
 * reclaim from; docs/run.md); memory.stat shows only its zswap lines.
 */
import { PAGE_SIZE } from "../kernel/page.ts";
import { Memcg } from "../mm/memcg.ts";
import { ZswapError } from "./errors.ts";
import type { CheckedOptions } from "./options.ts";
import type { MemcgStats, MemcgZswapStat } from "./types.ts";

/** The files, by their names under /sys/fs/cgroup/<group>/. */
export const MEMCG_FILES = [
  "memory.max",
  "memory.zswap.max",
  "memory.zswap.current",
  "memory.zswap.writeback",
  "memory.stat",
] as const;
export type MemcgFile = (typeof MEMCG_FILES)[number];

/** memory.stat's zswap lines, in the kernel's order (memory_stats[], then the events). */
export function memcgZswapStat(m: Memcg): MemcgZswapStat {
  return {
    zswap: m.zswapBytes,
    zswapped: m.zswapped * PAGE_SIZE,
    zswpin: m.events.zswpin,
    zswpout: m.events.zswpout,
    zswpwb: m.events.zswpwb,
  };
}

export function memcgStats(m: Memcg): MemcgStats {
  return {
    path: m.name,
    memoryMax: Number.isFinite(m.memoryMax) ? m.memoryMax : null,
    zswapMax: Number.isFinite(m.zswapMax) ? m.zswapMax : null,
    zswapCurrent: m.zswapBytes,
    zswapWriteback: m.zswapWriteback,
    stat: memcgZswapStat(m),
  };
}

/**
 * The child cgroup every page belongs to when any memcg option is given (memcgMaxBytes,
 * memcgZswapMaxBytes, memcgZswapWriteback), or null: the root cgroup.
 */
export function childMemcg(root: Memcg, o: CheckedOptions): Memcg | null {
  if (o.memcgMaxBytes === null && o.memcgZswapMaxBytes === null && o.memcgZswapWriteback === null)
    return null;
  const m = new Memcg("/zswap-ts", root);
  if (o.memcgMaxBytes !== null) m.memoryMax = o.memcgMaxBytes;
  if (o.memcgZswapMaxBytes !== null) m.zswapMax = pagesDown(o.memcgZswapMaxBytes);
  if (o.memcgZswapWriteback !== null) m.zswapWriteback = o.memcgZswapWriteback;
  return m;
}

/** Reads a file as `cat` prints it, trailing newline included. */
export function readMemcgFile(m: Memcg, file: string): string {
  switch (checkFile(file)) {
    case "memory.max":
      return `${tunable(m.memoryMax)}\n`;
    case "memory.zswap.max":
      return `${tunable(m.zswapMax)}\n`;
    case "memory.zswap.current":
      return `${m.zswapBytes}\n`;
    case "memory.zswap.writeback":
      return `${m.zswapWriteback ? 1 : 0}\n`;
    case "memory.stat":
      return Object.entries(memcgZswapStat(m))
        .map(([k, v]) => `${k} ${v}\n`)
        .join("");
  }
}

/**
 * Writes a file as `echo VALUE > file` does: memory.max and memory.zswap.max take "max" or a
 * size with an optional K/M/G/T/P/E suffix, rounded down to whole pages
 * (page_counter_memparse()); memory.zswap.writeback takes 0 or 1. Anything else: EINVAL, as
 * the kernel's write returns; memory.zswap.current and memory.stat are read-only (EACCES).
 */
export function writeMemcgFile(m: Memcg, file: string, value: string): void {
  const f = checkFile(file);
  const v = value.trim();
  switch (f) {
    case "memory.max":
      m.memoryMax = pageCounterMemparse(f, v);
      return;
    case "memory.zswap.max":
      m.zswapMax = pageCounterMemparse(f, v);
      return;
    case "memory.zswap.writeback": {
      const n = parseKernelInt(v);
      if (n !== 0 && n !== 1) {
        throw new ZswapError("EINVAL", `Cannot write ${f}: expected 0 or 1, got '${value}'`);
      }
      m.zswapWriteback = n === 1;
      return;
    }
    default:
      throw new ZswapError("EACCES", `Cannot write ${f}: it is read-only`);
  }
}

function checkFile(file: string): MemcgFile {
  if ((MEMCG_FILES as readonly string[]).includes(file)) return file as MemcgFile;
  throw new ZswapError(
    "ENOENT",
    `No memcg file ${JSON.stringify(file)}: expected one of ${MEMCG_FILES.join(", ")}`,
  );
}

/** seq_puts_memcg_tunable(): "max" for no limit, else bytes. */
function tunable(bytes: number): string {
  return Number.isFinite(bytes) ? String(bytes) : "max";
}

const SUFFIX_SHIFT: Readonly<Record<string, number>> = { k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 };

/**
 * page_counter_memparse(): "max", or memparse() of the whole string (a number in base 0, as
 * simple_strtoull reads it, and one optional suffix), in whole pages, returned in bytes.
 */
function pageCounterMemparse(file: string, v: string): number {
  if (v === "max") return Number.POSITIVE_INFINITY;
  const m = /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)([kmgtpe]?)$/i.exec(v);
  if (m === null) {
    throw new ZswapError(
      "EINVAL",
      `Cannot write ${file}: expected "max" or a size such as 64M, got '${v}'`,
    );
  }
  const bytes = base0(m[1] as string) << BigInt(SUFFIX_SHIFT[(m[2] as string).toLowerCase()] ?? 0);
  const pages = bytes / BigInt(PAGE_SIZE);
  // PAGE_COUNTER_MAX is beyond any memory this process has: treat it as no limit.
  if (pages > BigInt(Number.MAX_SAFE_INTEGER) / BigInt(PAGE_SIZE)) return Number.POSITIVE_INFINITY;
  return Number(pages) * PAGE_SIZE;
}

function pagesDown(bytes: number): number {
  return Math.floor(bytes / PAGE_SIZE) * PAGE_SIZE;
}

/** kstrtoint(s, 0): an optionally signed integer in base 0, the whole string. */
function parseKernelInt(v: string): number {
  const m = /^([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(v);
  if (m === null) return Number.NaN;
  const n = Number(base0(m[2] as string));
  return m[1] === "-" ? -n : n;
}

/** Digits as simple_strtoull(s, 0) reads them: 0x hexadecimal, a leading 0 octal, else decimal. */
function base0(digits: string): bigint {
  if (/^0x/i.test(digits)) return BigInt(digits);
  return digits.length > 1 && digits.startsWith("0")
    ? BigInt(`0o${digits.slice(1)}`)
    : BigInt(digits);
}
