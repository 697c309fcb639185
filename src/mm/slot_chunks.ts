/**
 * The chunk bookkeeping of the slot tables (slot_table.ts, slot_id_table.ts): slot s lives at
 * index s & CHUNK_MASK of chunk s >>> CHUNK_SHIFT. A chunk is made when a slot in it is first
 * set and dropped when its last value goes; the last chunk dropped is kept as a spare for the
 * next one needed, so a run of swap-outs (each adds its folio to the swap cache and deletes it)
 * allocates nothing, and a million slots used once do not keep a million slots' worth of chunks.
 */
export const CHUNK_SHIFT = 8;
export const CHUNK_SLOTS = 1 << CHUNK_SHIFT;
export const CHUNK_MASK = CHUNK_SLOTS - 1;

export class SlotChunks<C> {
  readonly chunks: Array<C | undefined> = [];
  /** Values in each chunk. */
  private readonly counts: number[] = [];
  /** An empty chunk, ready for reuse. */
  spare: C | undefined = undefined;
  /** Values in all chunks. */
  size = 0;

  /** Slots 0 .. nrSlots - 1; `make` gives an empty chunk; `what` names the table in errors. */
  constructor(
    readonly nrSlots: number,
    private readonly what: string,
    private readonly make: () => C,
  ) {}

  /** The chunk of `slot`, made (or the spare taken) when it has none; the slot is checked. */
  chunkFor(slot: number): C {
    if (!(slot >= 0 && slot < this.nrSlots && Number.isInteger(slot))) {
      throw new RangeError(`${this.what}: expected a slot in 0..${this.nrSlots - 1}, got ${slot}`);
    }
    const c = slot >>> CHUNK_SHIFT;
    let chunk = this.chunks[c];
    if (chunk === undefined) {
      chunk = this.spare ?? this.make();
      this.spare = undefined;
      this.chunks[c] = chunk;
      this.counts[c] = 0;
    }
    return chunk;
  }

  /** A value went into an empty place of the chunk of `slot`. */
  added(slot: number): void {
    const c = slot >>> CHUNK_SHIFT;
    this.counts[c] = (this.counts[c] as number) + 1;
    this.size++;
  }

  /** A value left the chunk of `slot`: the chunk is dropped when it is empty. */
  removed(slot: number): void {
    const c = slot >>> CHUNK_SHIFT;
    const left = (this.counts[c] as number) - 1;
    this.counts[c] = left;
    this.size--;
    if (left > 0) return;
    this.spare = this.chunks[c];
    this.chunks[c] = undefined;
  }
}
