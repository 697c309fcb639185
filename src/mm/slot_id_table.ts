/**
 * A table of small positive integers by swap slot: zswap's tree (the kernel's xarray of
 * zswap_entry pointers, one per swap type) when entries are ids in a struct of arrays
 * (src/zswap/entry_table.ts). The chunks of SlotTable (slot_chunks.ts) with the values in an
 * Int32Array: 4 bytes a slot of a chunk in use, and nothing for the GC to trace.
 *
 * 0 means "no value" (an entry id is never 0), so `get` returns 0 for an empty slot.
 */
import { CHUNK_MASK, CHUNK_SHIFT, CHUNK_SLOTS, SlotChunks } from "./slot_chunks.ts";

export class SlotIdTable {
  private readonly c: SlotChunks<Int32Array>;

  /** Slots 0 .. nrSlots - 1. */
  constructor(readonly nrSlots: number) {
    this.c = new SlotChunks(nrSlots, "SlotIdTable", () => new Int32Array(CHUNK_SLOTS));
  }

  get size(): number {
    return this.c.size;
  }

  /** The id at `slot`, or 0. */
  get(slot: number): number {
    const chunk = this.c.chunks[slot >>> CHUNK_SHIFT];
    return chunk === undefined ? 0 : (chunk[slot & CHUNK_MASK] as number);
  }

  has(slot: number): boolean {
    return this.get(slot) !== 0;
  }

  set(slot: number, id: number): void {
    if (!(id > 0 && id <= 0x7fffffff && Number.isInteger(id))) {
      throw new RangeError(`SlotIdTable: expected an id in 1..2^31-1, got ${id}`);
    }
    const chunk = this.c.chunkFor(slot);
    if (chunk[slot & CHUNK_MASK] === 0) this.c.added(slot);
    chunk[slot & CHUNK_MASK] = id;
  }

  /** Returns whether the slot held an id. */
  delete(slot: number): boolean {
    const chunk = this.c.chunks[slot >>> CHUNK_SHIFT];
    if (chunk === undefined || chunk[slot & CHUNK_MASK] === 0) return false;
    chunk[slot & CHUNK_MASK] = 0;
    this.c.removed(slot);
    return true;
  }

  /** [slot, id] pairs in slot order (as an xarray walk visits them). */
  *[Symbol.iterator](): IterableIterator<[number, number]> {
    const chunks = this.c.chunks;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      if (chunk === undefined) continue;
      for (let i = 0; i < CHUNK_SLOTS; i++) {
        const v = chunk[i] as number;
        if (v !== 0) yield [(c << CHUNK_SHIFT) | i, v];
      }
    }
  }

  values(): IterableIterator<number> {
    return (function* (t: SlotIdTable) {
      for (const [, v] of t) yield v;
    })(this);
  }

  /** Bytes of typed-array memory the chunks hold, the spare included. */
  bytesReserved(): number {
    let n = this.c.spare?.byteLength ?? 0;
    for (const chunk of this.c.chunks) if (chunk !== undefined) n += chunk.byteLength;
    return n;
  }
}
