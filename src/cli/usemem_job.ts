/**
 * The usemem30-like job (reference/zswap-design.md §3.4): N producers each write M MiB of pages
 * that go out to swap as large folios, through zswap; reported as the series reports usemem:
 * total throughput (KB/s), elapsed and CPU time, the baseline (7.3, page by page) and batching
 * (7.3-batching) side by side, each the median of `repeat` alternating runs.
 *
 * Simplifications: the producers are not processes; their folios are interleaved round-robin
 * on one thread (each swap-out on the next CPU of the instance), so the only parallelism is
 * what the compressor brings (deflate-iaa's engines). The CPU time is the process's user plus
 * system time, worker threads included: the analogue of the series' "sys time", which is
 * where a kernel's compression time is accounted.
 */
import { cpuUsage } from "node:process";
import type { IaaSyncMode } from "../crypto/iaa_crypto.ts";
import { createZswap } from "../real/create_zswap.ts";
import { PAGE_SIZE, type ZswapInstance } from "../real/zswap_instance.ts";
import type { Corpus } from "../workload/corpus.ts";
import type { Profile } from "../zswap/params.ts";

export interface UsememConfig {
  readonly producers: number;
  readonly bytesPerProducer: number;
  readonly folioPages: number;
  readonly compressor: string;
  /** deflate-iaa engines of the batching run (the baseline compresses on the calling thread). */
  readonly iaaEngines: number;
  readonly iaaSyncMode: IaaSyncMode;
  readonly cpus: number;
  readonly repeat: number;
}

export interface UsememRun {
  readonly label: "baseline" | "batching";
  readonly profile: Profile;
  readonly iaaEngines: number;
  /** Medians over the repeats. */
  readonly throughputKBs: number;
  readonly elapsedS: number;
  readonly cpuS: number;
  /** Of the last repeat. */
  readonly storedPages: number;
  readonly poolTotalSize: number;
}

export interface UsememResult {
  readonly config: UsememConfig;
  readonly baseline: UsememRun;
  readonly batching: UsememRun;
  readonly ratio: { readonly throughput: number; readonly elapsed: number; readonly cpu: number };
}

interface Sample {
  readonly elapsedS: number;
  readonly cpuS: number;
  readonly storedPages: number;
  readonly poolTotalSize: number;
}

/** Runs baseline and batching `repeat` times each, alternating; returns the medians. */
export async function runUsemem(c: UsememConfig, corpus: Corpus): Promise<UsememResult> {
  const base: Sample[] = [];
  const bat: Sample[] = [];
  for (let r = 0; r < c.repeat; r++) {
    base.push(await once(c, corpus, "7.3", 0));
    bat.push(await once(c, corpus, "7.3-batching", c.iaaEngines));
  }
  const totalBytes = c.producers * c.bytesPerProducer;
  const baseline = summarize("baseline", "7.3", 0, base, totalBytes);
  const batching = summarize("batching", "7.3-batching", c.iaaEngines, bat, totalBytes);
  return {
    config: c,
    baseline,
    batching,
    ratio: {
      throughput: batching.throughputKBs / baseline.throughputKBs,
      elapsed: batching.elapsedS / baseline.elapsedS,
      cpu: batching.cpuS / baseline.cpuS,
    },
  };
}

async function once(c: UsememConfig, corpus: Corpus, profile: Profile, engines: number) {
  const totalPages = (c.producers * c.bytesPerProducer) / PAGE_SIZE;
  const z = createZswap({
    compressor: c.compressor,
    profile,
    cpus: c.cpus,
    totalRamBytes: 2 ** 40, // the pool limit never binds: the series' runs had no zswap limit
    swapSizeBytes: (totalPages + c.folioPages) * PAGE_SIZE,
    iaaEngines: engines,
    iaaSyncMode: c.iaaSyncMode,
  });
  try {
    z.swapOutSync(corpus.pages.subarray(0, c.folioPages * PAGE_SIZE)); // warm up; engines ready
    return produce(c, corpus, z);
  } finally {
    await z.close();
  }
}

