/**
 * struct zs_pool and struct zspage, laid out as typed arrays.
 *
 * A zspage is an id into struct-of-arrays fields (zs*), a size class is an index into the
 * per-class arrays: no JS object exists per zspage or per allocation. Free zspage ids are
 * chained through zsNext and reused last-in first-out.
 *
 * Locking: the kernel serialises all of this under pool->lock (a spinlock, so nothing in here
 * may sleep). Our code is synchronous and runs to completion, which gives the same guarantee:
 * every exported function leaves the pool consistent before it returns.
 */
import { ZsError } from "./errors.ts";
import { describeHandle, HANDLE_SLOT_MASK, HandleTable } from "./handle_table.ts";
import { PageArena } from "./page_arena.ts";
import type { SizeClassTable } from "./size_class.ts";

// ---------------------------------------------------------------------------------------------
// Fullness groups and class statistics (enum fullness_group, enum class_stat_type)
// ---------------------------------------------------------------------------------------------

/** No object in use (the zspage is freed at once; the kernel may defer it). */
export const ZS_INUSE_RATIO_0 = 0;
/**
 * Partially used: group g in 1..10 holds zspages whose ratio = floor(100 * inuse / objs) is in
 * [10(g-1), 10g), so ZS_INUSE_RATIO_10 is below 10% and ZS_INUSE_RATIO_99 is 90% up to not full.
 */
export const ZS_INUSE_RATIO_10 = 1;
export const ZS_INUSE_RATIO_99 = 10;
/** Every object in use. */
export const ZS_INUSE_RATIO_100 = 11;
export const NR_FULLNESS_GROUPS = 12;
/** class_stat_type: after the 12 per-group zspage counts. */
export const ZS_OBJS_ALLOCATED = NR_FULLNESS_GROUPS;
export const ZS_OBJS_INUSE = NR_FULLNESS_GROUPS + 1;
export const NR_CLASS_STAT_TYPES = NR_FULLNESS_GROUPS + 2;

/** Bitmask of the groups zs_malloc() may take a zspage from: ZS_INUSE_RATIO_0..99. */
export const ALLOC_GROUPS_MASK = (1 << (ZS_INUSE_RATIO_99 + 1)) - 1;

// ---------------------------------------------------------------------------------------------
// Object header
// ---------------------------------------------------------------------------------------------

/** Low bit of an object's first word: set while allocated (the word holds the handle slot). */
export const OBJ_ALLOCATED_TAG = 1;
/**
 * Second header word (and zsFreeobj of a huge zspage): the allocated size and the length last
 * written, packed as size << OBJ_META_SHIFT | len (both 0..PAGE_SIZE).
 */
export const OBJ_META_SHIFT = 16;
export const OBJ_META_LEN_MASK = (1 << OBJ_META_SHIFT) - 1;

// ---------------------------------------------------------------------------------------------
// The pool
// ---------------------------------------------------------------------------------------------

export interface ZsPoolOptions {
  /** CONFIG_ZSMALLOC_CHAIN_SIZE: 4..16 pages per zspage at most; default 8. */
  readonly chainSize?: number;
  /** "min-waste" (v6.3+, default) or "used-percent" (get_pages_per_zspage(), up to v6.2). */
  readonly chainSizeRule?: "min-waste" | "used-percent";
  /** Pages the pool may hold; a zs_malloc() that needs a new zspage beyond it gets -ENOMEM. */
  readonly maxPages?: number;
  /**
   * Fault injection: asked once per zs_malloc(); true makes it fail with -ENOMEM, as when its
   * handle or zspage allocation fails (failslab / fail_page_alloc). Default: never.
   */
  readonly shouldFail?: (() => boolean) | undefined;
}

/** Handle slots a new pool starts with (the table doubles as needed). */
const HANDLES_INITIAL = 16;

export class ZsPool {
  readonly name: string;
  readonly table: SizeClassTable;
  readonly maxPages: number;
  /** See ZsPoolOptions.shouldFail. */
  shouldFail: (() => boolean) | null = null;
  arena: PageArena = new PageArena();
  handles: HandleTable = new HandleTable(HANDLES_INITIAL);
  destroyed = false;

