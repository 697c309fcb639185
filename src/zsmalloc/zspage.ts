/**
 * zspage internals of mm/zsmalloc.c: fullness groups and their lists, zspage allocation and
 * initialisation, the in-object free list, obj_malloc() and obj_free().
 *
 * Objects of class size S sit back to back in the zspage's pages: object i starts at byte i * S
 * of the chain and may run on into the next page. A non-huge object's first 8 bytes
 * (ZS_HANDLE_SIZE) are its header: word 0 is the free-list link (next << 1) while free and
 * slot << 1 | OBJ_ALLOCATED_TAG while allocated (the kernel stores the handle there, we store
 * the handle's slot); word 1 holds the meta word (size, length written). Class sizes are
 * multiples of 16, so a header never straddles a page. A huge object (one per page) has no
 * header: its data starts at byte 0 and its meta word lives in zsFreeobj (the kernel keeps the
 * handle in page->index for the same reason).
 */

import { PAGE_SHIFT, PAGE_SIZE } from "../kernel/page.ts";
import { CHUNK_MASK, CHUNK_SHIFT } from "./page_arena.ts";
import {
  ALLOC_GROUPS_MASK,
  NR_CLASS_STAT_TYPES,
  NR_FULLNESS_GROUPS,
  OBJ_ALLOCATED_TAG,
  OBJ_META_SHIFT,
  ZS_INUSE_RATIO_0,
  ZS_INUSE_RATIO_100,
  ZS_OBJS_ALLOCATED,
  type ZsPool,
} from "./pool.ts";

// ---------------------------------------------------------------------------------------------
// Fullness groups
// ---------------------------------------------------------------------------------------------

/** get_fullness_group(): 0, 100, or ratio / 10 + 1 with ratio = 100 * inuse / objs_per_zspage. */
export function getFullnessGroup(inuse: number, objsPerZspage: number): number {
  if (inuse === 0) return ZS_INUSE_RATIO_0;
  if (inuse === objsPerZspage) return ZS_INUSE_RATIO_100;
  const ratio = Math.floor((100 * inuse) / objsPerZspage);
  return Math.floor(ratio / 10) + 1;
}

/** insert_zspage(): list_add() at the head of fullness_list[fg], and count it. */
export function insertZspage(pool: ZsPool, cls: number, z: number, fg: number): void {
  const row = pool.rowFor(cls);
  pool.stats[row * NR_CLASS_STAT_TYPES + fg]! += 1;
  const at = row * NR_FULLNESS_GROUPS + fg;
  const head = pool.fullnessHead[at]!;
  pool.zsPrev[z] = -1;
  pool.zsNext[z] = head;
  if (head >= 0) pool.zsPrev[head] = z;
  pool.fullnessHead[at] = z;
  pool.zsFullness[z] = fg;
  pool.fullnessMask[row]! |= 1 << fg;
}

/** remove_zspage(): unlink from fullness_list[zspage->fullness], and uncount it. */
export function removeZspage(pool: ZsPool, cls: number, z: number): void {
  const fg = pool.zsFullness[z]!;
  const row = pool.rowOf(cls);
  const at = row * NR_FULLNESS_GROUPS + fg;
  const prev = pool.zsPrev[z]!;
  const next = pool.zsNext[z]!;
  if (prev < 0 && pool.fullnessHead[at] !== z) {
    throw new Error(`zsmalloc: zspage ${z} is not on class ${cls}'s fullness list ${fg}`);
  }
  if (prev >= 0) pool.zsNext[prev] = next;
  else pool.fullnessHead[at] = next;
  if (next >= 0) pool.zsPrev[next] = prev;
  pool.zsPrev[z] = -1;
  pool.zsNext[z] = -1;
  if (pool.fullnessHead[at] === -1) pool.fullnessMask[row]! &= ~(1 << fg);
  pool.stats[row * NR_CLASS_STAT_TYPES + fg]! -= 1;
}

