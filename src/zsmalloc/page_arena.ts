/**
 * The pages under a zsmalloc pool: real 4 KiB pages in ArrayBuffer chunks of CHUNK_PAGES pages.
 *
 * This stands in for alloc_page()/__free_page(): zsmalloc only ever asks for single (0-order)
 * pages and links them into zspages itself. A page number p lives in chunk p >> CHUNK_SHIFT at
 * byte (p & CHUNK_MASK) << PAGE_SHIFT. Allocation prefers the lowest-numbered chunk with a free
 * page, so a shrinking pool drains its high chunks, and a chunk whose pages are all free is given
 * back (its ArrayBuffer dropped) once SPARE_CHUNKS_MAX others are free too: the arena's
 * footprint follows the pool's page count, with at most SPARE_CHUNKS_MAX spare chunks of slack.
 *
 * @example
 * const a = new PageArena();
 * const p = a.allocPage();
 * a.bytes[p >> CHUNK_SHIFT]![(p & CHUNK_MASK) * PAGE_SIZE + 5] = 42;
 * a.freePage(p);
 */
import { PAGE_SIZE } from "../kernel/page.ts";

export const CHUNK_SHIFT = 8;
export const CHUNK_PAGES = 1 << CHUNK_SHIFT; // 256 pages = 1 MiB
export const CHUNK_MASK = CHUNK_PAGES - 1;
/**
 * A new chunk's buffer starts with this many pages and doubles when a page beyond it is handed
 * out, so a small pool (the model checker creates thousands of them) costs 32 KiB, not 1 MiB
 * (8 pages: the checker's one zspage of test pages then needs no growth).
 * Pages are popped in ascending order from a fresh chunk, so growth is by appending.
 */
const CHUNK_INITIAL_PAGES = 8;
/**
 * Empty chunks kept for reuse (8 MiB at most; never more than the pool once used). The buddy
 * allocator hands a freed page out again at no cost; a dropped chunk costs a new zero-filled
 * ArrayBuffer, its page faults and the garbage collector's external-memory work when the pool
 * grows back. A pool that empties and refills (the run bench's 2,048 pages, 5 chunks, every
 * round) paid that on every page it stored with one spare chunk kept (issue 17).
 */
export const SPARE_CHUNKS_MAX = 8;
/** Page numbers fit an int32 with room to spare: 2^31 pages would be 8 TiB. */
const CHUNKS_MAX = 1 << (31 - CHUNK_SHIFT);

export class PageArena {
  /** Per chunk: its bytes, or undefined once given back. */
  bytes: (Uint8Array | undefined)[] = [];
  /** Per chunk: an Int32Array view of the same bytes (object headers are two int32 words). */
  words: (Int32Array | undefined)[] = [];
  /** Per page: the next page of the same zspage, or -1 (the kernel keeps it in page->index). */
  link: Int32Array = new Int32Array(CHUNK_PAGES);
  /** Pages handed out and not yet freed. */
  pagesInUse = 0;
  /** Per chunk: number of free pages, and a stack of their in-chunk indices. */
  private freeCount: Int32Array = new Int32Array(1);
  private freeStack: Uint8Array = new Uint8Array(CHUNK_PAGES);
  /** Bit c set: chunk c is present and has a free page. */
  private hasFree: Int32Array = new Int32Array(1);
  /** Present chunks whose pages are all free, kept to absorb alloc/free jitter. */
  private spares = 0;
  /** Per chunk: pages its buffer holds now (CHUNK_INITIAL_PAGES .. CHUNK_PAGES). */
  private capacity: Int32Array = new Int32Array(1);

  /** Bytes of page memory the arena holds (present chunks' buffers), whether in use or not. */
  bytesReserved(): number {
    let pages = 0;
    for (let c = 0; c < this.bytes.length; c++)
      if (this.bytes[c] !== undefined) pages += this.capacity[c]!;
    return pages * PAGE_SIZE;
  }

  /** Allocates one page; returns its number, or -1 when the arena cannot grow. */
  allocPage(): number {
    let c = this.lowestChunkWithFreePage();
    if (c < 0) {
      c = this.addChunk();
      if (c < 0) return -1;
    }
    const n = this.freeCount[c]! - 1;
    this.freeCount[c] = n;
    if (n === 0) this.hasFree[c >>> 5]! &= ~(1 << (c & 31));
    if (n === CHUNK_PAGES - 1) this.spares--;
    this.pagesInUse++;
    const i = this.freeStack[(c << CHUNK_SHIFT) + n]!;
    if (i >= this.capacity[c]!) this.growChunk(c, i + 1);
    const p = (c << CHUNK_SHIFT) | i;
    this.link[p] = -1;
    return p;
  }

