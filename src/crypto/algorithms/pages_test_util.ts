/**
 * Deterministic 4 KiB pages for the compressor tests and benchmark: the same bytes on every
 * machine, from a fixed-seed PRNG written here (mulberry32), so pinned compressed lengths mean
 * something in CI.
 */
import fc from "fast-check";

export const PAGE_SIZE = 4096;

/** mulberry32: a 32-bit state PRNG, enough for test content. */
export class TestPrng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  next32(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  below(n: number): number {
    return this.next32() % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

const WORDS = [
  "the",
  "page",
  "swap",
  "cache",
  "memory",
  "kernel",
  "entry",
  "pool",
  "store",
  "load",
  "writeback",
  "reclaim",
  "folio",
  "compress",
  "zswap",
  "lru",
  "cgroup",
  "limit",
  "of",
  "to",
  "a",
  "in",
  "is",
  "for",
  "and",
  "with",
  "when",
  "not",
  "free",
  "count",
  "device",
  "slot",
  "request",
  "buffer",
  "mutex",
  "cpu",
  "offline",
  "online",
  "hotplug",
  "context",
  "error",
  "returns",
  "value",
  "size",
  "bytes",
  "pages",
  "shrinker",
  "batch",
  "latency",
  "update",
] as const;
const SERVICES = ["kernel", "systemd", "sshd", "cron", "dockerd", "postgres", "nginx"] as const;

function ascii(s: string, dst: Uint8Array, at: number): number {
  let i = 0;
  for (; i < s.length && at + i < dst.length; i++) dst[at + i] = s.charCodeAt(i) & 0x7f;
  return at + i;
}

/** Log-file-like text: timestamped lines of words and numbers. */
export function textPage(seed: number): Uint8Array {
  const rng = new TestPrng(seed);
  const page = new Uint8Array(PAGE_SIZE);
  let at = 0;
  let clock = 1_700_000_000 + rng.below(1_000_000);
  while (at < PAGE_SIZE) {
    clock += rng.below(5);
    const service = rng.pick(SERVICES);
    let line = `${clock}.${String(rng.below(1000)).padStart(3, "0")} host ${service}[${100 + rng.below(4000)}]:`;
    const n = 4 + rng.below(10);
    for (let w = 0; w < n; w++)
      line += ` ${rng.below(8) === 0 ? rng.below(100000) : rng.pick(WORDS)}`;
    at = ascii(`${line}\n`, page, at);
  }
  return page;
}

/** Source-code-like text: indented lines with a small vocabulary. */
export function codeTextPage(seed: number): Uint8Array {
  const rng = new TestPrng(seed);
  const page = new Uint8Array(PAGE_SIZE);
  let at = 0;
  let depth = 0;
  while (at < PAGE_SIZE) {
    const a = rng.pick(WORDS);
    const b = rng.pick(WORDS);
    const forms = [
      `if (${a}_${b} > ${rng.below(64)}) {`,
      `${a}->${b} = ${b}_${rng.pick(WORDS)}(${a}, ${rng.below(4096)});`,
      `return -E${b.toUpperCase()};`,
      "}",
      `/* ${a} ${b} ${rng.pick(WORDS)} */`,
      `static int ${a}_${b}(struct ${rng.pick(WORDS)} *${a})`,
    ];
    const line = forms[rng.below(forms.length)] as string;
    if (line === "}") depth = Math.max(0, depth - 1);
    at = ascii(`${"\t".repeat(depth)}${line}\n`, page, at);
    if (line.endsWith("{")) depth = Math.min(4, depth + 1);
  }
  return page;
}

/**
 * An ELF-executable-like page: an ELF64 header and program headers, then x86-64-like code
 * (prologues, calls with varying targets, moves with varying immediates, nop padding), then
 * a symbol table (24-byte Elf64_Sym records) and a string table.
 */
export function elfPage(seed: number): Uint8Array {
  const rng = new TestPrng(seed);
  const page = new Uint8Array(PAGE_SIZE);
  const dv = new DataView(page.buffer);
  page.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // \x7fELF, 64-bit, LE, version 1
  dv.setUint16(16, 3, true); // ET_DYN
  dv.setUint16(18, 0x3e, true); // EM_X86_64
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, 0x1040n, true); // e_entry
  dv.setBigUint64(32, 64n, true); // e_phoff
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 8, true);
  for (let i = 0; i < 8; i++) {
    const ph = 64 + i * 56;
    dv.setUint32(ph, [6, 3, 1, 1, 1, 2, 4, 0x6474e551][i] as number, true);
    dv.setUint32(ph + 4, 4 + (i & 1), true);
    dv.setBigUint64(ph + 8, BigInt(i * 0x1000), true);
    dv.setBigUint64(ph + 16, BigInt(i * 0x1000), true);
    dv.setBigUint64(ph + 32, BigInt(0x100 + rng.below(0x4000)), true);
    dv.setBigUint64(ph + 48, 0x1000n, true);
  }
  let at = 64 + 8 * 56;
  const codeEnd = 2600;
  while (at < codeEnd - 16) {
    switch (rng.below(6)) {
      case 0: // push rbp; mov rbp, rsp; sub rsp, imm8
        page.set([0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, rng.below(16) * 8], at);
        at += 8;
        break;
      case 1: // call rel32
        page[at] = 0xe8;
        dv.setInt32(at + 1, rng.below(0x8000) - 0x4000, true);
        at += 5;
        break;
      case 2: // mov eax, imm32
        page[at] = 0xb8;
        dv.setUint32(at + 1, rng.below(8) === 0 ? rng.next32() : rng.below(256), true);
        at += 5;
        break;
      case 3: // mov rdi, [rbp-disp8]; test rax, rax
        page.set([0x48, 0x8b, 0x7d, (0x100 - rng.below(16) * 8) & 0xff, 0x48, 0x85, 0xc0], at);
        at += 7;
        break;
      case 4: // leave; ret; nop padding to 16
        page.set([0xc9, 0xc3], at);
        at += 2;
        while (at % 16 !== 0) page[at++] = 0x90;
        break;
      default: // jcc rel8
        page.set([0x74 + rng.below(4), rng.below(0x80)], at);
        at += 2;
    }
  }
  at = codeEnd;
  let name = 1;
  while (at + 24 <= 3600) {
    dv.setUint32(at, name, true); // st_name
    page[at + 4] = 0x12; // STB_GLOBAL | STT_FUNC
    dv.setUint16(at + 6, 14, true); // st_shndx
    dv.setBigUint64(at + 8, BigInt(0x1000 + rng.below(0x10000)), true);
    dv.setBigUint64(at + 16, BigInt(rng.below(512)), true);
    name += 8 + rng.below(12);
    at += 24;
  }
  while (at < PAGE_SIZE) {
    at = ascii(`${rng.pick(WORDS)}_${rng.pick(WORDS)}`, page, at);
    if (at < PAGE_SIZE) page[at++] = 0;
  }
  return page;
}