/** fix_fullness_group(): move the zspage to the list its usage now calls for. */
export function fixFullnessGroup(pool: ZsPool, cls: number, z: number): number {
  const fg = getFullnessGroup(pool.zsInuse[z]!, pool.table.objsPerZspage[cls]!);
  if (fg !== pool.zsFullness[z]) {
    removeZspage(pool, cls, z);
    insertZspage(pool, cls, z, fg);
  }
  return fg;
}

/** find_get_zspage(): the first zspage of the fullest non-full group (99% down to 0%), or -1. */
export function findGetZspage(pool: ZsPool, cls: number): number {
  const row = pool.rowOf(cls);
  const mask = pool.fullnessMask[row]! & ALLOC_GROUPS_MASK;
  if (mask === 0) return -1;
  const fg = 31 - Math.clz32(mask);
  return pool.fullnessHead[row * NR_FULLNESS_GROUPS + fg]!;
}

// ---------------------------------------------------------------------------------------------
// Pages of a zspage
// ---------------------------------------------------------------------------------------------

/** The n-th page of zspage z (get_next_page() n times from the first page). */
export function zspagePage(pool: ZsPool, z: number, n: number): number {
  let p = pool.zsFirstPage[z]!;
  const link = pool.arena.link;
  for (let i = 0; i < n; i++) p = link[p]!;
  return p;
}

/** Index into the chunk's Int32Array of the header of object objIdx (class size csize). */
function headerWord(pool: ZsPool, z: number, objIdx: number, csize: number): number {
  const offset = objIdx * csize;
  const p = zspagePage(pool, z, offset >>> PAGE_SHIFT);
  headerChunk = p >>> CHUNK_SHIFT;
  return (((p & CHUNK_MASK) << PAGE_SHIFT) | (offset & (PAGE_SIZE - 1))) >>> 2;
}
/** Chunk of the last headerWord() result (a module-level out-parameter, to avoid allocation). */
let headerChunk = 0;

// ---------------------------------------------------------------------------------------------
// zspage lifecycle
// ---------------------------------------------------------------------------------------------

/**
 * alloc_zspage() + create_page_chain() + init_zspage(): a zspage of class cls with every object
 * on its free list (0 -> 1 -> ... -> n-1), not yet on any fullness list. Returns -1 when the
 * pool's page limit or the arena says no.
 */
export function allocZspage(pool: ZsPool, cls: number): number {
  const t = pool.table;
  const ppz = t.pagesPerZspage[cls]!;
  if (pool.pagesAllocated + ppz > pool.maxPages) return -1;
  const arena = pool.arena;
  let first = -1;
  let last = -1;
  for (let i = 0; i < ppz; i++) {
    const p = arena.allocPage();
    if (p < 0) {
      for (let q = first; q >= 0; ) {
        const next = arena.link[q]!;
        arena.freePage(q);
        q = next;
      }
      return -1;
    }
    if (last >= 0) arena.link[last] = p;
    else first = p;
    last = p;
  }
  const z = pool.allocZspageId();
  pool.zsClass[z] = cls;
  pool.zsFullness[z] = ZS_INUSE_RATIO_0;
  pool.zsInuse[z] = 0;
  pool.zsFreeobj[z] = 0;
  pool.zsPrev[z] = -1;
  pool.zsNext[z] = -1;
  pool.zsFirstPage[z] = first;
  if (t.huge[cls] === 0) initFreeList(pool, z, t.size[cls]!, t.objsPerZspage[cls]!);
  return z;
}

/** init_zspage(): link every object into the free list, walking the pages once. */
function initFreeList(pool: ZsPool, z: number, csize: number, objs: number): void {
  const { words, link } = pool.arena;
  let p = pool.zsFirstPage[z]!;
  let pageStart = 0;
  let w = words[p >>> CHUNK_SHIFT]!;
  let base = (p & CHUNK_MASK) << (PAGE_SHIFT - 2);
  for (let i = 0, offset = 0; i < objs; i++, offset += csize) {
    if (offset - pageStart >= PAGE_SIZE) {
      p = link[p]!;
      pageStart += PAGE_SIZE;
      w = words[p >>> CHUNK_SHIFT]!;
      base = (p & CHUNK_MASK) << (PAGE_SHIFT - 2);
    }
    w[base + ((offset - pageStart) >>> 2)] = i + 1 < objs ? (i + 1) << 1 : -1 << 1;
  }
}

