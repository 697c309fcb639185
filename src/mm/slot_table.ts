/**
 * A table of objects by swap slot, as the kernel's xarrays keep them: the swapcache's folios,
 * and zswap's tree of entries (zswap_trees). get, set, delete, has, size and iteration (in slot
 * order), as a Map of numbers has them.
 *
 * Why not a Map: a swap-out adds its folio and deletes it again at once, and a V8 Map that
 * becomes empty reallocates its hash table on that delete (about 150 bytes a page in real mode,
 * measured). Here a slot is an index into chunks of CHUNK_SLOTS (256) entries, allocated when a slot
 * in them is first set and kept: no allocation per operation, no hashing, and 4 bytes a slot
 * of a chunk in use where a Map keeps about 20 per entry.
 */
const CHUNK_SHIFT = 8;
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SLOTS - 1;

export class SlotTable<T> {
  private readonly chunks: Array<Array<T | undefined> | undefined> = [];
  private count = 0;

  /** Slots 0 .. nrSlots - 1. */
  constructor(readonly nrSlots: number) {}

  get size(): number {
    return this.count;
  }

  get(slot: number): T | undefined {
    return this.chunks[slot >>> CHUNK_SHIFT]?.[slot & CHUNK_MASK];
  }

  has(slot: number): boolean {
    return this.get(slot) !== undefined;
  }

  set(slot: number, value: T): void {
    if (!(slot >= 0 && slot < this.nrSlots && Number.isInteger(slot))) {
      throw new RangeError(`SlotTable: expected a slot in 0..${this.nrSlots - 1}, got ${slot}`);
    }
    let chunk = this.chunks[slot >>> CHUNK_SHIFT];
    if (chunk === undefined) {
      chunk = new Array<T | undefined>(CHUNK_SLOTS).fill(undefined);
      this.chunks[slot >>> CHUNK_SHIFT] = chunk;
    }
    if (chunk[slot & CHUNK_MASK] === undefined) this.count++;
    chunk[slot & CHUNK_MASK] = value;
  }

  /** [slot, value] pairs in slot order (as an xarray walk visits them). */
  *[Symbol.iterator](): IterableIterator<[number, T]> {
    for (let c = 0; c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      if (chunk === undefined) continue;
      for (let i = 0; i < CHUNK_SLOTS; i++) {
        const v = chunk[i];
        if (v !== undefined) yield [(c << CHUNK_SHIFT) | i, v];
      }
    }
  }

  values(): IterableIterator<T> {
    return slotValues(this);
  }

  /** Returns whether the slot held something. */
  delete(slot: number): boolean {
    const chunk = this.chunks[slot >>> CHUNK_SHIFT];
    if (chunk === undefined || chunk[slot & CHUNK_MASK] === undefined) return false;
    chunk[slot & CHUNK_MASK] = undefined;
    this.count--;
    return true;
  }
}

/**
 * SlotTable.values(): a top-level generator, not a closure made per call (a called generator
 * closure keeps what it captures alive until a full GC; see src/check/scenarios/bodies.ts).
 */
function* slotValues<T>(t: SlotTable<T>): IterableIterator<T> {
  for (const [, v] of t) yield v;
}
