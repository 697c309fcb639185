/**
 * zsCheckPool(): walks every structure of a pool and reports each broken invariant. Slow
 * (linear in the pool); for tests, fuzzing and debugging, never for hot paths.
 *
 * Checked: fullness lists (links, membership, group = get_fullness_group(inuse), masks,
 * per-group counts), each zspage's free list (length = objs - inuse, only free objects on it),
 * each allocated object's header (slot whose handle points back at it), the class counters
 * (obj_allocated, obj_used) and the page totals (pool, arena).
 */

import { PAGE_SHIFT, PAGE_SIZE } from "../kernel/page.ts";
import { CHUNK_MASK, CHUNK_SHIFT } from "./page_arena.ts";
import {
  NR_CLASS_STAT_TYPES,
  NR_FULLNESS_GROUPS,
  OBJ_META_LEN_MASK,
  OBJ_META_SHIFT,
  ZS_OBJS_ALLOCATED,
  ZS_OBJS_INUSE,
  type ZsPool,
} from "./pool.ts";
import { ZS_HANDLE_SIZE } from "./size_class.ts";
import { getFullnessGroup, objAllocatedSlot, objMeta, zspagePage } from "./zspage.ts";

export function zsCheckPool(pool: ZsPool): string[] {
  const bad: string[] = [];
  if (pool.destroyed) return bad;
  const t = pool.table;
  let pages = 0;
  let live = 0;
  let zspages = 0;
  for (const cls of t.classes) {
    const at = pool.rowOf(cls) * NR_CLASS_STAT_TYPES;
    let inuse = 0;
    let count = 0;
    for (let fg = 0; fg < NR_FULLNESS_GROUPS; fg++) {
      const n = checkList(pool, cls, fg, bad);
      count += n.zspages;
      inuse += n.inuse;
      if (pool.stats[at + fg] !== n.zspages) {
        bad.push(
          `class ${cls}: group ${fg} counts ${pool.stats[at + fg]} zspages, list has ${n.zspages}`,
        );
      }
      const bit = (pool.fullnessMask[pool.rowOf(cls)]! >> fg) & 1;
      if (bit !== (n.zspages > 0 ? 1 : 0))
        bad.push(`class ${cls}: mask bit ${fg} is ${bit}, list has ${n.zspages}`);
    }
    if (pool.stats[at + ZS_OBJS_INUSE] !== inuse) {
      bad.push(`class ${cls}: obj_used ${pool.stats[at + ZS_OBJS_INUSE]}, zspages hold ${inuse}`);
    }
    if (pool.stats[at + ZS_OBJS_ALLOCATED] !== count * t.objsPerZspage[cls]!) {
      bad.push(
        `class ${cls}: obj_allocated ${pool.stats[at + ZS_OBJS_ALLOCATED]}, ${count} zspages`,
      );
    }
    pages += count * t.pagesPerZspage[cls]!;
    live += inuse;
    zspages += count;
  }
  if (pages !== pool.pagesAllocated)
    bad.push(`pages_allocated ${pool.pagesAllocated}, zspages hold ${pages}`);
  if (pages !== pool.arena.pagesInUse)
    bad.push(`arena has ${pool.arena.pagesInUse} pages in use, zspages ${pages}`);
  if (live !== pool.handles.count)
    bad.push(`${pool.handles.count} live handles, ${live} objects in use`);
  if (zspages !== pool.zspageCount)
    bad.push(`${pool.zspageCount} zspage ids in use, ${zspages} on lists`);
  return bad;
}

