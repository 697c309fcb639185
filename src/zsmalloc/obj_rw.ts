/**
 * Copy-in / copy-out access to objects: zs_obj_write() and zs_obj_read_begin()/_end() of
 * v6.16+ (before that, zs_map_object()/zs_unmap_object() with a per-CPU bounce buffer for
 * objects that span two pages). An object's bytes are in the zspage's pages; when they cross a
 * page boundary, they are copied in two pieces, as the kernel does.
 *
 * Each object remembers its allocated size and the length last written (initially the size),
 * so a read returns what was written.
 *
 * @example
 * const h = zsMalloc(pool, 3);
 * zsObjWrite(pool, h, new Uint8Array([1, 2, 3]));
 * const out = new Uint8Array(PAGE_SIZE);
 * zsObjRead(pool, h, out); // 3; out starts 1, 2, 3
 */

import { PAGE_SHIFT, PAGE_SIZE } from "../kernel/page.ts";
import { ZsError } from "./errors.ts";
import { CHUNK_MASK, CHUNK_SHIFT } from "./page_arena.ts";
import { liveSlot, OBJ_META_LEN_MASK, OBJ_META_SHIFT, type ZsPool } from "./pool.ts";
import { ZS_HANDLE_SIZE } from "./size_class.ts";
import { zspagePage } from "./zspage.ts";

// Where the current object's data starts: module-level out-parameters of locate(), so the hot
// paths allocate nothing but the subarray views that the copies need.
let dataPage = 0;
let dataOff = 0;
let metaChunk = 0;
let metaWord = -1;

/** Finds the object of `slot`: sets dataPage/dataOff, and metaChunk/metaWord (-1 if huge). */
function locate(pool: ZsPool, slot: number): void {
  const z = pool.handles.loc[slot]!;
  const cls = pool.zsClass[z]!;
  const t = pool.table;
  if (t.huge[cls] !== 0) {
    dataPage = pool.zsFirstPage[z]!;
    dataOff = 0;
    metaWord = -1;
    return;
  }
  const offset = pool.handles.idx[slot]! * t.size[cls]!;
  const p = zspagePage(pool, z, offset >>> PAGE_SHIFT);
  const off = offset & (PAGE_SIZE - 1);
  dataPage = p;
  dataOff = off + ZS_HANDLE_SIZE; // < PAGE_SIZE: objects start 16-aligned, at most 4080
  metaChunk = p >>> CHUNK_SHIFT;
  metaWord = (((p & CHUNK_MASK) << PAGE_SHIFT) + off + 4) >>> 2;
}

function readMeta(pool: ZsPool, slot: number): number {
  if (metaWord < 0) return pool.zsFreeobj[pool.handles.loc[slot]!]!;
  return pool.arena.words[metaChunk]![metaWord]!;
}

function writeMeta(pool: ZsPool, slot: number, meta: number): void {
  if (metaWord < 0) pool.zsFreeobj[pool.handles.loc[slot]!] = meta;
  else pool.arena.words[metaChunk]![metaWord] = meta;
}

/**
 * zs_obj_write(): copies src[0..len) into the object and records len as its length.
 * Throws ZsError for a stale handle or when len exceeds the allocated size or src.
 */
export function zsObjWrite(
  pool: ZsPool,
  handle: number,
  src: Uint8Array,
  len: number = src.length,
): void {
  const slot = liveSlot(pool, handle, "zsObjWrite");
  locate(pool, slot);
  const meta = readMeta(pool, slot);
  const size = meta >>> OBJ_META_SHIFT;
  if (!(len >= 0 && len <= size && len <= src.length) || !Number.isInteger(len)) {
    throw new ZsError(
      `zsObjWrite: expected length 0..${Math.min(size, src.length)} (object size ${size}, source ${src.length} bytes), got ${len}`,
    );
  }
  const arena = pool.arena;
  const first = Math.min(len, PAGE_SIZE - dataOff);
  const base = ((dataPage & CHUNK_MASK) << PAGE_SHIFT) + dataOff;
  arena.bytes[dataPage >>> CHUNK_SHIFT]!.set(
    first === src.length ? src : src.subarray(0, first),
    base,
  );
  if (len > first) {
    const q = arena.link[dataPage]!;
    arena.bytes[q >>> CHUNK_SHIFT]!.set(src.subarray(first, len), (q & CHUNK_MASK) << PAGE_SHIFT);
  }
  writeMeta(pool, slot, (size << OBJ_META_SHIFT) | len);
}

/**
 * zs_obj_read_begin()/_end() as one copy: copies the object's bytes into dst and returns their
 * number (the length last written). Throws ZsError for a stale handle or a dst too small.
 */
export function zsObjRead(pool: ZsPool, handle: number, dst: Uint8Array): number {
  const slot = liveSlot(pool, handle, "zsObjRead");
  locate(pool, slot);
  const len = readMeta(pool, slot) & OBJ_META_LEN_MASK;
  if (dst.length < len) {
    throw new ZsError(`zsObjRead: expected a buffer of at least ${len} bytes, got ${dst.length}`);
  }
  const arena = pool.arena;
  const first = Math.min(len, PAGE_SIZE - dataOff);
  const base = ((dataPage & CHUNK_MASK) << PAGE_SHIFT) + dataOff;
  dst.set(arena.bytes[dataPage >>> CHUNK_SHIFT]!.subarray(base, base + first), 0);
  if (len > first) {
    const q = arena.link[dataPage]!;
    const qBase = (q & CHUNK_MASK) << PAGE_SHIFT;
    dst.set(arena.bytes[q >>> CHUNK_SHIFT]!.subarray(qBase, qBase + len - first), first);
  }
  return len;
}

/**
 * zs_obj_read_begin(): the object's bytes without a copy when they lie in one page (a view of
 * the page, valid until the next zsmalloc call on this pool: callers must not keep it), or
 * copied into `bounce` when the object spans two pages, as the kernel does with its local copy.
 */
export function zsObjReadBegin(pool: ZsPool, handle: number, bounce: Uint8Array): Uint8Array {
  const slot = liveSlot(pool, handle, "zsObjReadBegin");
  locate(pool, slot);
  const len = readMeta(pool, slot) & OBJ_META_LEN_MASK;
  if (len <= PAGE_SIZE - dataOff) {
    const base = ((dataPage & CHUNK_MASK) << PAGE_SHIFT) + dataOff;
    return pool.arena.bytes[dataPage >>> CHUNK_SHIFT]!.subarray(base, base + len);
  }
  if (bounce.length < len) {
    throw new ZsError(
      `zsObjReadBegin: expected a bounce buffer of at least ${len} bytes, got ${bounce.length}`,
    );
  }
  zsObjRead(pool, handle, bounce);
  return bounce.subarray(0, len);
}

/** The object's length: what zsObjRead() would return. */
export function zsObjLength(pool: ZsPool, handle: number): number {
  const slot = liveSlot(pool, handle, "zsObjLength");
  locate(pool, slot);
  return readMeta(pool, slot) & OBJ_META_LEN_MASK;
}

/** The size the object was allocated with (zs_malloc()'s size argument). */
export function zsObjSize(pool: ZsPool, handle: number): number {
  const slot = liveSlot(pool, handle, "zsObjSize");
  locate(pool, slot);
  return readMeta(pool, slot) >>> OBJ_META_SHIFT;
}