  /** pool->pages_allocated: what zs_get_total_pages() reports. */
  pagesAllocated = 0;
  /** zs_pool_stats.pages_compacted: pages freed by compaction over the pool's life. */
  pagesCompacted = 0;

  // struct zspage, per zspage id
  /** zspage->class */
  zsClass: Uint8Array;
  /** zspage->fullness */
  zsFullness: Uint8Array;
  /** zspage->inuse */
  zsInuse: Uint16Array;
  /** zspage->freeobj (-1: none); for a huge zspage, the object's meta word instead. */
  zsFreeobj: Int32Array;
  /** zspage->list: neighbours in the class's fullness list (-1: none). */
  zsPrev: Int32Array;
  zsNext: Int32Array;
  /** zspage->first_page */
  zsFirstPage: Int32Array;
  /** Ids ever used; ids at and beyond it are fresh. */
  zspagesUsed = 0;
  /** Live zspages. */
  zspageCount = 0;
  /** Head of the free id chain (through zsNext), -1 when empty. */
  zspageFreeHead = -1;

  // struct size_class, per class: a row of the arrays below, given to a class when its first
  // zspage is listed (rowFor). Row 0 is shared by the classes that never had one: all lists
  // empty, all counts 0, never written. A pool uses a few of its 255 classes, and the model
  // checker creates a pool per execution: full-size arrays were a tenth of its boot.
  /** Per class index: its row, 0 while it has none. */
  private readonly classRow: number[];
  private rows = 1;
  /** class->fullness_list[fg] heads, at row * NR_FULLNESS_GROUPS + fg (-1: empty). */
  fullnessHead: Int32Array;
  /** Per row: bit fg set when fullness_list[fg] is not empty (lets zs_malloc skip empty groups). */
  fullnessMask: Uint16Array;
  /** class->stats.objs[], at row * NR_CLASS_STAT_TYPES + type. */
  stats: Float64Array;

  constructor(name: string, table: SizeClassTable, maxPages: number) {
    this.name = name;
    this.table = table;
    this.maxPages = maxPages;
    // Small and doubling: the model checker creates a pool per execution and uses a few zspages.
    const cap = 8;
    this.zsClass = new Uint8Array(cap);
    this.zsFullness = new Uint8Array(cap);
    this.zsInuse = new Uint16Array(cap);
    this.zsFreeobj = new Int32Array(cap);
    this.zsPrev = new Int32Array(cap);
    this.zsNext = new Int32Array(cap);
    this.zsFirstPage = new Int32Array(cap);
    this.classRow = new Array<number>(table.nrClasses).fill(0);
    this.fullnessHead = new Int32Array(2 * NR_FULLNESS_GROUPS).fill(-1);
    this.fullnessMask = new Uint16Array(2);
    this.stats = new Float64Array(2 * NR_CLASS_STAT_TYPES);
  }

  /** The row of class `cls` in the per-class arrays (0, the empty row, if it never had a zspage). */
  rowOf(cls: number): number {
    return this.classRow[cls]!;
  }

  /** The row of class `cls`, given it now if it has none (before its first zspage is listed). */
  rowFor(cls: number): number {
    const row = this.classRow[cls]!;
    if (row !== 0) return row;
    if (this.rows === this.fullnessMask.length) this.growRows();
    this.classRow[cls] = this.rows;
    return this.rows++;
  }

  private growRows(): void {
    const cap = this.rows * 2;
    const heads = new Int32Array(cap * NR_FULLNESS_GROUPS).fill(-1);
    heads.set(this.fullnessHead);
    this.fullnessHead = heads;
    const mask = new Uint16Array(cap);
    mask.set(this.fullnessMask);
    this.fullnessMask = mask;
    const stats = new Float64Array(cap * NR_CLASS_STAT_TYPES);
    stats.set(this.stats);
    this.stats = stats;
  }

  /** cache_alloc_zspage(): a zspage id, fields to be set by the caller. */
  allocZspageId(): number {
    let z = this.zspageFreeHead;
    if (z >= 0) {
      this.zspageFreeHead = this.zsNext[z]!;
    } else {
      if (this.zspagesUsed === this.zsClass.length) this.growZspages();
      z = this.zspagesUsed++;
    }
    this.zspageCount++;
    return z;
  }