function checkList(
  pool: ZsPool,
  cls: number,
  fg: number,
  bad: string[],
): { zspages: number; inuse: number } {
  let zspages = 0;
  let inuse = 0;
  let prev = -1;
  for (
    let z = pool.fullnessHead[pool.rowOf(cls) * NR_FULLNESS_GROUPS + fg]!;
    z >= 0;
    z = pool.zsNext[z]!
  ) {
    if (zspages > pool.zspagesUsed) {
      bad.push(`class ${cls}: group ${fg} list loops`);
      break;
    }
    if (pool.zsPrev[z] !== prev) bad.push(`zspage ${z}: prev ${pool.zsPrev[z]}, expected ${prev}`);
    if (pool.zsClass[z] !== cls)
      bad.push(`zspage ${z}: class ${pool.zsClass[z]} on class ${cls}'s list`);
    if (pool.zsFullness[z] !== fg)
      bad.push(`zspage ${z}: fullness ${pool.zsFullness[z]} on group ${fg}`);
    const want = getFullnessGroup(pool.zsInuse[z]!, pool.table.objsPerZspage[cls]!);
    if (want !== fg)
      bad.push(`zspage ${z}: ${pool.zsInuse[z]} in use belongs in group ${want}, is in ${fg}`);
    checkObjects(pool, cls, z, bad);
    inuse += pool.zsInuse[z]!;
    zspages++;
    prev = z;
  }
  return { zspages, inuse };
}

function checkObjects(pool: ZsPool, cls: number, z: number, bad: string[]): void {
  const t = pool.table;
  const objs = t.objsPerZspage[cls]!;
  const h = pool.handles;
  if (t.huge[cls] !== 0) {
    if (pool.zsInuse[z] !== 1) bad.push(`huge zspage ${z}: ${pool.zsInuse[z]} objects in use`);
    checkMeta(pool, z, 0, bad);
    return;
  }
  let allocated = 0;
  for (let i = 0; i < objs; i++) {
    const slot = objAllocatedSlot(pool, z, i);
    if (slot < 0) continue;
    allocated++;
    if (h.loc[slot] !== z || h.idx[slot] !== i) {
      bad.push(
        `zspage ${z} object ${i}: slot ${slot} points at zspage ${h.loc[slot]} object ${h.idx[slot]}`,
      );
    }
    checkMeta(pool, z, i, bad);
  }
  if (allocated !== pool.zsInuse[z])
    bad.push(`zspage ${z}: inuse ${pool.zsInuse[z]}, ${allocated} tagged`);
  let free = 0;
  for (let i = pool.zsFreeobj[z]!; i >= 0 && i < objs; free++) {
    if (free > objs) {
      bad.push(`zspage ${z}: free list loops`);
      break;
    }
    if (objAllocatedSlot(pool, z, i) >= 0)
      bad.push(`zspage ${z}: allocated object ${i} on the free list`);
    i = freeNext(pool, z, i);
  }
  if (free !== objs - pool.zsInuse[z]!)
    bad.push(`zspage ${z}: free list has ${free}, expected ${objs - pool.zsInuse[z]!}`);
}

/** The next index on the free list: a free object's first word is next << 1. */
function freeNext(pool: ZsPool, z: number, i: number): number {
  const offset = i * pool.table.size[pool.zsClass[z]!]!;
  const p = zspagePage(pool, z, offset >>> PAGE_SHIFT);
  const wi = (((p & CHUNK_MASK) << PAGE_SHIFT) + (offset & (PAGE_SIZE - 1))) >>> 2;
  return pool.arena.words[p >>> CHUNK_SHIFT]![wi]! >> 1;
}

function checkMeta(pool: ZsPool, z: number, i: number, bad: string[]): void {
  const meta = objMeta(pool, z, i);
  const size = meta >>> OBJ_META_SHIFT;
  const len = meta & OBJ_META_LEN_MASK;
  const cls = pool.zsClass[z]!;
  const room =
    pool.table.huge[cls] !== 0 ? pool.table.size[cls]! : pool.table.size[cls]! - ZS_HANDLE_SIZE;
  if (size < 1 || size > room || len > size)
    bad.push(`zspage ${z} object ${i}: size ${size} len ${len}, room ${room}`);
}
