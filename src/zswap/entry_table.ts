/**
 * struct zswap_entry as a struct of arrays: each field in a typed array indexed by the entry's
 * slot, and an entry "pointer" is a small integer (EntryRef). A million stored pages then cost
 * no heap object each, 25 bytes of typed arrays a slot instead of about 200 heap bytes (the
 * entry object, its swp_entry_t object, its KObj wrapper): docs/library.md, "Memory per entry".
 *
 *   ref = generation << ENTRY_SLOT_BITS | slot      generation 1..ENTRY_GEN_MAX, never 0
 *
 * Two modes, fixed when the table is made (ZswapState), from the kernel's memory tracking:
 *
 * - tracked (the simulator, and the library when instrumented): every entry also gets its KObj
 *   from kmalloc, as before, with its allocation and free sites; slots are never reused, so a
 *   stale ref always finds its freed KObj and use-after-free, double free and leak reports are
 *   the same as with one object per entry (the same object ids, the same report lines).
 * - untracked (the library): no object per entry. Freed slots wait in a FIFO quarantine of
 *   ENTRY_QUARANTINE frees, then come back with the next generation, as zsmalloc handles do
 *   (handle_table.ts): a stale ref is reported as a use-after-free (without sites, as
 *   before in this mode) unless its slot was reused a multiple of ENTRY_GEN_MAX times.
 *
 * Simplified against the kernel: `pool` and `objcg` are 16-bit indexes into small registries
 * (the pools and memcgs that entries point at), `swpentry` is (type, offset) in two arrays, and
 * the node id (`nid`, batching) is not kept: the model has one node.
 */
import { NO_EFFECTS, type Op, pointLabel } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import {
  GFP_KERNEL,
  KObj,
  kfree,
  kmallocNew,
  kmallocWith,
  memory,
  slabKind,
  UNRECORDED_SITE,
  use,
} from "../kernel/memory.ts";
import { preemptPoint } from "../kernel/points.ts";
import { KernelBug } from "../kernel/report.ts";
import { siteLines, siteOf, whereOf } from "../kernel/site.ts";
import type { LruLinks } from "../mm/list_lru.ts";
import type { Memcg } from "../mm/memcg.ts";
import { type SwpEntry, swpEntry } from "../mm/swap_entry.ts";
import { PtrRegistry } from "./ptr_registry.ts";
import type { PoolObj } from "./types.ts";

/** A zswap entry: `generation << ENTRY_SLOT_BITS | slot`; never 0 (NO_ENTRY). */
export type EntryRef = number;
export const NO_ENTRY: EntryRef = 0;

/** sizeof(struct zswap_entry). */
export const ZSWAP_ENTRY_BYTES = 56;
export const ENTRY_SLOT_BITS = 23;
/** Live entries a table holds: 8,388,608 (32 GiB of stored pages). */
export const ENTRY_SLOTS_MAX = 1 << ENTRY_SLOT_BITS;
const SLOT_MASK = ENTRY_SLOTS_MAX - 1;
export const ENTRY_GEN_MAX = 127;
/** Freed slots younger than this many frees are not reused (untracked mode). */
export const ENTRY_QUARANTINE = 1024;
const FREE_END = -1;

const F_REFERENCED = 1;
const F_ON_LRU = 2;
const F_LIVE = 4;

export class ZswapEntryTable implements LruLinks {
  // struct zswap_entry, one element per slot. No slots until the first entry is made (grow):
  // the simulator makes a kernel, and so a table, for every execution, and many store nothing.
  private gen: Uint8Array = EMPTY.gen;
  private flags: Uint8Array = EMPTY.flags;
  /** `length`: compressed bytes, PAGE_SIZE when stored as it is. */
  private len: Uint16Array = EMPTY.len;
  private hdl: Int32Array = EMPTY.hdl;
  private poolIdx: Uint16Array = EMPTY.poolIdx;
  private memcgIdx: Uint16Array = EMPTY.memcgIdx;
  /** list_lru links: refs, NO_ENTRY at the ends; `next` also chains free slots. */
  private prev: Int32Array = EMPTY.prev;
  private next: Int32Array = EMPTY.next;
  private swpTypes: Uint8Array = EMPTY.swpTypes;
  private swpOffsets: Int32Array = EMPTY.swpOffsets;
  /** All of the above, in newFields' order (for grow). */
  private views: Array<Int32Array | Uint16Array | Uint8Array> = EMPTY.views;
  /** Tracked mode: each slot's KObj (never reused). */
  private readonly objs: Array<KObj<EntryRef>> | null;
  private readonly pools = new PtrRegistry<PoolObj>("zswap_pool");
  private readonly memcgs = new PtrRegistry<Memcg>("memcg");
  /** Slots ever handed out. */
  private used = 0;
  /** Live entries. */
  count = 0;
  private freeHead = FREE_END;
  private freeTail = FREE_END;
  private freeLen = 0;