/** Mostly zero, with sparse small structures (a heap or page-table-like page). */
export function sparsePage(seed: number): Uint8Array {
  const rng = new TestPrng(seed);
  const page = new Uint8Array(PAGE_SIZE);
  const dv = new DataView(page.buffer);
  for (let at = 0; at < PAGE_SIZE; at += 64) {
    if (rng.below(3) !== 0) continue;
    dv.setBigUint64(at, BigInt(0x7f0000000000 + rng.below(0x1000000) * 4096), true);
    dv.setUint32(at + 8, rng.below(1000), true);
    dv.setUint32(at + 12, 1, true);
  }
  return page;
}

/** Every unsigned long the same: what zswap's same-filled page check looks for. */
export function sameFilledPage(pattern: bigint): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  const dv = new DataView(page.buffer);
  for (let at = 0; at < PAGE_SIZE; at += 8) dv.setBigUint64(at, pattern, true);
  return page;
}

export function zeroPage(): Uint8Array {
  return new Uint8Array(PAGE_SIZE);
}

/** Incompressible: PRNG output. */
export function randomPage(seed: number): Uint8Array {
  const rng = new TestPrng(seed);
  const page = new Uint8Array(PAGE_SIZE);
  const dv = new DataView(page.buffer);
  for (let at = 0; at < PAGE_SIZE; at += 4) dv.setUint32(at, rng.next32(), true);
  return page;
}

/** The fixed test set, by name (order is the order of the pinned table). */
export function fixedPages(): ReadonlyMap<string, Uint8Array> {
  return new Map([
    ["text", textPage(1)],
    ["elf", elfPage(2)],
    ["same-filled", sameFilledPage(0xdeadbeefcafef00dn)],
    ["zero", zeroPage()],
    ["random", randomPage(3)],
  ]);
}

/**
 * `count` distinct pages of mixed realistic content for the benchmark: 35% log text, 15% source
 * text, 35% ELF-like binary, 10% sparse, 5% random (incompressible).
 */
export function mixedPages(count: number, seed = 42): Uint8Array[] {
  const pages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const s = seed * 100_003 + i;
    const k = i % 20;
    if (k < 7) pages.push(textPage(s));
    else if (k < 10) pages.push(codeTextPage(s));
    else if (k < 17) pages.push(elfPage(s));
    else if (k < 19) pages.push(sparsePage(s));
    else pages.push(randomPage(s));
  }
  return pages;
}

/**
 * Inputs a compressor meets, for property tests: random bytes, repeated phrases, and runs of
 * one byte, of any length up to a few KiB.
 */
export const compressorInputs = fc.oneof(
  fc.uint8Array({ maxLength: 5000 }),
  fc
    .tuple(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(7), { maxLength: 4000 }),
    )
    .map(([words, picks]) =>
      Uint8Array.from(picks.flatMap((i) => [...(words[i % words.length] as Uint8Array)])),
    ),
  fc
    .array(fc.tuple(fc.nat(255), fc.integer({ min: 1, max: 600 })), { maxLength: 40 })
    .map((runs) => Uint8Array.from(runs.flatMap(([b, n]) => new Array<number>(n).fill(b)))),
);
