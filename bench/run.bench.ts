/**
 * The library's store and load throughput against the raw compressor binding, on the same pages
 * in the same run: 2,048 distinct pages of the default corpus (seed 1), for lz4, zstd and lzo.
 *
 * - store: ZswapInstance.swapOutSync of every page (swap_writeout: zero pages to the zero map,
 *   the rest through zswap_store: compress, zs_malloc, the tree, the LRU) vs the backend's
 *   compress() of every page into a 4 KiB buffer, called directly.
 * - load: swapInSync of every slot (do_swap_page: zswap_load: zs_obj_read, decompress, free the
 *   entry) vs the backend's decompress() of every page that compressed.
 *
 * Each figure is the median of ROUNDS timed rounds over all pages (after WARMUP rounds), the
 * four phases interleaved round by round so that they see the same machine state. Every load is
 * checked byte for byte once. On a loaded machine wall time says little (a phase shorter than
 * a scheduler time slice runs uninterrupted more often than a longer one), so each line also
 * gives the ratio of CPU time (process.cpuUsage summed over the rounds: not counted while the
 * process waits for a CPU). Run: `npx tsx bench/index.ts run` (or `node dist/bench/index.js run`).
 */
import { createNativeCompressorRegistry } from "../src/crypto/algorithms/native/index.ts";
import { PAGE_SIZE } from "../src/kernel/page.ts";
import { createZswap } from "../src/real/create_zswap.ts";
import type { SwapSlot, ZswapInstance } from "../src/real/zswap_instance.ts";
import { DEFAULT_MIX, generateCorpus } from "../src/workload/corpus.ts";
import { fmtNs, rows } from "./harness.ts";

const NR_PAGES = 2048;
const WARMUP = 5;
const ROUNDS = 25;
const COMPRESSORS = ["lz4", "zstd", "lzo"] as const;

export async function benchRun(): Promise<void> {
  const corpus = generateCorpus({ sizeBytes: NR_PAGES * PAGE_SIZE, seed: 1, mix: DEFAULT_MIX });
  const pages = Array.from({ length: NR_PAGES }, (_, i) =>
    corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
  );
  const counts = Object.entries(corpus.counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  process.stdout.write(
    `run: ${NR_PAGES} pages of the default corpus (seed 1: ${counts}), median of ${ROUNDS} rounds\n`,
  );
  for (const name of COMPRESSORS) await benchOne(name, pages);
}

interface Phases {
  store: number[];
  load: number[];
  compress: number[];
  decompress: number[];
}

type PhaseName = keyof Phases;

/** CPU milliseconds of the process (user + system), all threads (the GC's helpers included). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

async function benchOne(name: string, pages: readonly Uint8Array[]): Promise<void> {
  const backend = createNativeCompressorRegistry().get(name).create();
  const zswap = createZswap({ compressor: name, cpus: 2, totalRamBytes: 2 ** 36 });
  const out = new Uint8Array(NR_PAGES * PAGE_SIZE);
  const dsts = pages.map((_, i) => out.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
  const buffer = new Uint8Array(PAGE_SIZE);
  // What raw decompress works on: each page's compressed bytes (pages that did not fit are
  // stored as they are by zswap, and need no decompression).
  const compressed = pages.map((p) => {
    const n = backend.compress(p, buffer);
    return n > 0 && n < PAGE_SIZE ? buffer.slice(0, n) : null;
  });
  const t: Phases = { store: [], load: [], compress: [], decompress: [] };
  const cpu: Record<PhaseName, number> = { store: 0, load: 0, compress: 0, decompress: 0 };
  try {
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      const keep = r >= WARMUP;
      const timed = <T>(phase: PhaseName, f: () => T): T => {
        const c0 = cpuMs();
        const t0 = performance.now();
        const v = f();
        if (keep) {
          t[phase].push(performance.now() - t0);
          cpu[phase] += cpuMs() - c0;
        }
        return v;
      };
      timed("compress", () => {
        for (const p of pages) backend.compress(p, buffer);
      });
      const slots = timed("store", () => storeAll(zswap, pages));
      timed("load", () => loadAll(zswap, slots, dsts));
      if (r === 0) verify(name, out, pages);
      timed("decompress", () => {
        for (let i = 0; i < NR_PAGES; i++) {
          const c = compressed[i];
          if (c != null) backend.decompress(c, dsts[i] as Uint8Array);
        }
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await zswap.close();
  }
  report(name, t, cpu);
}

function storeAll(zswap: ZswapInstance, pages: readonly Uint8Array[]): SwapSlot[] {
  const slots = new Array<SwapSlot>(pages.length);
  for (let i = 0; i < pages.length; i++) slots[i] = zswap.swapOutSync(pages[i] as Uint8Array);
  return slots;
}

function loadAll(
  zswap: ZswapInstance,
  slots: readonly SwapSlot[],
  dsts: readonly Uint8Array[],
): void {
  for (let i = 0; i < slots.length; i++) zswap.swapInSync(slots[i] as SwapSlot, dsts[i]);
}

function verify(name: string, out: Uint8Array, pages: readonly Uint8Array[]): void {
  for (let i = 0; i < pages.length; i++) {
    if (
      Buffer.compare(out.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), pages[i] as Uint8Array) !== 0
    ) {
      throw new Error(`run bench (${name}): page ${i} came back different`);
    }
  }
}

function report(name: string, t: Phases, cpu: Record<PhaseName, number>): void {
  const bytes = NR_PAGES * PAGE_SIZE;
  const cpuUs = (phase: PhaseName): number => (cpu[phase] * 1e3) / (ROUNDS * NR_PAGES);
  const line = (
    what: string,
    ms: number[],
    base: number[],
    phase: PhaseName,
    raw: PhaseName,
  ): void => {
    const m = medianOf(ms);
    const b = medianOf(base);
    const perPageNs = (m * 1e6) / NR_PAGES;
    rows.push({
      group: "run",
      name: `${name} ${what}`,
      medianNs: perPageNs,
      figure: `${mbps(bytes, m)} MB/s`,
    });
    const cpuText = `cpu ${cpuUs(phase).toFixed(2).padStart(6)} us/page`;
    process.stdout.write(
      `run          ${`${name} ${what}`.padEnd(44)} median ${fmtNs(perPageNs).padStart(10)}/page  ${mbps(bytes, m).padStart(5)} MB/s  ${cpuText}` +
        (base === ms
          ? "\n"
          : `  = ${((100 * b) / m).toFixed(0)}% of raw (cpu ${((100 * cpuUs(raw)) / cpuUs(phase)).toFixed(0)}%)\n`),
    );
  };
  line("raw compress", t.compress, t.compress, "compress", "compress");
  line("store (swapOutSync)", t.store, t.compress, "store", "compress");
  line("raw decompress", t.decompress, t.decompress, "decompress", "decompress");
  line("load (swapInSync)", t.load, t.decompress, "load", "decompress");
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function mbps(bytes: number, ms: number): string {
  return (bytes / 1e3 / ms).toFixed(0);
}
