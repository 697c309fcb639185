/**
 * zsmalloc handles: the indirection that lets compaction move an object without its owner
 * noticing. The kernel allocates one unsigned long per object from the "zs_handle" slab cache
 * and stores the object's location in it (record_obj()); here a handle is a slot in typed
 * arrays, plus a generation so that a freed handle is recognised when it comes back.
 *
 *   handle = generation << HANDLE_SLOT_BITS | slot      generation 1..HANDLE_GEN_MAX
 *
 * Handles are positive int32 values below 2^30 (a V8 small integer on every build), never 0,
 * so a negative return value can carry an errno. Freeing bumps the slot's generation, and freed
 * slots wait in a FIFO quarantine (like KASAN's) until HANDLE_QUARANTINE other slots were freed
 * after them; until then new slots are taken. So a slot comes back at most once per
 * HANDLE_QUARANTINE frees, and a stale handle goes unnoticed only if its slot was reused an exact
 * multiple of HANDLE_GEN_MAX times: at least 127 * 1024 frees later.
 *
 * Memory: 7 bytes per slot (zspage id, object index, generation), no object per allocation;
 * the quarantine costs at most HANDLE_QUARANTINE extra slots (7 KiB).
 */

export const HANDLE_SLOT_BITS = 23;
/** Live objects a pool can hold: 8,388,608. */
export const HANDLE_SLOTS_MAX = 1 << HANDLE_SLOT_BITS;
export const HANDLE_SLOT_MASK = HANDLE_SLOTS_MAX - 1;
export const HANDLE_GEN_MAX = 127;
/** Freed slots younger than this many frees are not reused. */
export const HANDLE_QUARANTINE = 1024;
const FREE_END = -1;

export class HandleTable {
  /**
   * Per slot: the zspage holding the object (>= 0) while allocated; while free, the next free
   * slot encoded as -2 - next (FREE_END when last), so "allocated" is simply loc >= 0.
   */
  loc: Int32Array;
  /** Per slot: the object's index in its zspage (obj_idx of the kernel's location). */
  idx: Uint16Array;
  /** Per slot: the current generation, 1..HANDLE_GEN_MAX. */
  gen: Uint8Array;
  /** Slots ever handed out; slots at and beyond it have never been used. */
  used = 0;
  /** Live handles. */
  count = 0;
  private freeHead = FREE_END;
  private freeTail = FREE_END;
  private freeLen = 0;

  constructor(capacity = 1024) {
    this.loc = new Int32Array(capacity);
    this.idx = new Uint16Array(capacity);
    this.gen = new Uint8Array(capacity);
  }

  /**
   * Takes a slot (the oldest freed one, past quarantine); returns its handle, or -1 if full.
   * The caller records the object's location in loc/idx (record_obj()).
   */
  alloc(): number {
    let slot = this.freeHead;
    if (slot !== FREE_END && (this.freeLen > HANDLE_QUARANTINE || this.used >= HANDLE_SLOTS_MAX)) {
      const next = this.loc[slot]!;
      this.freeHead = next === FREE_END ? FREE_END : -2 - next;
      if (this.freeHead === FREE_END) this.freeTail = FREE_END;
      this.freeLen--;
    } else {
      if (this.used >= HANDLE_SLOTS_MAX) return -1;
      if (this.used === this.loc.length) this.grow();
      slot = this.used++;
      this.gen[slot] = 1;
    }
    this.loc[slot] = 0;
    this.idx[slot] = 0;
    this.count++;
    return (this.gen[slot]! << HANDLE_SLOT_BITS) | slot;
  }

  /** Frees the slot of a live handle: bumps its generation and queues it for reuse. */
  free(slot: number): void {
    const g = this.gen[slot]!;
    this.gen[slot] = g === HANDLE_GEN_MAX ? 1 : g + 1;
    this.loc[slot] = FREE_END;
    if (this.freeTail === FREE_END) this.freeHead = slot;
    else this.loc[this.freeTail] = -2 - slot;
    this.freeTail = slot;
    this.freeLen++;
    this.count--;
  }

  /** The slot of `handle` if it names a live object, else -1 (stale, forged or never issued). */
  lookup(handle: number): number {
    const slot = handle & HANDLE_SLOT_MASK;
    const g = handle >>> HANDLE_SLOT_BITS;
    if (
      slot >= this.used ||
      this.loc[slot]! < 0 ||
      this.gen[slot] !== g ||
      (handle | 0) !== handle
    ) {
      return -1;
    }
    return slot;
  }

  /** Bytes of typed-array memory this table holds. */
  bytesReserved(): number {
    return this.loc.byteLength + this.idx.byteLength + this.gen.byteLength;
  }

  private grow(): void {
    const cap = Math.min(HANDLE_SLOTS_MAX, this.loc.length * 2);
    const loc = new Int32Array(cap);
    loc.set(this.loc);
    this.loc = loc;
    const idx = new Uint16Array(cap);
    idx.set(this.idx);
    this.idx = idx;
    const gen = new Uint8Array(cap);
    gen.set(this.gen);
    this.gen = gen;
  }
}

/** Human-readable form of a handle for error messages: slot and generation. */
export function describeHandle(handle: number): string {
  if (!Number.isInteger(handle) || handle <= 0 || handle >= 2 ** 31) return String(handle);
  return `0x${handle.toString(16)} (slot ${handle & HANDLE_SLOT_MASK}, generation ${handle >>> HANDLE_SLOT_BITS})`;
}