  /**
   * `capacity`: slots the first entry brings (doubling when full); by default few in a tracked
   * table (a simulated execution stores a handful of pages and makes a kernel each time), more
   * otherwise.
   */
  constructor(
    readonly tracked: boolean,
    private readonly capacity = tracked ? 8 : 1024,
  ) {
    this.objs = tracked ? [] : null;
  }

  /** Makes `f` the table's arrays. */
  private adopt(f: Fields): void {
    this.hdl = f.hdl;
    this.prev = f.prev;
    this.next = f.next;
    this.swpOffsets = f.swpOffsets;
    this.len = f.len;
    this.poolIdx = f.poolIdx;
    this.memcgIdx = f.memcgIdx;
    this.gen = f.gen;
    this.flags = f.flags;
    this.swpTypes = f.swpTypes;
    this.views = f.views;
  }

  // --- fields ---------------------------------------------------------------------------------

  length(e: EntryRef): number {
    return this.len[e & SLOT_MASK] as number;
  }

  setLength(e: EntryRef, length: number): void {
    if (!(length >= 0 && length <= 0xffff)) throw new RangeError(`entry length ${length}`);
    this.len[e & SLOT_MASK] = length;
  }

  handle(e: EntryRef): number {
    return this.hdl[e & SLOT_MASK] as number;
  }

  setHandle(e: EntryRef, handle: number): void {
    this.hdl[e & SLOT_MASK] = handle;
  }

  referenced(e: EntryRef): boolean {
    return ((this.flags[e & SLOT_MASK] as number) & F_REFERENCED) !== 0;
  }

  setReferenced(e: EntryRef, on: boolean): void {
    this.setFlag(e, F_REFERENCED, on);
  }

  pool(e: EntryRef): PoolObj | null {
    return this.pools.get(this.poolIdx[e & SLOT_MASK] as number);
  }

  /** Sets the entry's pool; set once, when the entry is published. */
  setPool(e: EntryRef, pool: PoolObj | null): void {
    const s = e & SLOT_MASK;
    this.pools.release(this.poolIdx[s] as number);
    this.poolIdx[s] = this.pools.hold(pool);
  }

  /** The entry's objcg, as its memcg (null: a root-cgroup folio, no objcg). */
  memcg(e: EntryRef): Memcg | null {
    return this.memcgs.get(this.memcgIdx[e & SLOT_MASK] as number);
  }

  setMemcg(e: EntryRef, memcg: Memcg | null): void {
    const s = e & SLOT_MASK;
    this.memcgs.release(this.memcgIdx[s] as number);
    this.memcgIdx[s] = this.memcgs.hold(memcg);
  }

  swpType(e: EntryRef): number {
    return this.swpTypes[e & SLOT_MASK] as number;
  }

  swpOffset(e: EntryRef): number {
    return this.swpOffsets[e & SLOT_MASK] as number;
  }

  /** entry->swpentry, as a new swp_entry_t (writeback copies it before dropping the lock). */
  swpentry(e: EntryRef): SwpEntry {
    const s = e & SLOT_MASK;
    return swpEntry(this.swpTypes[s] as number, this.swpOffsets[s] as number);
  }

  // --- list_lru links (LruLinks) --------------------------------------------------------------

  lruPrev(e: EntryRef): EntryRef {
    return this.prev[e & SLOT_MASK] as number;
  }

  lruNext(e: EntryRef): EntryRef {
    return this.next[e & SLOT_MASK] as number;
  }

  setLruPrev(e: EntryRef, p: EntryRef): void {
    this.prev[e & SLOT_MASK] = p;
  }

  setLruNext(e: EntryRef, n: EntryRef): void {
    this.next[e & SLOT_MASK] = n;
  }

  onLru(e: EntryRef): boolean {
    return ((this.flags[e & SLOT_MASK] as number) & F_ON_LRU) !== 0;
  }

  setOnLru(e: EntryRef, on: boolean): void {
    this.setFlag(e, F_ON_LRU, on);
  }

