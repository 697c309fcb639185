/**
 * Heap bytes per live zswap entry: stores N pages (default 1 M) through the library and
 * measures the JS heap before and after, with the stored slots kept alive, so the difference
 * is what zswap keeps per stored page on the heap: the entry, its KObj wrapper, the tree and
 * LRU, the zsmalloc handle, the memcg accounting, plus the caller's SwapSlot (reported apart).
 * The compressed bytes live in the pool's ArrayBuffers (external memory, reported apart).
 *
 *   node --expose-gc --import tsx bench/entry_memory.ts                # 1 M pages
 *   node --expose-gc --import tsx bench/entry_memory.ts --pages 200000
 *
 * Every page is distinct (a counter in its first bytes) but compresses to a few dozen bytes,
 * so 1 M pages need only about 40 MiB of pool. A measurement, not a test: it prints figures.
 */

import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";
import { PAGE_SIZE } from "../src/kernel/page.ts";
import { createZswap } from "../src/real/create_zswap.ts";
import { SwapSlot } from "../src/real/swap_slot.ts";

const { values } = parseArgs({
  options: { pages: { type: "string", default: "1000000" }, compressor: { type: "string" } },
});
const nrPages = Number(values.pages);
if (!Number.isSafeInteger(nrPages) || nrPages < 1) {
  process.stderr.write(`entry_memory: --pages expects a positive integer, got ${values.pages}\n`);
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write("entry_memory: run with node --expose-gc\n");
  process.exit(2);
}

function heapUsed(): number {
  gc?.();
  gc?.();
  return getHeapStatistics().used_heap_size;
}

function external(): number {
  const m = process.memoryUsage();
  return m.external + m.arrayBuffers;
}

const zswap = createZswap({
  compressor: values.compressor ?? "lz4",
  cpus: 1,
  totalRamBytes: 2 ** 40,
  swapSizeBytes: (nrPages + 1024) * PAGE_SIZE,
});
const page = new Uint8Array(PAGE_SIZE);
const view = new DataView(page.buffer);
page.fill(7, 64);
// Warm up: the first stores allocate the tree, the LRU, size classes and compressor state.
const warm: SwapSlot[] = [];
for (let i = 0; i < 1024; i++) {
  view.setUint32(0, 0x80000000 + i);
  warm.push(zswap.swapOutSync(page));
}
const slots: SwapSlot[] = new Array(nrPages);
const heap0 = heapUsed();
const ext0 = external();
for (let i = 0; i < nrPages; i++) {
  view.setUint32(0, i);
  slots[i] = zswap.swapOutSync(page);
}
const heap1 = heapUsed();
const ext1 = external();
const stats = zswap.stats();
const per = (b: number): string => (b / nrPages).toFixed(1);
// The SwapSlot objects (and the array holding them) are the caller's: measure as many again
// alone, for the split.
const probe: SwapSlot[] = new Array(nrPages);
const before = heapUsed();
for (let i = 0; i < nrPages; i++) probe[i] = new SwapSlot(zswap, i, 1);
const slotBytes = heapUsed() - before;
probe.length = 0;
process.stdout.write(
  `entry_memory: ${nrPages} stored pages (${stats.debugfs.stored_pages} in zswap), pool_total_size ${stats.debugfs.pool_total_size} B\n` +
    `  heap growth       ${per(heap1 - heap0)} B/page\n` +
    `  caller's slots    ${per(slotBytes)} B/page (SwapSlot and its array element)\n` +
    `  zswap per entry   ${per(heap1 - heap0 - slotBytes)} B/page (entry, tracking, tree, LRU, handle, memcg, swapcache)\n` +
    `  external growth   ${per(ext1 - ext0)} B/page (pool pages: ArrayBuffers, not heap)\n`,
);
await zswap.close();
