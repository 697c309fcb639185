/**
 * Peak memory of `zswap-ts run` against what it must hold: the pool (pool_total_size) plus a
 * few bytes per page (the run's digest and slot, the kernel's entry), not the corpus.
 *
 *   node --expose-gc --import tsx bench/run_memory.ts                 # 1 GiB generated corpus
 *   node --expose-gc --import tsx bench/run_memory.ts --size 256M
 *   node --expose-gc --import tsx bench/run_memory.ts --corpus c.pages
 *   node --expose-gc --import tsx bench/run_memory.ts --warmup 64M    # a bigger warm-up run
 *
 * The baseline is the process's RSS once everything is loaded and a small run has warmed up
 * the compressors and the JIT; the peak is the kernel's high-water mark (getrusage maxrss).
 * The goal (issue 11): peak - baseline within 10% of pool_total_size + 32 bytes per page. A
 * measurement, not a test: it prints the figures and whether the goal is met, and exits 0.
 */
import { totalmem } from "node:os";
import { parseArgs } from "node:util";
import { type RunConfig, runConfigWith } from "../src/cli/run_config.ts";
import { runJob } from "../src/cli/run_job.ts";
import { parseSize } from "../src/workload/corpus.ts";

const PER_PAGE_BYTES = 32;
const MiB = 2 ** 20;

function config(overrides: Partial<RunConfig>): RunConfig {
  return runConfigWith({
    sizeBytes: 4 * MiB,
    totalRamBytes: totalmem(),
    cpus: undefined,
    ...overrides,
  });
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Resident set size now, in bytes. */
function rss(): number {
  return process.memoryUsage.rss();
}

/** The high-water mark of the resident set, in bytes (ru_maxrss is in KiB on Linux). */
function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "1G" },
      corpus: { type: "string" },
      compressor: { type: "string", default: "lz4" },
      warmup: { type: "string", default: "4M" },
    },
  });
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    process.stderr.write("run_memory: run with node --expose-gc for a steady baseline\n");
  }
  // Warm-up: bindings loaded, code compiled, a pool created and destroyed.
  await runJob(config({ compressor: values.compressor, sizeBytes: parseSize(values.warmup) }));
  gc();
  const baseline = rss();
  if (peakRss() > baseline) {
    // maxrss cannot be reset: the warm-up's peak must be below what the real run will reach.
    process.stderr.write(
      `run_memory: warm-up peak ${(peakRss() / MiB).toFixed(0)} MiB above baseline ${(baseline / MiB).toFixed(0)} MiB\n`,
    );
  }
  // Where the peak falls: the highest RSS seen in each phase (sampled every 20 ms).
  let phase = "start";
  const phasePeaks = new Map<string, number>();
  const sampler = setInterval(() => {
    phasePeaks.set(phase, Math.max(phasePeaks.get(phase) ?? 0, rss()));
  }, 20);
  const t0 = performance.now();
  const r = await runJob(
    config({
      compressor: values.compressor,
      ...(values.corpus !== undefined
        ? { corpusFile: values.corpus }
        : { sizeBytes: parseSize(values.size) }),
    }),
    {
      onStatus: (s) => {
        phase = s.split(",")[0] as string;
      },
    },
  );
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  const peak = peakRss();
  const pool = r.afterSwapOut.debugfs.pool_total_size ?? 0;
  const pages = r.corpus.pages;
  const goal = pool + PER_PAGE_BYTES * pages;
  const used = peak - baseline;
  const over = used / goal - 1;
  const lines = [
    `corpus            ${r.corpus.source}: ${pages} pages (${(r.corpus.sizeBytes / MiB).toFixed(0)} MiB), ${r.config.compressor}, verified ${r.verification.ok ? "OK" : "FAILED"} in ${seconds.toFixed(1)} s`,
    `baseline RSS      ${(baseline / MiB).toFixed(1)} MiB`,
    `peak RSS          ${(peak / MiB).toFixed(1)} MiB`,
    `peak - baseline   ${(used / MiB).toFixed(1)} MiB`,
    `pool_total_size   ${(pool / MiB).toFixed(1)} MiB (after swap-out: every page out)`,
    `goal              ${(goal / MiB).toFixed(1)} MiB = pool_total_size + ${PER_PAGE_BYTES} B x ${pages} pages`,
    `peak - baseline   ${over >= 0 ? "+" : ""}${(100 * over).toFixed(1)}% of the goal: ${Math.abs(over) <= 0.1 ? "within 10%" : "NOT within 10%"}`,
    `per page          ${((used - pool) / pages).toFixed(1)} bytes beyond the pool`,
    `sampled peaks     ${[...phasePeaks].map(([p, v]) => `${p} ${((v - baseline) / MiB).toFixed(0)} MiB`).join(", ")} (above baseline)`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
