/** Pieces the batching scenarios (C21, C22, C27) share. */
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { Folio, folioLock, folioUnlock } from "../../mm/folio.ts";
import { swapcacheAdd, swapcacheDelete, swapDevice, swapOut, swapWriteout } from "../../mm/swap.ts";
import { type SwpEntry, swpEntry } from "../../mm/swap_entry.ts";
import { isBatchingDesign } from "../../zswap/acomp_ctx/d7_batch.ts";
import { DESIGNS } from "../../zswap/acomp_ctx/index.ts";
import type { DataOracle } from "../oracle.ts";
import { testPage } from "../oracle.ts";

/** The scenarios exercise the batching store path: "–" for every other design. */
export function nonBatchingDesigns(): string[] {
  return DESIGNS.filter((d) => !isBatchingDesign(d)).map((d) => d.name);
}

/** A folio of `nr` test pages tagged from `tag`. */
export function testFolio(nr: number, tag: number): Uint8Array {
  const data = new Uint8Array(nr * PAGE_SIZE);
  for (let i = 0; i < nr; i++) data.set(testPage(tag + i), i * PAGE_SIZE);
  return data;
}

/** Swaps a large folio out and records each of its pages in the oracle; the first slot or null. */
export function* swapOutFolio(
  k: Kernel,
  oracle: DataOracle,
  data: Uint8Array,
): Op<SwpEntry | null> {
  const r = yield* swapOut(k, 0, data, null);
  if (typeof r === "number") return null;
  recordPages(oracle, r, data);
  return r;
}

function recordPages(oracle: DataOracle, s: SwpEntry, data: Uint8Array): void {
  for (let i = 0; i < data.length / PAGE_SIZE; i++)
    oracle.record(
      swpEntry(s.type, s.offset + i),
      data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
    );
}

/**
 * A redirtied large folio written out again to the slots it has (swapRewrite for a folio):
 * waits until no swapcache folio covers its slots, then swap_writeout.
 */
export function* rewriteFolio(
  k: Kernel,
  oracle: DataOracle,
  s: SwpEntry,
  data: Uint8Array,
): Op<number> {
  const dev = swapDevice(k, s.type);
  const nr = data.length / PAGE_SIZE;
  for (let i = 0; i < nr; i++) {
    for (let cached = dev.swapcache.get(s.offset + i); cached !== undefined; ) {
      yield* folioLock(k, cached); // whoever has it (writeback) is done with it once we get it
      folioUnlock(k, cached);
      cached = dev.swapcache.get(s.offset + i);
    }
  }
  const folio = new Folio(s, nr, null, data.slice());
  folio.dirty = true;
  swapcacheAdd(k, dev, folio);
  const ret = yield* swapWriteout(k, folio);
  folioUnlock(k, folio);
  yield* swapcacheDelete(k, dev, folio);
  if (ret === 0) recordPages(oracle, s, data);
  return ret;
}
