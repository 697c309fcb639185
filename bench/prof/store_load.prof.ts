/**
 * Profiling driver (not a benchmark): stores and loads the run bench's 2,048 pages ROUNDS times
 * with one compressor, printing store and load milliseconds. Profile the compiled JavaScript so
 * that line numbers are real:
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/prof/store_load.prof.js lz4
 *   node scripts/cpuprof_summary.mjs /tmp/prof/CPU.*.cpuprofile
 */

import { PAGE_SIZE } from "../../src/kernel/page.ts";
import { createZswap } from "../../src/real/create_zswap.ts";
import type { SwapSlot } from "../../src/real/zswap_instance.ts";
import { DEFAULT_MIX, generateCorpus } from "../../src/workload/corpus.ts";

const NR_PAGES = 2048;
const ROUNDS = Number(process.env.ROUNDS ?? 100);
const name = process.argv[2] ?? "lz4";
const corpus = generateCorpus({ sizeBytes: NR_PAGES * PAGE_SIZE, seed: 1, mix: DEFAULT_MIX });
const pages = Array.from({ length: NR_PAGES }, (_, i) =>
  corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
);
const zswap = createZswap({ compressor: name, cpus: 2, totalRamBytes: 2 ** 36 });
const dst = new Uint8Array(PAGE_SIZE);
const slots: SwapSlot[] = new Array(NR_PAGES);
let storeMs = 0;
let loadMs = 0;
for (let r = 0; r < ROUNDS; r++) {
  let t0 = performance.now();
  for (let i = 0; i < NR_PAGES; i++) slots[i] = zswap.swapOutSync(pages[i] as Uint8Array);
  storeMs += performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < NR_PAGES; i++) zswap.swapInSync(slots[i] as SwapSlot, dst);
  loadMs += performance.now() - t0;
}
const us = (ms: number): string => ((ms * 1e3) / (ROUNDS * NR_PAGES)).toFixed(2);
process.stdout.write(`${name}: store ${us(storeMs)} us/page, load ${us(loadMs)} us/page\n`);
await zswap.close();
