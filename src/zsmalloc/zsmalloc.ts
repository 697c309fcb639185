/**
 * The zsmalloc pool API (mm/zsmalloc.c): create/destroy a pool, allocate and free objects,
 * report the pool's size.
 *
 * @example
 * const pool = zsCreatePool("zswap1");
 * const h = zsMalloc(pool, 1800);
 * if (isZsErrno(h)) throw new Error(zsMallocErrorMessage(h, 1800));
 * zsObjWrite(pool, h, compressed, 1800);
 * zsGetTotalPages(pool) * PAGE_SIZE; // pool_total_size
 * zsFree(pool, h);
 * zsDestroyPool(pool);
 */

import { PAGE_SIZE } from "../kernel/page.ts";
import { ZS_EINVAL, ZS_ENOMEM, ZS_ENOSPC, ZsError, zsMallocErrorMessage } from "./errors.ts";
import { HANDLE_SLOT_MASK } from "./handle_table.ts";
import {
  assertLive,
  liveSlot,
  NR_CLASS_STAT_TYPES,
  NR_FULLNESS_GROUPS,
  ZS_INUSE_RATIO_0,
  ZS_OBJS_ALLOCATED,
  ZS_OBJS_INUSE,
  ZsPool,
  type ZsPoolOptions,
} from "./pool.ts";
import {
  buildSizeClassTable,
  getSizeClassIndex,
  type SizeClassTable,
  ZS_CHAIN_SIZE_DEFAULT,
} from "./size_class.ts";
import {
  allocZspage,
  findGetZspage,
  fixFullnessGroup,
  freeZspage,
  getFullnessGroup,
  insertZspage,
  objFree,
  objMalloc,
  packMeta,
} from "./zspage.ts";

/** Class tables are immutable, so pools with the same configuration share one. */
const tables = new Map<string, SizeClassTable>();

/**
 * zs_create_pool(): a pool with the kernel's size classes for `chainSize`.
 * Throws a RangeError for a chain size outside CONFIG_ZSMALLOC_CHAIN_SIZE's 4..16.
 */
export function zsCreatePool(name: string, options: ZsPoolOptions = {}): ZsPool {
  const chainSize = options.chainSize ?? ZS_CHAIN_SIZE_DEFAULT;
  const rule = options.chainSizeRule ?? "min-waste";
  const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
  if (!(maxPages >= 0))
    throw new RangeError(`zsCreatePool: expected maxPages >= 0, got ${maxPages}`);
  const key = `${chainSize}/${rule}`;
  let table = tables.get(key);
  if (table === undefined) {
    table = buildSizeClassTable(chainSize, rule);
    tables.set(key, table);
  }
  const pool = new ZsPool(name, table, maxPages);
  pool.shouldFail = options.shouldFail ?? null;
  return pool;
}

/**
 * zs_destroy_pool(): gives every page back. Returns the kernel's complaints about objects still
 * allocated ("Class-<size> fullness group <fg> is not empty"), empty when the pool was empty.
 */
export function zsDestroyPool(pool: ZsPool): string[] {
  assertLive(pool, "zsDestroyPool");
  const complaints: string[] = [];
  const t = pool.table;
  for (const cls of t.classes) {
    for (let fg = 0; fg < NR_FULLNESS_GROUPS; fg++) {
      if (pool.fullnessHead[pool.rowOf(cls) * NR_FULLNESS_GROUPS + fg]! >= 0) {
        complaints.push(`Class-${t.size[cls]} fullness group ${fg} is not empty`);
      }
    }
  }
  pool.release();
  return complaints;
}

/**
 * zs_malloc(): allocates `size` bytes (1..PAGE_SIZE) and returns a handle (> 0), or a negative
 * errno: ZS_EINVAL for 0, ZS_ENOSPC above PAGE_SIZE, ZS_ENOMEM when no handle slot or zspage
 * could be had. `failZspageAlloc` models alloc_page() failing: the allocation then fails exactly
 * when the kernel would have had to allocate a zspage. Throws ZsError for a non-integer size.
 */
export function zsMalloc(pool: ZsPool, size: number, failZspageAlloc = false): number {
  assertLive(pool, "zsMalloc");
  if (!(size >= 1 && size <= PAGE_SIZE)) {
    if (!Number.isInteger(size)) throw new ZsError(zsMallocErrorMessage(ZS_EINVAL, size));
    return size < 1 ? ZS_EINVAL : ZS_ENOSPC;
  }
  if (!Number.isInteger(size)) throw new ZsError(zsMallocErrorMessage(ZS_EINVAL, size));
  if (pool.shouldFail?.()) return ZS_ENOMEM;
  const t = pool.table;
  const cls = t.classOfRequest[size]!;
  const handle = pool.handles.alloc();
  if (handle < 0) return ZS_ENOMEM;
  const slot = handle & HANDLE_SLOT_MASK;
  const meta = packMeta(size, size);
  let z = findGetZspage(pool, cls);
  if (z >= 0) {
    objMalloc(pool, z, slot, meta);
    fixFullnessGroup(pool, cls, z);
  } else {
    z = failZspageAlloc ? -1 : allocZspage(pool, cls);
    if (z < 0) {
      pool.handles.free(slot);
      return ZS_ENOMEM;
    }
    objMalloc(pool, z, slot, meta);
    insertZspage(pool, cls, z, getFullnessGroup(pool.zsInuse[z]!, t.objsPerZspage[cls]!));
    pool.pagesAllocated += t.pagesPerZspage[cls]!;
    pool.stats[pool.rowOf(cls) * NR_CLASS_STAT_TYPES + ZS_OBJS_ALLOCATED]! += t.objsPerZspage[cls]!;
  }
  pool.stats[pool.rowOf(cls) * NR_CLASS_STAT_TYPES + ZS_OBJS_INUSE]! += 1;
  return handle;
}

/**
 * zs_free(): frees the object; an emptied zspage gives its pages back at once. Like the kernel,
 * ignores 0 and error values (IS_ERR_OR_NULL); throws ZsError for a stale or foreign handle.
 */
export function zsFree(pool: ZsPool, handle: number): void {
  if (handle <= 0) return;
  const slot = liveSlot(pool, handle, "zsFree");
  const z = pool.handles.loc[slot]!;
  const cls = pool.zsClass[z]!;
  pool.stats[pool.rowOf(cls) * NR_CLASS_STAT_TYPES + ZS_OBJS_INUSE]! -= 1;
  objFree(pool, z, pool.handles.idx[slot]!);
  if (fixFullnessGroup(pool, cls, z) === ZS_INUSE_RATIO_0) freeZspage(pool, cls, z);
  pool.handles.free(slot);
}

/** zs_get_total_pages(): pages the pool holds; zswap's pool_total_size is this * PAGE_SIZE. */
export function zsGetTotalPages(pool: ZsPool): number {
  return pool.pagesAllocated;
}

/** zs_huge_class_size(): objects this big or bigger get a page each. */
export function zsHugeClassSize(pool: ZsPool): number {
  return pool.table.hugeClassSize;
}

/** zs_lookup_class_index(): the class that serves objects of `size` (handle not included). */
export function zsLookupClassIndex(pool: ZsPool, size: number): number {
  const t = pool.table;
  return t.classOf[getSizeClassIndex(size, t.minAllocSize, t.nrClasses)]!;
}

/** Live objects in the pool. */
export function zsObjCount(pool: ZsPool): number {
  return pool.handles.count;
}