  freePage(p: number): void {
    const c = p >>> CHUNK_SHIFT;
    const n = this.freeCount[c]!;
    if (this.bytes[c] === undefined || n >= CHUNK_PAGES) {
      throw new Error(`PageArena: freeing page ${p}, which is not allocated`);
    }
    this.freeStack[(c << CHUNK_SHIFT) + n] = p & CHUNK_MASK;
    this.freeCount[c] = n + 1;
    this.hasFree[c >>> 5]! |= 1 << (c & 31);
    this.pagesInUse--;
    if (n + 1 === CHUNK_PAGES) this.chunkEmptied(c);
  }

  /** Drops every chunk. */
  destroy(): void {
    this.bytes = [];
    this.words = [];
    this.link = new Int32Array(0);
    this.freeCount = new Int32Array(0);
    this.capacity = new Int32Array(0);
    this.freeStack = new Uint8Array(0);
    this.hasFree = new Int32Array(0);
    this.pagesInUse = 0;
    this.spares = 0;
  }

  private lowestChunkWithFreePage(): number {
    const bits = this.hasFree;
    for (let w = 0; w < bits.length; w++) {
      const x = bits[w]!;
      if (x !== 0) return (w << 5) + (31 - Math.clz32(x & -x));
    }
    return -1;
  }

  /** Keeps up to SPARE_CHUNKS_MAX empty chunks as spares; past that, gives back the highest. */
  private chunkEmptied(c: number): void {
    if (++this.spares <= SPARE_CHUNKS_MAX) return;
    let drop = c;
    for (let i = this.bytes.length - 1; i > c; i--) {
      if (this.bytes[i] !== undefined && this.freeCount[i] === CHUNK_PAGES) {
        drop = i;
        break;
      }
    }
    this.spares--;
    this.bytes[drop] = undefined;
    this.words[drop] = undefined;
    this.freeCount[drop] = 0;
    this.hasFree[drop >>> 5]! &= ~(1 << (drop & 31));
  }

  /** Makes a chunk present (reusing the lowest given-back slot) with all pages free. */
  private addChunk(): number {
    let c = this.bytes.indexOf(undefined);
    if (c < 0) {
      c = this.bytes.length;
      if (c >= CHUNKS_MAX) return -1;
      this.bytes.push(undefined);
      this.words.push(undefined);
      this.growPerChunkArrays(c + 1);
    }
    // Only an arena's first chunk starts small: a pool that needs a second chunk is a big one.
    const pages = c === 0 ? CHUNK_INITIAL_PAGES : CHUNK_PAGES;
    const buf = new ArrayBuffer(pages * PAGE_SIZE);
    this.bytes[c] = new Uint8Array(buf);
    this.words[c] = new Int32Array(buf);
    this.capacity[c] = pages;
    const base = c << CHUNK_SHIFT;
    // Pop order is ascending page index, so a fresh chunk fills from its start.
    for (let i = 0; i < CHUNK_PAGES; i++) this.freeStack[base + i] = CHUNK_MASK - i;
    this.freeCount[c] = CHUNK_PAGES;
    this.hasFree[c >>> 5]! |= 1 << (c & 31);
    this.spares++; // all its pages are free until allocPage takes the first
    return c;
  }

  /** Reallocates chunk c's buffer to hold at least `pages` pages (doubling), keeping its bytes. */
  private growChunk(c: number, pages: number): void {
    let cap = this.capacity[c]!;
    while (cap < pages) cap *= 2;
    cap = Math.min(cap, CHUNK_PAGES);
    const buf = new ArrayBuffer(cap * PAGE_SIZE);
    const bytes = new Uint8Array(buf);
    bytes.set(this.bytes[c]!);
    this.bytes[c] = bytes;
    this.words[c] = new Int32Array(buf);
    this.capacity[c] = cap;
  }

  private growPerChunkArrays(chunks: number): void {
    if (this.freeCount.length >= chunks) return;
    const cap = Math.max(chunks, this.freeCount.length * 2);
    this.freeCount = grow(this.freeCount, cap);
    this.capacity = grow(this.capacity, cap);
    const stack = new Uint8Array(cap * CHUNK_PAGES);
    stack.set(this.freeStack);
    this.freeStack = stack;
    const link = new Int32Array(cap * CHUNK_PAGES);
    link.set(this.link);
    this.link = link;
    this.hasFree = grow(this.hasFree, (cap + 31) >>> 5);
  }
}

function grow(a: Int32Array, length: number): Int32Array {
  if (a.length >= length) return a;
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
