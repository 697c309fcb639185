/**
 * Multi-core mode (issue #17 item 4, docs/multicore.md): `run --cpus 2 --parallel` against
 * `run --cpus 2` on one thread, per compressor, the same corpus in the same process: the
 * swap-out and swap-in phases' throughput (pages/s, the run's own phase clocks), the ratio,
 * and the CPU time of the whole job (every thread: the workers' too) and of the main thread.
 *
 * Each figure is the median of REPEAT runs, one-thread and parallel alternating. A measurement,
 * not a test: on a machine shared with other work the ratio moves with the load, so the load
 * average (uptime) is printed before and after. Goal (issue #17): at least 1.6x on 2 cores.
 * Then the library's calls alone (no corpus generation, no digests): per page, wall time,
 * main-thread CPU (/proc schedstat) and all-thread CPU, and what those CPU times allow on two
 * free cores (the main thread's work is serial; the rest can spread over both).
 * Run: `npx tsx bench/index.ts parallel` (PARALLEL_MIB, PARALLEL_REPEAT, PARALLEL_COMPRESSORS
 * and PARALLEL_PARTS=run,lib override the size, repeats, compressors and parts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { type RunConfig, runConfigWith } from "../src/cli/run_config.ts";
import { runJob } from "../src/cli/run_job.ts";
import { InFlight } from "../src/cli/run_window.ts";
import { PAGE_SIZE } from "../src/kernel/page.ts";
import { createZswap } from "../src/real/create_zswap.ts";
import type { SwapSlot } from "../src/real/zswap_instance.ts";
import { DEFAULT_MIX, generateCorpus } from "../src/workload/corpus.ts";
import { rows } from "./harness.ts";

const MIB = Number(process.env.PARALLEL_MIB ?? 32);
const REPEAT = Number(process.env.PARALLEL_REPEAT ?? 5);
const COMPRESSORS = (process.env.PARALLEL_COMPRESSORS ?? "lz4,zstd,lzo,deflate").split(",");
/** Which parts: "run" (the run job), "lib" (the library's calls alone). */
const PARTS = (process.env.PARALLEL_PARTS ?? "run,lib").split(",");

const base: RunConfig = runConfigWith({ sizeBytes: MIB * 2 ** 20 });

interface Sample {
  outPps: number;
  inPps: number;
  cpuSeconds: number;
  mainCpuSeconds: number;
  wallSeconds: number;
}

/** CPU seconds of the main thread so far (/proc schedstat, ns), or NaN where there is none. */
function mainThreadCpu(): number {
  return taskCpu(String(process.pid));
}

function taskCpu(tid: string): number {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e9;
  } catch {
    return Number.NaN;
  }
}

function tasks(): string[] {
  try {
    return readdirSync("/proc/self/task");
  } catch {
    return [];
  }
}

/**
 * The threads there before any instance: the main thread, V8's background threads (its JIT
 * compiler and parallel GC, shared by every isolate of the process) and libuv's. Threads
 * started later are CPU workers (this bench starts no other threads).
 */
const startupTasks = new Set(tasks());

/** CPU seconds so far of the CPU workers' threads and of V8's background threads, by tid. */
function otherThreadsCpu(): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tasks()) if (t !== String(process.pid)) m.set(t, taskCpu(t));
  return m;
}

/** CPU seconds since `before`: [workers, background]. */
function splitSince(before: Map<string, number>): [number, number] {
  let workers = 0;
  let background = 0;
  for (const [t, s] of otherThreadsCpu()) {
    const d = s - (before.get(t) ?? 0);
    if (startupTasks.has(t)) background += d;
    else workers += d;
  }
  return [workers, background];
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
  for (const compressor of PARTS.includes("run") ? COMPRESSORS : []) {
    const one: Sample[] = [];
    const par: Sample[] = [];
    for (let i = 0; i < REPEAT; i++) {
      one.push(await sample(compressor, false));
      par.push(await sample(compressor, true));
    }
    report(compressor, one, par);
  }
  process.stdout.write(
    "parallel: the library's calls alone (swapOutSync / swapInSync loops vs 128 swapOut / swapIn in flight), per page: " +
      "wall, main-thread CPU, all-thread CPU (of which the CPU workers and V8's background threads: JIT, GC); 'free 2 cores' = one.main / max(par.main, par.all / 2), what the CPU times allow when nothing else runs\n",
  );
  if (PARTS.includes("lib")) for (const compressor of COMPRESSORS) await libraryLine(compressor);
  process.stdout.write(`parallel: load average after ${load()}\n`);
}