  private setFlag(e: EntryRef, flag: number, on: boolean): void {
    const s = e & SLOT_MASK;
    const f = this.flags[s] as number;
    this.flags[s] = on ? f | flag : f & ~flag;
  }

  // --- lifetime -------------------------------------------------------------------------------

  /**
   * zswap_entry_cache_alloc(): a kmalloc decision (fault, reclaim, preemption point as for any
   * "zswap_entry" allocation), then a fresh entry for `swp`, or null when the allocation fails.
   */
  cacheAlloc(k: Kernel, swp: SwpEntry): Op<EntryRef | null> {
    return kmallocWith(k, "zswap_entry", GFP_KERNEL, createTraced, this, swp);
  }

  /**
   * A fresh entry for `swp` without an allocation decision (kmem_cache_alloc_bulk() made it
   * for the batch). `trace`: record the allocation as kmalloc does.
   */
  create(k: Kernel, swp: SwpEntry, trace: boolean): EntryRef {
    const ref = this.slotAlloc(swp);
    if (this.objs !== null) {
      const obj = trace
        ? kmallocNew(k, "zswap_entry", ZSWAP_ENTRY_BYTES, () => ref)
        : memory(k).newObj(k, "zswap_entry", ZSWAP_ENTRY_BYTES, ref);
      this.objs.push(obj);
    }
    return ref;
  }

  private slotAlloc(swp: SwpEntry): EntryRef {
    if (!(swp.type >= 0 && swp.type < 256)) throw new RangeError(`swap type ${swp.type}`);
    let s = this.freeHead;
    if (s !== FREE_END && this.freeLen > ENTRY_QUARANTINE) {
      const n = this.next[s] as number;
      this.freeHead = n;
      if (n === FREE_END) this.freeTail = FREE_END;
      this.freeLen--;
    } else {
      if (this.used >= ENTRY_SLOTS_MAX) {
        throw new Error(
          `zswap entry table: ${ENTRY_SLOTS_MAX} entries${this.tracked ? " allocated (a tracked table does not reuse slots)" : " live"}, the most it holds`,
        );
      }
      if (this.used === this.gen.length) this.grow();
      s = this.used++;
      this.gen[s] = 1;
    }
    this.flags[s] = F_LIVE;
    this.len[s] = 0;
    this.hdl[s] = 0;
    this.poolIdx[s] = 0;
    this.memcgIdx[s] = 0;
    this.prev[s] = NO_ENTRY;
    this.next[s] = NO_ENTRY;
    this.swpTypes[s] = swp.type;
    this.swpOffsets[s] = swp.offset;
    this.count++;
    return ((this.gen[s] as number) << ENTRY_SLOT_BITS) | s;
  }

  /** Whether `e` names a live entry. */
  live(e: EntryRef): boolean {
    const s = e & SLOT_MASK;
    if (this.objs !== null) return s < this.used && !(this.objs[s] as KObj).freed;
    return (
      e > 0 &&
      s < this.used &&
      ((this.flags[s] as number) & F_LIVE) !== 0 &&
      this.gen[s] === e >>> ENTRY_SLOT_BITS
    );
  }

  /** The entry's KObj (tracked mode), for reports; null in untracked mode. */
  obj(e: EntryRef): KObj<EntryRef> | null {
    return this.objs === null ? null : (this.objs[e & SLOT_MASK] ?? null);
  }

  /**
   * use(): `e` must be live; a freed (or, untracked, reused) entry is a KASAN use-after-free
   * report. `access` says what is read or written.
   */
  use(k: Kernel, e: EntryRef, access: string): void {
    if (this.objs !== null) {
      use(k, this.objs[e & SLOT_MASK] as KObj, access);
      return;
    }
    if (!this.live(e)) use(k, freedStandIn(e), access);
  }

  /**
   * kfree(): a double free is reported. The fields stay as they were (a freed object's bytes
   * do too) until the slot is reused; the caller has unlinked the entry and dropped its
   * references (zswapEntryFree).
   */
  free(k: Kernel, e: EntryRef): void {
    const s = e & SLOT_MASK;
    if (this.objs !== null) {
      kfree(k, this.objs[s] as KObj);
      this.count--;
      return;
    }
    if (!this.live(e)) throw doubleFree(k, e);
    this.pools.release(this.poolIdx[s] as number);
    this.memcgs.release(this.memcgIdx[s] as number);
    this.poolIdx[s] = 0;
    this.memcgIdx[s] = 0;
    this.flags[s] = 0;
    const g = this.gen[s] as number;
    this.gen[s] = g === ENTRY_GEN_MAX ? 1 : g + 1;
    this.next[s] = FREE_END;
    if (this.freeTail === FREE_END) this.freeHead = s;
    else this.next[this.freeTail] = s;
    this.freeTail = s;
    this.freeLen++;
    this.count--;
  }

