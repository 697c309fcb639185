/**
 * Swap storage: where a swap device keeps its pages. The swap layer reaches it only through
 * `io` effects, so the simulator uses the synchronous side (in memory) and the real executor
 * awaits the asynchronous side (a real file, in src/real).
 *
 * Errors are values: 0 on success, a negative errno (-ENOSPC, -EIO) on failure.
 */
import type { Op } from "../kernel/effect.ts";

import { ENOSPC } from "../kernel/errno.ts";
import { PAGE_SIZE } from "../kernel/page.ts";

export interface SwapStorage {
  /** Number of 4 KiB slots. */
  readonly nrSlots: number;
  readSync(slot: number, dst: Uint8Array): number;
  writeSync(slot: number, src: Uint8Array): number;
  readAsync(slot: number, dst: Uint8Array): Promise<number>;
  writeAsync(slot: number, src: Uint8Array): Promise<number>;
  /** Releases resources (closes and, for temporary files, removes the file). */
  close(): void;
}

/** In-memory storage (the simulator's swap device, and tests). */
export class MemoryStorage implements SwapStorage {
  private readonly pages: Array<Uint8Array | undefined>;
  /** Slots whose writes fail with -ENOSPC (a full disk), for fault tests. */
  readonly failingWrites = new Set<number>();

  constructor(readonly nrSlots: number) {
    this.pages = new Array(nrSlots);
  }

  readSync(slot: number, dst: Uint8Array): number {
    const p = this.pages[slot];
    if (p === undefined) dst.fill(0);
    else dst.set(p);
    return 0;
  }

  writeSync(slot: number, src: Uint8Array): number {
    if (this.failingWrites.has(slot)) return -ENOSPC;
    this.pages[slot] = src.slice(0, PAGE_SIZE);
    return 0;
  }

  readAsync(slot: number, dst: Uint8Array): Promise<number> {
    return Promise.resolve(this.readSync(slot, dst));
  }

  writeAsync(slot: number, src: Uint8Array): Promise<number> {
    return Promise.resolve(this.writeSync(slot, src));
  }

  close(): void {}
}

/** Reads one page through an io effect. */
export function* storageRead(storage: SwapStorage, slot: number, dst: Uint8Array): Op<number> {
  return (yield {
    t: "io",
    label: `swap read slot ${slot}`,
    sync: () => storage.readSync(slot, dst),
    async: () => storage.readAsync(slot, dst),
  }) as number;
}

/** Writes one page through an io effect. */
export function* storageWrite(storage: SwapStorage, slot: number, src: Uint8Array): Op<number> {
  return (yield {
    t: "io",
    label: `swap write slot ${slot}`,
    sync: () => storage.writeSync(slot, src),
    async: () => storage.writeAsync(slot, src),
  }) as number;
}