interface Cost {
  wall: number;
  main: number;
  /** The CPU workers' threads, and V8's background threads (JIT compiler, GC). */
  workers: number;
  background: number;
  all: number;
}

/** Runs `f` and returns its wall, main-thread and all-thread CPU time, in us per page. */
async function cost(pages: number, f: () => Promise<void> | void): Promise<Cost> {
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpu();
  const o0 = otherThreadsCpu();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  const [workers, background] = splitSince(o0);
  const us = (s: number) => (s * 1e6) / pages;
  return {
    wall: us((performance.now() - t0) / 1e3),
    main: us(mainThreadCpu() - m0),
    workers: us(workers),
    background: us(background),
    all: us((c.user + c.system) / 1e6),
  };
}

async function libraryRound(compressor: string, parallel: boolean, pages: Uint8Array[]) {
  const z = createZswap({ compressor, cpus: 2, totalRamBytes: 2 ** 36, parallel });
  try {
    const n = pages.length;
    let slots: SwapSlot[] = [];
    const window = new InFlight<SwapSlot>();
    const out = await cost(n, async () => {
      if (!parallel) slots = pages.map((p) => z.swapOutSync(p));
      else {
        for (const p of pages) await window.add(z.swapOut(p), (s) => slots.push(s));
        await window.drain();
      }
    });
    const back = new InFlight<Uint8Array>();
    const inn = await cost(n, async () => {
      if (!parallel) for (const s of slots) z.swapInSync(s);
      else {
        for (const s of slots) await back.add(z.swapIn(s), () => {});
        await back.drain();
      }
    });
    return { out, inn, jobs: z.parallelStats() };
  } finally {
    await z.close();
  }
}

async function libraryLine(compressor: string): Promise<void> {
  const n = compressor === "deflate" ? 2048 : 16384;
  const corpus = generateCorpus({ sizeBytes: n * PAGE_SIZE, seed: 1, mix: DEFAULT_MIX });
  const pages = Array.from({ length: n }, (_, i) =>
    corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
  );
  type Round = Awaited<ReturnType<typeof libraryRound>>;
  const one: Round[] = [];
  const par: Round[] = [];
  for (let i = 0; i < REPEAT; i++) {
    one.push(await libraryRound(compressor, false, pages));
    par.push(await libraryRound(compressor, true, pages));
  }
  const med = (xs: Round[], f: (x: Round) => number) => medianOf(xs.map(f)).toFixed(1);
  const phase = (k: "out" | "inn", name: string) => {
    const o = (f: (c: Cost) => number) => Number(med(one, (x) => f(x[k])));
    const p = (f: (c: Cost) => number) => Number(med(par, (x) => f(x[k])));
    const bound =
      o((c) => c.main) /
      Math.max(
        p((c) => c.main),
        p((c) => c.all) / 2,
      );
    const split = `${p((c) => c.workers)}+${p((c) => c.background)}`;
    return `${name} one ${o((c) => c.wall)}/${o((c) => c.main)}/${o((c) => c.all)} par ${p((c) => c.wall)}/${p((c) => c.main)}/${p((c) => c.all)} (workers+bg ${split}) us (wall x${(o((c) => c.wall) / p((c) => c.wall)).toFixed(2)}, free 2 cores x${bound.toFixed(2)})`;
  };
  // Which pages went to the workers (OffloadPolicy), in the last parallel round.
  const w = par[par.length - 1]?.jobs;
  const jobs = w ? `; jobs ${w.jobs} (run here ${w.helped}), worker sleeps ${w.sleeps}` : "";
  process.stdout.write(
    `parallel lib ${compressor.padEnd(8)} ${phase("out", "store")}; ${phase("inn", "load")}${jobs}\n`,
  );
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