  /** cache_free_zspage() */
  freeZspageId(z: number): void {
    this.zsNext[z] = this.zspageFreeHead;
    this.zsPrev[z] = -1;
    this.zsFirstPage[z] = -1;
    this.zspageFreeHead = z;
    this.zspageCount--;
  }

  /** Bytes of typed-array metadata (zspages, handles, per-page links, per-class arrays). */
  metadataBytes(): number {
    const zs =
      this.zsClass.byteLength +
      this.zsFullness.byteLength +
      this.zsInuse.byteLength +
      this.zsFreeobj.byteLength +
      this.zsPrev.byteLength +
      this.zsNext.byteLength +
      this.zsFirstPage.byteLength;
    const cls = this.fullnessHead.byteLength + this.fullnessMask.byteLength + this.stats.byteLength;
    return zs + cls + this.handles.bytesReserved() + this.arena.link.byteLength;
  }

  /** Drops every page and array (zs_destroy_pool()); the pool refuses all calls afterwards. */
  release(): void {
    this.destroyed = true;
    this.arena.destroy();
    this.handles = new HandleTable(1);
    this.pagesAllocated = 0;
    this.zsClass = new Uint8Array(0);
    this.zsFullness = new Uint8Array(0);
    this.zsInuse = new Uint16Array(0);
    this.zsFreeobj = new Int32Array(0);
    this.zsPrev = new Int32Array(0);
    this.zsNext = new Int32Array(0);
    this.zsFirstPage = new Int32Array(0);
    this.zspagesUsed = 0;
    this.zspageCount = 0;
    this.zspageFreeHead = -1;
  }

  private growZspages(): void {
    const cap = this.zsClass.length * 2;
    this.zsClass = growU8(this.zsClass, cap);
    this.zsFullness = growU8(this.zsFullness, cap);
    const inuse = new Uint16Array(cap);
    inuse.set(this.zsInuse);
    this.zsInuse = inuse;
    this.zsFreeobj = growI32(this.zsFreeobj, cap);
    this.zsPrev = growI32(this.zsPrev, cap);
    this.zsNext = growI32(this.zsNext, cap);
    this.zsFirstPage = growI32(this.zsFirstPage, cap);
  }
}

function growU8(a: Uint8Array, cap: number): Uint8Array {
  const b = new Uint8Array(cap);
  b.set(a);
  return b;
}

function growI32(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Boundary checks
// ---------------------------------------------------------------------------------------------

/** Throws unless the pool is alive. */
export function assertLive(pool: ZsPool, op: string): void {
  if (pool.destroyed)
    throw new ZsError(`${op}: pool "${pool.name}" was destroyed`, "use-after-free");
}

/** The handle's slot; throws a ZsError naming `op` for a stale, forged or foreign handle. */
export function liveSlot(pool: ZsPool, handle: number, op: string): number {
  assertLive(pool, op);
  const slot = pool.handles.lookup(handle);
  if (slot < 0) throw new ZsError(badHandleMessage(pool, handle, op), handleMisuse(pool, handle));
  return slot;
}

/** Whether a handle the pool refused was one it issued and freed (stale) or never issued. */
function stale(pool: ZsPool, handle: number): boolean {
  const slot = handle & HANDLE_SLOT_MASK;
  return Number.isInteger(handle) && handle > 0 && handle < 2 ** 31 && slot < pool.handles.used;
}

function handleMisuse(pool: ZsPool, handle: number): "use-after-free" | "misuse" {
  return stale(pool, handle) ? "use-after-free" : "misuse";
}

function badHandleMessage(pool: ZsPool, handle: number, op: string): string {
  const h = pool.handles;
  const slot = handle & HANDLE_SLOT_MASK;
  if (stale(pool, handle)) {
    const state = h.loc[slot]! >= 0 ? `in use again at generation ${h.gen[slot]}` : "free";
    return `${op}: stale handle ${describeHandle(handle)} in pool "${pool.name}": the object was freed (the slot is ${state})`;
  }
  return `${op}: invalid handle ${describeHandle(handle)}: not issued by pool "${pool.name}"`;
}
