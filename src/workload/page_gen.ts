/**
 * Generated contents of text and bin pages: English-like prose, C-source-like text and
 * ELF-like binary data (machine code, relocation, symbol and string tables, data), made from
 * the seeded Rng alone. The same seed gives the same bytes on every machine and Node version:
 * integer arithmetic, IEEE-exact divisions and table look-ups; no Math.log/exp, no file.
 *
 * The generators stand in for windows of real files (licenses and C headers; /usr/bin and
 * shared libraries). Their parameters were tuned so that one page compresses about as well as
 * a window of the real thing with lz4 and zstd; docs/corpus.md has the measurements. They are
 * a model of compressibility, not of content: nothing parses these pages.
 */
import type { Rng } from "../util/rng.ts";

/** Bumped whenever a generator's output changes (the manifest records it). */
export const PAGE_GEN_VERSION = 1;

/** What the manifest says the text and bin pages are. */
export const PAGE_GEN_SOURCES = {
  text: `generated v${PAGE_GEN_VERSION}: English-like prose (1 page in 3) and C-source-like text`,
  bin: `generated v${PAGE_GEN_VERSION}: ELF-like code, relocations, symbols, strings and data`,
} as const;

/** Appends bytes to a page; writes past the end are dropped (a window cut at the page end). */
class PageWriter {
  at: number;
  constructor(
    readonly dst: Uint8Array,
    start: number,
  ) {
    this.at = start;
  }
  get full(): boolean {
    return this.at >= this.dst.length;
  }
  byte(b: number): void {
    if (this.at >= 0 && this.at < this.dst.length) this.dst[this.at] = b & 0xff;
    this.at++;
  }
  str(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }
  /** Repeats `len` bytes from `dist` back (a phrase said again); spaces before the page. */
  copyBack(dist: number, len: number): void {
    for (let i = 0; i < len; i++) {
      const from = this.at - dist;
      this.byte(from >= 0 && from < this.dst.length ? (this.dst[from] as number) : 0x20);
    }
  }
  le(v: number, n: number): void {
    for (let i = 0; i < n; i++) this.byte(i < 4 ? v >>> (8 * i) : 0);
  }
}

