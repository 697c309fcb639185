/**
 * Multi-core mode (issue #17 item 4, docs/multicore.md): `run --cpus 2 --parallel` against
 * `run --cpus 2` on one thread, per compressor, the same corpus in the same process: the
 * swap-out and swap-in phases' throughput (pages/s, the run's own phase clocks), the ratio,
 * and the CPU time of the whole job (every thread: the workers' too) and of the main thread.
 *
 * Each figure is the median of REPEAT runs, one-thread and parallel alternating. A measurement,
 * not a test: on a machine shared with other work the ratio moves with the load, so the load
 * average (uptime) is printed before and after. Goal (issue #17): at least 1.6x on 2 cores.
 * Run: `npx tsx bench/index.ts parallel` (PARALLEL_MIB, PARALLEL_REPEAT and
 * PARALLEL_COMPRESSORS override the size, repeats and compressors).
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { type RunConfig, runConfigWith } from "../src/cli/run_config.ts";
import { runJob } from "../src/cli/run_job.ts";
import { rows } from "./harness.ts";

const MIB = Number(process.env.PARALLEL_MIB ?? 32);
const REPEAT = Number(process.env.PARALLEL_REPEAT ?? 5);
const COMPRESSORS = (process.env.PARALLEL_COMPRESSORS ?? "lz4,zstd,lzo,deflate").split(",");

const base: RunConfig = runConfigWith({ sizeBytes: MIB * 2 ** 20 });

interface Sample {
  outPps: number;
  inPps: number;
  cpuSeconds: number;
  mainCpuSeconds: number;
  wallSeconds: number;
}

/** CPU seconds of the main thread (/proc: clock ticks of 10 ms), or NaN elsewhere. */
function mainThreadCpu(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8")
      .split(") ")[1]
      ?.split(" ");
    return (Number(f?.[11]) + Number(f?.[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function sample(compressor: string, parallel: boolean): Promise<Sample> {
  // deflate is ~50x slower than lz4 per page: a quarter of the corpus keeps the bench short.
  const sizeBytes = compressor === "deflate" ? base.sizeBytes / 4 : base.sizeBytes;
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpu();
  const t0 = performance.now();
  const r = await runJob({ ...base, compressor, sizeBytes, parallel });
  const c = process.cpuUsage(c0);
  if (!r.verification.ok) throw new Error(`parallel bench (${compressor}): verification failed`);
  return {
    outPps: r.phases.swapOut.pagesPerSecond,
    inPps: r.phases.swapIn.pagesPerSecond,
    cpuSeconds: (c.user + c.system) / 1e6,
    mainCpuSeconds: mainThreadCpu() - m0,
    wallSeconds: (performance.now() - t0) / 1e3,
  };
}

export async function benchParallel(): Promise<void> {
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  process.stdout.write(
    `parallel: run --cpus 2 vs run --cpus 2 --parallel, ${MIB} MiB (deflate ${MIB / 4} MiB) of the default corpus, median of ${REPEAT}; load average ${load()}\n`,
  );
  for (const compressor of COMPRESSORS) {
    const one: Sample[] = [];
    const par: Sample[] = [];
    for (let i = 0; i < REPEAT; i++) {
      one.push(await sample(compressor, false));
      par.push(await sample(compressor, true));
    }
    report(compressor, one, par);
  }
  process.stdout.write(`parallel: load average after ${load()}\n`);
}

function report(compressor: string, one: Sample[], par: Sample[]): void {
  const m = (xs: Sample[], f: (s: Sample) => number) => medianOf(xs.map(f));
  const line = (what: string, f: (s: Sample) => number) => {
    const a = m(one, f);
    const b = m(par, f);
    rows.push({
      group: "parallel",
      name: `${compressor} ${what}`,
      medianNs: 1e9 / b,
      figure: `x${(b / a).toFixed(2)}`,
    });
    return `${what} ${fmt(a)} -> ${fmt(b)} pages/s (x${(b / a).toFixed(2)})`;
  };
  const cpu = (f: (s: Sample) => number) => `${m(one, f).toFixed(2)} -> ${m(par, f).toFixed(2)} s`;
  process.stdout.write(
    `parallel     ${compressor.padEnd(8)} ${line("swap-out", (s) => s.outPps)}; ${line("swap-in", (s) => s.inPps)}; ` +
      `job wall ${cpu((s) => s.wallSeconds)}, CPU ${cpu((s) => s.cpuSeconds)} (main thread ${cpu((s) => s.mainCpuSeconds)})\n`,
  );
}

function fmt(pps: number): string {
  return Math.round(pps).toLocaleString("en-US");
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