/** Every producer's M MiB, folio by folio, interleaved round-robin; timed. */
function produce(c: UsememConfig, corpus: Corpus, z: ZswapInstance): Sample {
  const folioBytes = c.folioPages * PAGE_SIZE;
  const corpusFolios = Math.floor(corpus.pages.length / folioBytes);
  const perProducer = c.bytesPerProducer / folioBytes;
  const before = z.stats().debugfs.stored_pages ?? 0;
  const cpu0 = cpuUsage();
  const t0 = performance.now();
  for (let j = 0; j < perProducer; j++) {
    for (let p = 0; p < c.producers; p++) {
      // Producer p starts at its own place in the corpus, so producers write different data.
      const f = (j + p * Math.floor(corpusFolios / c.producers)) % corpusFolios;
      z.swapOutSync(corpus.pages.subarray(f * folioBytes, (f + 1) * folioBytes));
    }
  }
  const elapsedS = (performance.now() - t0) / 1e3;
  const cpu = cpuUsage(cpu0);
  const s = z.stats().debugfs;
  return {
    elapsedS,
    cpuS: (cpu.user + cpu.system) / 1e6,
    storedPages: (s.stored_pages ?? 0) - before,
    poolTotalSize: s.pool_total_size ?? 0,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function summarize(
  label: UsememRun["label"],
  profile: Profile,
  iaaEngines: number,
  samples: readonly Sample[],
  totalBytes: number,
): UsememRun {
  const last = samples[samples.length - 1] as Sample;
  return {
    label,
    profile,
    iaaEngines,
    throughputKBs: median(samples.map((s) => totalBytes / 1024 / s.elapsedS)),
    elapsedS: median(samples.map((s) => s.elapsedS)),
    cpuS: median(samples.map((s) => s.cpuS)),
    storedPages: last.storedPages,
    poolTotalSize: last.poolTotalSize,
  };
}

function sizeText(bytes: number): string {
  return bytes >= 2 ** 20 && bytes % 2 ** 20 === 0
    ? `${bytes / 2 ** 20} MiB`
    : `${bytes / 1024} KiB`;
}

function pct(ratio: number): string {
  const d = (ratio - 1) * 100;
  return `${d >= 0 ? "+" : ""}${d.toFixed(1)}%`;
}

/** The series' table layout: one row per figure, baseline -> batching (change). */
export function usememText(r: UsememResult): string {
  const c = r.config;
  const n = (x: number, digits = 0) =>
    x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const folio = c.folioPages === 512 ? "PMD" : `${(c.folioPages * PAGE_SIZE) / 1024}K`;
  const engines =
    c.compressor === "deflate-iaa"
      ? `, batching on ${c.iaaEngines} engine(s) (${c.iaaSyncMode})`
      : "";
  const rows: Array<[string, number, number, number, number]> = [
    [
      "Total throughput (KB/s)",
      r.baseline.throughputKBs,
      r.batching.throughputKBs,
      r.ratio.throughput,
      0,
    ],
    ["Elapsed (s)", r.baseline.elapsedS, r.batching.elapsedS, r.ratio.elapsed, 2],
    ["CPU time (s)", r.baseline.cpuS, r.batching.cpuS, r.ratio.cpu, 2],
  ];
  const lines = [
    `usemem: ${c.producers} producers x ${sizeText(c.bytesPerProducer)}, ${folio} folios, ${c.compressor}${engines}; medians of ${c.repeat}`,
    "",
    `| ${"usemem".padEnd(24)} | ${"baseline (7.3)".padStart(16)} | ${"batching (7.3-batching)".padStart(24)} | ${"change".padStart(7)} |`,
    `|${"-".repeat(26)}|${"-".repeat(18)}|${"-".repeat(26)}|${"-".repeat(9)}|`,
  ];
  for (const [name, b, a, ratio, digits] of rows)
    lines.push(
      `| ${name.padEnd(24)} | ${n(b, digits).padStart(16)} | ${n(a, digits).padStart(24)} | ${pct(ratio).padStart(7)} |`,
    );
  lines.push(
    "",
    `stored_pages per run: ${r.baseline.storedPages} (baseline), ${r.batching.storedPages} (batching)`,
  );
  return `${lines.join("\n")}\n`;
}
