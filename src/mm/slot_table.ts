/**
 * A table of objects by swap slot, as the kernel's xarrays keep them: the swapcache's folios.
 * get, set, delete, has, size and iteration (in slot order), as a Map of numbers has them.
 * zswap's trees hold entry ids, in Int32Arrays: slot_id_table.ts.
 *
 * Why not a Map: a swap-out adds its folio and deletes it again at once, and a V8 Map that
 * becomes empty reallocates its hash table on that delete (about 150 bytes a page in real mode,
 * measured). Here a slot is an index into chunks of CHUNK_SLOTS (256) entries (slot_chunks.ts):
 * no hashing, no allocation per operation, and 8 bytes a slot of a chunk in use where a Map
 * keeps about 20 per entry; emptied chunks are dropped.
 */
import { CHUNK_MASK, CHUNK_SHIFT, CHUNK_SLOTS, SlotChunks } from "./slot_chunks.ts";

export class SlotTable<T> {
  private readonly c: SlotChunks<Array<T | undefined>>;

  /** Slots 0 .. nrSlots - 1. */
  constructor(readonly nrSlots: number) {
    this.c = new SlotChunks(nrSlots, "SlotTable", () =>
      new Array<T | undefined>(CHUNK_SLOTS).fill(undefined),
    );
  }

  get size(): number {
    return this.c.size;
  }

  get(slot: number): T | undefined {
    return this.c.chunks[slot >>> CHUNK_SHIFT]?.[slot & CHUNK_MASK];
  }

  has(slot: number): boolean {
    return this.get(slot) !== undefined;
  }

  set(slot: number, value: T): void {
    const chunk = this.c.chunkFor(slot);
    if (chunk[slot & CHUNK_MASK] === undefined) this.c.added(slot);
    chunk[slot & CHUNK_MASK] = value;
  }

  /** [slot, value] pairs in slot order (as an xarray walk visits them). */
  *[Symbol.iterator](): IterableIterator<[number, T]> {
    const chunks = this.c.chunks;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
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
    const chunk = this.c.chunks[slot >>> CHUNK_SHIFT];
    if (chunk === undefined || chunk[slot & CHUNK_MASK] === undefined) return false;
    chunk[slot & CHUNK_MASK] = undefined;
    this.c.removed(slot);
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