/** A table of words drawn with a Zipf-like 1/rank weight (divisions only: IEEE-exact). */
class Zipf {
  private readonly cumulative: number[] = [];
  constructor(readonly words: readonly string[]) {
    let sum = 0;
    for (let r = 1; r <= words.length; r++) this.cumulative.push((sum += 1 / r));
  }
  draw(rng: Rng): string {
    const c = this.cumulative;
    const x = (rng.next32() / 0x100000000) * (c[c.length - 1] as number);
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((c[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return this.words[lo] as string;
  }
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

const ENGLISH = new Zipf(
  (
    "the of and to a in is that for or any this be by as software it with not you license " +
    "are may under copyright from terms on such all work which an program other use code " +
    "at if its without we has have distribution conditions source permission provided can " +
    "will these one each must those more also notice warranty following holders no their " +
    "been so but when only then into file version free public general gnu modify rights " +
    "including limited copies distribute merchantability fitness particular purpose " +
    "contributors liability damages author authors modified form object documentation " +
    "library data system memory page kernel process user time number value part first " +
    "however whether either both between same another used made where there would should"
  ).split(" "),
);

/** Fills `dst` with English-like prose: sentences of Zipf-drawn words, lines of at most 72. */
export function fillProse(rng: Rng, dst: Uint8Array): void {
  const w = new PageWriter(dst, -rng.below(512));
  let col = 0;
  let sentenceLeft = 0;
  for (let round = 0; !w.full && round < dst.length + 512; round++) {
    if (w.at > 256 && rng.below(3) === 0) {
      // Prose repeats phrases ("of this license", "the software"): copy one from earlier.
      const len = 8 + rng.below(32);
      w.copyBack(len + rng.below(Math.min(w.at, 2048) - len), len);
      col += len;
    }
    let word = ENGLISH.draw(rng);
    if (sentenceLeft === 0) {
      sentenceLeft = 6 + rng.below(18);
      word = word.charAt(0).toUpperCase() + word.slice(1);
    }
    if (--sentenceLeft === 0) word += rng.below(6) === 0 ? ".\n" : ".";
    else if (rng.below(12) === 0) word += ",";
    if (col + word.length + 1 > 72) {
      w.byte(0x0a);
      col = 0;
    }
    if (col > 0) w.byte(0x20);
    w.str(word);
    col = word.endsWith("\n") ? 0 : col + word.length + 1;
  }
}

const C_PARTS = (
  "buf len size flags dev net sock addr type data info name mode count state ctx page " +
  "map list node entry offset index id attr ops func value mask lock queue hdr desc"
).split(" ");
const C_PREFIXES =
  "xt ip tcp drm snd usb pci v4l2 nfs ext4 sched bpf io mmc spi i2c hid kvm virtio".split(" ");
const C_TYPES = new Zipf(
  (
    "int|unsigned int|char *|void *|size_t|__u32|__u16|__u8|__u64|long|struct list_head|" +
    "uint32_t|uint8_t|const char *|unsigned long|bool"
  ).split("|"),
);
const C_COMMENTS = new Zipf(
  (
    "the of to a is in for this and be value if used by number set when must " +
    "returns pointer buffer size flags structure field bytes default"
  ).split(" "),
);

/** One C identifier in the page's namespace: prefix, then one to three parts. */
function cNewIdent(rng: Rng, prefix: string): string {
  let s = prefix;
  const n = 1 + rng.below(3);
  for (let i = 0; i < n; i++) s += `_${C_PARTS[rng.below(C_PARTS.length)] as string}`;
  return s;
}

/**
 * Headers name the same few things again and again: most identifiers come from a small pool.
 * Module state, but emptied at the start of every page that uses it (fillCSource, fillStrtab),
 * so a page depends only on the Rng's state.
 */
const identPool: string[] = [];
function cIdent(rng: Rng, prefix: string): string {
  if (identPool.length > 0 && rng.below(4) !== 0)
    return identPool[rng.below(identPool.length)] as string;
  const s = cNewIdent(rng, prefix);
  if (identPool.length < 16) identPool.push(s);
  else identPool[rng.below(16)] = s;
  return s;
}

function hex(rng: Rng, digits: number): string {
  let s = "";
  for (let i = 0; i < digits; i++) s += "0123456789abcdef"[rng.below(16)] as string;
  return s;
}

function cComment(rng: Rng, w: PageWriter, indent: string): void {
  w.str(`${indent}/* `);
  const n = 3 + rng.below(9);
  for (let i = 0; i < n; i++) w.str(`${i > 0 ? " " : ""}${C_COMMENTS.draw(rng)}`);
  w.str(" */\n");
}

function cStruct(rng: Rng, w: PageWriter, prefix: string): void {
  w.str(`struct ${cIdent(rng, prefix)} {\n`);
  const n = 2 + rng.below(8);
  for (let i = 0; i < n; i++) {
    if (rng.below(4) === 0) cComment(rng, w, "\t");
    w.str(`\t${C_TYPES.draw(rng)} ${cIdent(rng, prefix).slice(prefix.length + 1)};\n`);
  }
  w.str("};\n\n");
}

function cDefines(rng: Rng, w: PageWriter, prefix: string): void {
  const base = cIdent(rng, prefix.toUpperCase()).toUpperCase();
  const n = 2 + rng.below(10);
  const step = rng.below(3);
  for (let i = 0; i < n; i++) {
    const v = step === 0 ? `0x${hex(rng, 1 + rng.below(4))}` : step === 1 ? `(1 << ${i})` : `${i}`;
    w.str(
      `#define ${base}_${(C_PARTS[rng.below(C_PARTS.length)] as string).toUpperCase()}\t${v}\n`,
    );
  }
  w.byte(0x0a);
}

function cPrototype(rng: Rng, w: PageWriter, prefix: string): void {
  w.str(`extern ${C_TYPES.draw(rng)} ${cIdent(rng, prefix)}(`);
  const n = 1 + rng.below(4);
  for (let i = 0; i < n; i++) {
    w.str(
      `${i > 0 ? ", " : ""}${C_TYPES.draw(rng)} ${C_PARTS[rng.below(C_PARTS.length)] as string}`,
    );
  }
  w.str(rng.below(2) === 0 ? ") __THROW;\n" : ");\n");
}

/** Fills `dst` with C-header-like text: structs, #defines, prototypes, comments. */
export function fillCSource(rng: Rng, dst: Uint8Array): void {
  const w = new PageWriter(dst, -rng.below(512));
  const prefix = C_PREFIXES[rng.below(C_PREFIXES.length)] as string;
  identPool.length = 0;
  for (let round = 0; !w.full && round < dst.length; round++) {
    const r = rng.below(10);
    if (r < 3) cStruct(rng, w, prefix);
    else if (r < 6) cDefines(rng, w, prefix);
    else if (r < 9) cPrototype(rng, w, prefix);
    else cComment(rng, w, "");
  }
}

/** A text page: prose one time in three, C-source-like text otherwise (headers dominate /usr). */
export function fillTextPage(rng: Rng, dst: Uint8Array): void {
  if (rng.below(3) === 0) fillProse(rng, dst);
  else fillCSource(rng, dst);
}

// ---------------------------------------------------------------------------------------------
// Binary
// ---------------------------------------------------------------------------------------------

/**
 * x86-64-like instruction templates: opcode bytes, then the immediate or displacement width.
 * Frequent short forms first (drawn with a 1/rank weight), as in compiled code.
 */
const INSNS: ReadonlyArray<readonly [readonly number[], number]> = [
  [[0x48, 0x89, 0xc7], 0], // mov rdi, rax
  [[0x48, 0x8b, 0x45], 1], // mov rax, [rbp+d8]
  [[0xe8], 4], // call rel32
  [[0x48, 0x89, 0x45], 1], // mov [rbp+d8], rax
  [[0x74], 1], // je rel8
  [[0x85, 0xc0], 0], // test eax, eax
  [[0x48, 0x8d, 0x05], 4], // lea rax, [rip+d32]
  [[0xeb], 1], // jmp rel8
  [[0x31, 0xc0], 0], // xor eax, eax
  [[0x48, 0x83, 0xc4], 1], // add rsp, imm8
  [[0x75], 1], // jne rel8
  [[0x41, 0x5c], 0], // pop r12
  [[0xc3], 0], // ret
  [[0x55], 0], // push rbp
  [[0x48, 0x89, 0xe5], 0], // mov rbp, rsp
  [[0xb8], 4], // mov eax, imm32
  [[0x0f, 0x84], 4], // je rel32
  [[0x8b, 0x43], 1], // mov eax, [rbx+d8]
  [[0x48, 0x8b, 0x3d], 4], // mov rdi, [rip+d32]
  [[0x0f, 0x1f, 0x44, 0x00, 0x00], 0], // nop
];
const INSN_CUMULATIVE = new Zipf(INSNS.map((_, i) => String(i)));

function fillCode(rng: Rng, w: PageWriter, end: number): void {
  for (let round = 0; w.at < end && round < 4096; round++) {
    const [op, imm] = INSNS[Number(INSN_CUMULATIVE.draw(rng))] as readonly [number[], number];
    for (const b of op) w.byte(b);
    // Displacements are small and often repeat (stack slots); rel32s are not.
    if (imm === 1) w.byte(rng.below(4) === 0 ? rng.next32() : 0xf8 - 8 * rng.below(6));
    else if (imm === 4) w.le(rng.below(2) === 0 ? rng.next32() : rng.next32() & 0xffff, 4);
  }
}

/** Elf64_Rela: r_offset (increasing by 8), r_info (symbol << 32 | type), r_addend. */
function fillRela(rng: Rng, w: PageWriter, end: number): void {
  let off = rng.next32() & 0x3ffff8;
  for (let round = 0; w.at < end && round < 1024; round++) {
    off += 8 * (1 + (rng.below(4) === 0 ? rng.below(16) : 0));
    w.le(off, 4);
    w.le(0, 4);
    const type = rng.below(3) === 0 ? 6 : 8; // R_X86_64_GLOB_DAT or R_X86_64_RELATIVE
    w.le(type, 4);
    w.le(type === 8 ? 0 : rng.below(600), 4);
    w.le(type === 8 ? rng.next32() & 0x3ffff0 : 0, 8);
  }
}

/** Elf64_Sym: st_name, st_info, st_other, st_shndx, st_value, st_size. */
function fillSymtab(rng: Rng, w: PageWriter, end: number): void {
  let name = rng.below(0x8000);
  let value = rng.next32() & 0x3ffff0;
  for (let round = 0; w.at < end && round < 1024; round++) {
    name += 8 + rng.below(40);
    w.le(name, 4);
    w.byte(rng.below(3) === 0 ? 0x11 : 0x12); // GLOBAL OBJECT or GLOBAL FUNC
    w.byte(0);
    w.le(rng.below(4) === 0 ? 0 : 14 + rng.below(4), 2);
    value += 16 * (1 + rng.below(64));
    w.le(rng.below(4) === 0 ? 0 : value, 8);
    w.le(rng.below(2) === 0 ? 0 : rng.below(2048), 8);
  }
}

/** .dynstr: NUL-separated symbol names, version names and library names. */
function fillStrtab(rng: Rng, w: PageWriter, end: number): void {
  const prefix = C_PREFIXES[rng.below(C_PREFIXES.length)] as string;
  identPool.length = 0;
  for (let round = 0; w.at < end && round < 1024; round++) {
    const r = rng.below(8);
    if (r === 0) w.str(`GLIBC_2.${rng.below(40)}`);
    else if (r === 1) w.str(`_ZN${3 + rng.below(9)}${cIdent(rng, prefix)}E`);
    else w.str(cIdent(rng, r === 2 ? `__${prefix}` : prefix));
    w.byte(0);
  }
}

/** .data/.rodata: pointers into the image, small integers, zero runs, constant tables. */
function fillData(rng: Rng, w: PageWriter, end: number): void {
  const base = rng.next32() & 0x3f0000;
  for (let round = 0; w.at < end && round < 4096; round++) {
    const r = rng.below(8);
    if (r < 3) w.le(base + 8 * rng.below(8192), 8);
    else if (r < 5) w.le(rng.below(256), 4);
    else if (r < 7) for (let i = 8 * (1 + rng.below(8)); i > 0; i--) w.byte(0);
    else w.le(rng.next32(), 4);
  }
}

const SECTIONS = [fillCode, fillCode, fillCode, fillCode, fillData, fillData, fillRela, fillSymtab];

/** Fills `dst` with ELF-like bytes: a window over sections of 512 B to 8 KiB each. */
export function fillElfPage(rng: Rng, dst: Uint8Array): void {
  const w = new PageWriter(dst, -rng.below(4096));
  for (let round = 0; !w.full && round < 64; round++) {
    const end = w.at + 512 + rng.below(8192 - 512);
    const r = rng.below(SECTIONS.length + 1);
    const fill = r === SECTIONS.length ? fillStrtab : (SECTIONS[r] as typeof fillCode);
    fill(rng, w, Math.min(end, dst.length));
  }
}
