/**
 * Memory per stored zswap entry: stores N pages (default 1 M) through the library, with the
 * stored slots kept alive, and reports what zswap keeps per stored page:
 *
 * - heap: JS heap growth per page (entry objects, if any; tree and LRU nodes; memcg), minus the
 *   caller's SwapSlot objects (measured apart);
 * - tables: the typed arrays indexed per entry (zswap's entry table and trees, zsmalloc's handle
 *   table), which live outside the JS heap, reported as bytes reserved per stored entry
 *   (growth by doubling included);
 * - per entry: heap + tables, the figure issue #17 asks to be at most 64 bytes.
 *
 * The compressed bytes live in the pool's pages (ArrayBuffers outside the heap, reported apart).
 *
 *   node --expose-gc --import tsx bench/entry_memory.ts                # 1 M pages
 *   node --expose-gc --import tsx bench/entry_memory.ts --pages 200000 --json
 *
 * Every page is distinct (a counter in its first bytes) but compresses to a few dozen bytes,
 * so 1 M pages need only about 40 MiB of pool. A measurement, not a test: it prints figures.
 */

import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";
import { PAGE_SIZE } from "../src/kernel/page.ts";
import { createZswap } from "../src/real/create_zswap.ts";
import { SwapSlot } from "../src/real/swap_slot.ts";
import { zswapState } from "../src/zswap/state.ts";

const { values } = parseArgs({
  options: {
    pages: { type: "string", default: "1000000" },
    compressor: { type: "string" },
    json: { type: "boolean", default: false },
  },
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

/** ArrayBuffer bytes (process.memoryUsage's `external` already includes them: not added). */
function arrayBuffers(): number {
  return process.memoryUsage().arrayBuffers;
}

/** Typed-array bytes that zswap reserves per entry: entry table, trees, handle tables. */
function tableBytes(): { entries: number; trees: number; handles: number } {
  const z = zswapState(zswap.kernel);
  let trees = 0;
  for (const t of z.trees.values()) trees += t.bytesReserved();
  let handles = 0;
  for (const p of z.pools) handles += p.data.zsPool.handles.bytesReserved();
  return { entries: z.entries.bytesReserved(), trees, handles };
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
const ab0 = arrayBuffers();
for (let i = 0; i < nrPages; i++) {
  view.setUint32(0, i);
  slots[i] = zswap.swapOutSync(page);
}
const heap1 = heapUsed();
const ab1 = arrayBuffers();
const stats = zswap.stats();
const stored = stats.debugfs.stored_pages ?? 0;
const tables = tableBytes();
// The SwapSlot objects are the caller's: measure as many again alone, for the split.
const probe: SwapSlot[] = new Array(nrPages);
const before = heapUsed();
for (let i = 0; i < nrPages; i++) probe[i] = new SwapSlot(zswap, i, 1);
const slotBytes = heapUsed() - before;
if (probe[nrPages - 1]?.offset !== nrPages - 1) throw new Error("probe lost");
probe.length = 0;
// Keep the slots (and the warm-up ones) alive up to here: a local that is no longer read is
// not a GC root, and the caller's slots would be collected before heap1 is measured.
if (slots[nrPages - 1]?.live !== true || warm.length !== 1024) throw new Error("slots lost");
const heapPer = (heap1 - heap0 - slotBytes) / nrPages;
const tablesPer = (tables.entries + tables.trees + tables.handles) / stored;
const result = {
  pages: nrPages,
  storedPages: stored,
  poolTotalSizeBytes: stats.debugfs.pool_total_size,
  heapGrowthPerPage: (heap1 - heap0) / nrPages,
  callerSlotsPerPage: slotBytes / nrPages,
  zswapHeapPerEntry: heapPer,
  entryTablePerEntry: tables.entries / stored,
  treesPerEntry: tables.trees / stored,
  handleTablePerEntry: tables.handles / stored,
  zswapPerEntry: heapPer + tablesPer,
  arrayBufferGrowthPerPage: (ab1 - ab0) / nrPages,
};
const f = (b: number): string => b.toFixed(1).padStart(6);
process.stdout.write(
  values.json
    ? `${JSON.stringify(result)}\n`
    : `entry_memory: ${nrPages} stored pages (${stored} in zswap), pool_total_size ${result.poolTotalSizeBytes} B\n` +
        `  heap growth       ${f(result.heapGrowthPerPage)} B/page\n` +
        `  caller's slots    ${f(result.callerSlotsPerPage)} B/page (SwapSlot and its array element)\n` +
        `  zswap heap        ${f(heapPer)} B/entry (JS objects zswap keeps per stored page)\n` +
        `  entry table       ${f(result.entryTablePerEntry)} B/entry (typed arrays, reserved)\n` +
        `  trees             ${f(result.treesPerEntry)} B/entry (typed arrays, reserved)\n` +
        `  handle table      ${f(result.handleTablePerEntry)} B/entry (zsmalloc, typed arrays, reserved)\n` +
        `  zswap per entry   ${f(result.zswapPerEntry)} B/entry (heap + tables)\n` +
        `  ArrayBuffers      ${f(result.arrayBufferGrowthPerPage)} B/page growth (pool pages and the tables)\n`,
);
await zswap.close();
