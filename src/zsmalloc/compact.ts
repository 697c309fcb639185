/**
 * Compaction (zs_compact()): within each class, move objects out of the emptiest zspages into
 * the fullest ones, so that emptied zspages give their pages back. Handles stay valid: each
 * moved object's handle is repointed (record_obj()), which is what handles exist for.
 *
 * Same order as the kernel, so the same zspages empty: classes from the biggest down; in a
 * class, the destination is the first zspage of the fullest partial group (99% down to 10%),
 * the source the first of the emptiest (10% up to 99%); objects move in index order until the
 * destination is full or the source empty, and the loop runs while zs_can_compact() > 0.
 */

import { PAGE_SHIFT, PAGE_SIZE } from "../kernel/page.ts";
import { CHUNK_MASK, CHUNK_SHIFT } from "./page_arena.ts";
import {
  assertLive,
  NR_CLASS_STAT_TYPES,
  NR_FULLNESS_GROUPS,
  OBJ_META_SHIFT,
  ZS_INUSE_RATIO_0,
  ZS_INUSE_RATIO_10,
  ZS_INUSE_RATIO_99,
  ZS_INUSE_RATIO_100,
  ZS_OBJS_ALLOCATED,
  ZS_OBJS_INUSE,
  type ZsPool,
} from "./pool.ts";
import { ZS_HANDLE_SIZE } from "./size_class.ts";
import {
  freeZspage,
  getFullnessGroup,
  insertZspage,
  objAllocatedSlot,
  objFree,
  objMalloc,
  objMeta,
  removeZspage,
  zspagePage,
} from "./zspage.ts";

/** zs_can_compact(): pages that compaction could free in class cls. */
export function zsCanCompact(pool: ZsPool, cls: number): number {
  const at = pool.rowOf(cls) * NR_CLASS_STAT_TYPES;
  const allocated = pool.stats[at + ZS_OBJS_ALLOCATED]!;
  const used = pool.stats[at + ZS_OBJS_INUSE]!;
  if (allocated <= used) return 0;
  const t = pool.table;
  return Math.floor((allocated - used) / t.objsPerZspage[cls]!) * t.pagesPerZspage[cls]!;
}

/** zs_compact(): compacts every class; returns the number of pages freed. */
export function zsCompact(pool: ZsPool): number {
  assertLive(pool, "zsCompact");
  let freed = 0;
  const classes = pool.table.classes;
  for (let i = classes.length - 1; i >= 0; i--) freed += compactClass(pool, classes[i]!);
  pool.pagesCompacted += freed;
  return freed;
}

/** __zs_compact() */
function compactClass(pool: ZsPool, cls: number): number {
  let dst = -1;
  let freed = 0;
  // Each pass frees a zspage or fills the destination, so the loop is bounded by twice the
  // number of zspages in the class.
  while (zsCanCompact(pool, cls) > 0) {
    if (dst < 0) {
      dst = isolateZspage(pool, cls, ZS_INUSE_RATIO_99, ZS_INUSE_RATIO_10);
      if (dst < 0) break;
    }
    const src = isolateZspage(pool, cls, ZS_INUSE_RATIO_10, ZS_INUSE_RATIO_99);
    if (src < 0) break;
    migrateZspage(pool, cls, src, dst);
    if (putbackZspage(pool, cls, src) === ZS_INUSE_RATIO_0) {
      freeZspage(pool, cls, src);
      freed += pool.table.pagesPerZspage[cls]!;
    }
    if (
      getFullnessGroup(pool.zsInuse[dst]!, pool.table.objsPerZspage[cls]!) === ZS_INUSE_RATIO_100
    ) {
      putbackZspage(pool, cls, dst);
      dst = -1;
    }
  }
  if (dst >= 0) putbackZspage(pool, cls, dst);
  return freed;
}

/** isolate_src_zspage() / isolate_dst_zspage(): take the first zspage of groups from..to. */
function isolateZspage(pool: ZsPool, cls: number, from: number, to: number): number {
  const step = from <= to ? 1 : -1;
  for (let fg = from; fg !== to + step; fg += step) {
    const z = pool.fullnessHead[pool.rowOf(cls) * NR_FULLNESS_GROUPS + fg]!;
    if (z >= 0) {
      removeZspage(pool, cls, z);
      return z;
    }
  }
  return -1;
}

/** putback_zspage() */
function putbackZspage(pool: ZsPool, cls: number, z: number): number {
  const fg = getFullnessGroup(pool.zsInuse[z]!, pool.table.objsPerZspage[cls]!);
  insertZspage(pool, cls, z, fg);
  return fg;
}

/** migrate_zspage(): move src's objects, in index order, into dst until one runs out. */
function migrateZspage(pool: ZsPool, cls: number, src: number, dst: number): void {
  const objs = pool.table.objsPerZspage[cls]!;
  for (let idx = 0; idx < objs; idx++) {
    const slot = objAllocatedSlot(pool, src, idx);
    if (slot < 0) continue;
    const meta = objMeta(pool, src, idx);
    const newIdx = objMalloc(pool, dst, slot, meta);
    zsObjectCopy(pool, cls, dst, newIdx, src, idx, ZS_HANDLE_SIZE + (meta >>> OBJ_META_SHIFT));
    objFree(pool, src, idx);
    if (pool.zsInuse[dst] === objs) break;
    if (pool.zsInuse[src] === 0) break;
  }
}

/**
 * zs_object_copy(): copies the first `n` bytes of object (src, srcIdx) to (dst, dstIdx), each
 * of which may cross a page boundary. The kernel copies the whole class size; the bytes past
 * the object's size are unused, so copying its header and data is enough.
 */
function zsObjectCopy(
  pool: ZsPool,
  cls: number,
  dst: number,
  dstIdx: number,
  src: number,
  srcIdx: number,
  n: number,
): void {
  const csize = pool.table.size[cls]!;
  const { bytes, link } = pool.arena;
  let sOff = srcIdx * csize;
  let sPage = zspagePage(pool, src, sOff >>> PAGE_SHIFT);
  sOff &= PAGE_SIZE - 1;
  let dOff = dstIdx * csize;
  let dPage = zspagePage(pool, dst, dOff >>> PAGE_SHIFT);
  dOff &= PAGE_SIZE - 1;
  let written = 0;
  while (written < n) {
    const len = Math.min(n - written, PAGE_SIZE - sOff, PAGE_SIZE - dOff);
    const s = ((sPage & CHUNK_MASK) << PAGE_SHIFT) + sOff;
    const d = ((dPage & CHUNK_MASK) << PAGE_SHIFT) + dOff;
    bytes[dPage >>> CHUNK_SHIFT]!.set(bytes[sPage >>> CHUNK_SHIFT]!.subarray(s, s + len), d);
    written += len;
    sOff += len;
    dOff += len;
    if (sOff === PAGE_SIZE) {
      sPage = link[sPage]!;
      sOff = 0;
    }
    if (dOff === PAGE_SIZE) {
      dPage = link[dPage]!;
      dOff = 0;
    }
  }
}

/** zs_shrinker_count(): pages compaction could free across the pool. */
export function zsCompactablePages(pool: ZsPool): number {
  let pages = 0;
  for (const cls of pool.table.classes) pages += zsCanCompact(pool, cls);
  return pages;
}