/** free_zspage() + __free_zspage(): the zspage is empty and on the ZS_INUSE_RATIO_0 list. */
export function freeZspage(pool: ZsPool, cls: number, z: number): void {
  if (pool.zsInuse[z] !== 0 || pool.zsFullness[z] !== ZS_INUSE_RATIO_0) {
    throw new Error(`zsmalloc: freeing zspage ${z} with ${pool.zsInuse[z]} objects in use`);
  }
  removeZspage(pool, cls, z);
  const arena = pool.arena;
  for (let p = pool.zsFirstPage[z]!; p >= 0; ) {
    const next = arena.link[p]!;
    arena.freePage(p);
    p = next;
  }
  pool.freeZspageId(z);
  pool.stats[pool.rowOf(cls) * NR_CLASS_STAT_TYPES + ZS_OBJS_ALLOCATED]! -=
    pool.table.objsPerZspage[cls]!;
  pool.pagesAllocated -= pool.table.pagesPerZspage[cls]!;
}

// ---------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------

/**
 * obj_malloc(): take the head of zspage z's free list for handle slot `slot`, record the
 * allocated size in the meta word, and point the handle at it (record_obj()).
 */
export function objMalloc(pool: ZsPool, z: number, slot: number, meta: number): number {
  const cls = pool.zsClass[z]!;
  const obj = pool.zsFreeobj[z]!;
  if (pool.table.huge[cls] !== 0) {
    pool.zsFreeobj[z] = meta;
  } else {
    const wi = headerWord(pool, z, obj, pool.table.size[cls]!);
    const w = pool.arena.words[headerChunk]!;
    pool.zsFreeobj[z] = w[wi]! >> 1;
    w[wi] = (slot << 1) | OBJ_ALLOCATED_TAG;
    w[wi + 1] = meta;
  }
  pool.zsInuse[z]! += 1;
  pool.handles.loc[slot] = z;
  pool.handles.idx[slot] = obj;
  return obj;
}

/** obj_free(): push object objIdx of zspage z back on its free list. */
export function objFree(pool: ZsPool, z: number, objIdx: number): void {
  const cls = pool.zsClass[z]!;
  if (pool.table.huge[cls] !== 0) {
    pool.zsFreeobj[z] = 0;
  } else {
    const wi = headerWord(pool, z, objIdx, pool.table.size[cls]!);
    pool.arena.words[headerChunk]![wi] = pool.zsFreeobj[z]! << 1;
    pool.zsFreeobj[z] = objIdx;
  }
  pool.zsInuse[z]! -= 1;
}

/**
 * obj_allocated(): the handle slot stored in object objIdx of non-huge zspage z, or -1 if the
 * object is free.
 */
export function objAllocatedSlot(pool: ZsPool, z: number, objIdx: number): number {
  const wi = headerWord(pool, z, objIdx, pool.table.size[pool.zsClass[z]!]!);
  const word = pool.arena.words[headerChunk]![wi]!;
  return (word & OBJ_ALLOCATED_TAG) !== 0 ? word >>> 1 : -1;
}

/** The meta word (size << OBJ_META_SHIFT | len) of a live object. */
export function objMeta(pool: ZsPool, z: number, objIdx: number): number {
  const cls = pool.zsClass[z]!;
  if (pool.table.huge[cls] !== 0) return pool.zsFreeobj[z]!;
  const wi = headerWord(pool, z, objIdx, pool.table.size[cls]!);
  return pool.arena.words[headerChunk]![wi + 1]!;
}

export function packMeta(size: number, len: number): number {
  return (size << OBJ_META_SHIFT) | len;
}