  /** kfree() with the "free" preemption point after it (kfreeAndYield()). */
  freeAndYield(k: Kernel, e: EntryRef): Op<void> {
    this.free(k, e);
    if (k.pointMask === 0) return NO_EFFECTS;
    return preemptPoint(k, "free", pointLabel("kfree", "zswap_entry"));
  }

  /** Slots ever handed out (at most the peak of live entries plus the quarantine, untracked). */
  get slotsUsed(): number {
    return this.used;
  }

  /** Bytes of typed-array memory the table holds (the per-slot arrays). */
  bytesReserved(): number {
    return this.gen.length * BYTES_PER_SLOT;
  }

  /** The first slots, or twice as many: new arrays, the old contents copied in. */
  private grow(): void {
    const n = this.gen.length;
    const f = newFields(n === 0 ? Math.max(4, this.capacity) : Math.min(ENTRY_SLOTS_MAX, n * 2));
    for (let i = 0; i < f.views.length; i++) f.views[i]?.set(this.views[i] as never);
    this.adopt(f);
  }
}

type Fields = ReturnType<typeof newFields>;

/**
 * The per-slot arrays for `capacity` slots (rounded up to a multiple of 4), as views of one
 * ArrayBuffer: one allocation, the 4-byte fields first so that every view is aligned. Written
 * out field by field (no helper closures, no spread): the simulator makes one per execution.
 */
function newFields(capacity: number) {
  const c = Math.ceil(capacity / 4) * 4;
  const buf = new ArrayBuffer(c * BYTES_PER_SLOT);
  const hdl = new Int32Array(buf, 0, c);
  const prev = new Int32Array(buf, 4 * c, c);
  const next = new Int32Array(buf, 8 * c, c);
  const swpOffsets = new Int32Array(buf, 12 * c, c);
  const len = new Uint16Array(buf, 16 * c, c);
  const poolIdx = new Uint16Array(buf, 18 * c, c);
  const memcgIdx = new Uint16Array(buf, 20 * c, c);
  const gen = new Uint8Array(buf, 22 * c, c);
  const flags = new Uint8Array(buf, 23 * c, c);
  const swpTypes = new Uint8Array(buf, 24 * c, c);
  const views: Array<Int32Array | Uint16Array | Uint8Array> = [
    hdl,
    prev,
    next,
    swpOffsets,
    len,
    poolIdx,
    memcgIdx,
    gen,
    flags,
    swpTypes,
  ];
  return { hdl, prev, next, swpOffsets, len, poolIdx, memcgIdx, gen, flags, swpTypes, views };
}

/** gen, flags, length, handle, pool, memcg, prev, next, swp type, swp offset. */
const BYTES_PER_SLOT = 1 + 1 + 2 + 4 + 2 + 2 + 4 + 4 + 1 + 4;

/** No slots: every table until its first entry (zero-length views are immutable, so shared). */
const EMPTY = newFields(0);

/** A freed KObj standing for an untracked entry, so use() gives the usual KASAN report. */
function freedStandIn(e: EntryRef): KObj<EntryRef> {
  const obj = new KObj(e, slabKind("zswap_entry", ZSWAP_ENTRY_BYTES), UNRECORDED_SITE, e);
  obj.freeSite = UNRECORDED_SITE;
  return obj;
}

function doubleFree(k: Kernel, e: EntryRef): KernelBug {
  const site = siteOf(k);
  return new KernelBug("double-free", `BUG: KASAN: double-free in ${whereOf(site)}`, [
    `Free of zswap_entry ref 0x${e.toString(16)} (slot ${e & SLOT_MASK}, generation ${e >>> ENTRY_SLOT_BITS}): not a live entry`,
    "",
    ...siteLines("Second free attempted", site),
  ]);
}

/** cacheAlloc's kmallocWith maker: a module function, so a store makes no closure. */
function createTraced(k: Kernel, t: ZswapEntryTable, swp: SwpEntry): EntryRef {
  return t.create(k, swp, true);
}
