/**
 * The `run` job: load or generate the corpus, swap every page out through the library and back
 * in, verify each page byte for byte, and collect the statistics and each phase's throughput.
 * The summary is printed by run_summary.ts; the command and its flags are in cmd_run.ts.
 */

import { faultInject } from "../kernel/fault_inject.ts";
import { checkFaults, type FaultCounts, type FaultOptions, formatFaults } from "../real/faults.ts";
import {
  createZswap,
  FOLIO_PAGES_MAX,
  realCompressorRegistry,
  type SwapSlot,
  ZswapError,
  type ZswapInstance,
  type ZswapStats,
  ZswapWouldBlockError,
} from "../real/zswap_instance.ts";
import {
  CorpusError,
  DEFAULT_MIX,
  formatMix,
  generateCorpus,
  PAGE_SIZE,
  readCorpus,
} from "../workload/corpus.ts";
import type { Profile } from "../zswap/params.ts";
import { UsageError } from "./main.ts";
import { newProgressBar } from "./run_summary.ts";

export interface RunConfig {
  readonly corpusFile: string | null;
  readonly sizeBytes: number;
  readonly seed: number;
  readonly compressor: string;
  readonly profile: Profile;
  readonly maxPoolPercent: number;
  readonly acceptThresholdPercent: number;
  readonly shrinker: boolean;
  readonly totalRamBytes: number;
  readonly cpus: number | undefined;
  readonly swapFile: string | undefined;
  readonly json: boolean;
  readonly zsmallocStats: boolean;
  readonly hotplug: boolean;
  readonly switchCompressorEvery: number;
  /** --fail, with its seed; null: no fault injection. */
  readonly faults: FaultOptions | null;
}

/** Pages between two turns of the event loop, so background writeback can do its I/O. */
const YIELD_PAGES = 256;
/** With --hotplug: a CPU goes offline, or comes back, every this many pages. */
export const HOTPLUG_PAGES = 512;
/** Bound on the event loop turns a store waits for writeback to move an entry. */
const PACE_TURNS_MAX = 10_000;

// ---------------------------------------------------------------------------------------------
// The job
// ---------------------------------------------------------------------------------------------

export interface PhaseResult {
  readonly seconds: number;
  readonly mbPerSecond: number;
}

export interface RunResult {
  readonly corpus: {
    readonly source: string;
    readonly pages: number;
    readonly sizeBytes: number;
    readonly seed: number | null;
    readonly mix: string | null;
  };
  readonly config: {
    readonly compressor: string;
    readonly profile: Profile;
    readonly max_pool_percent: number;
    readonly accept_threshold_percent: number;
    readonly shrinker_enabled: boolean;
    readonly totalRamBytes: number;
    readonly cpus: number;
    readonly swapFile: string;
  };
  readonly phases: { readonly swapOut: PhaseResult; readonly swapIn: PhaseResult };
  /** The pool as swap-out left it (every page out). */
  readonly afterSwapOut: Pick<ZswapStats, "debugfs" | "vmstat" | "derived">;
  /** zsmalloc's class table after swap-out (--zsmalloc-stats). */
  readonly zsmallocClasses?: string;
  /** Everything at the end (every page back in): the vmstat events of both phases. */
  readonly end: Pick<ZswapStats, "debugfs" | "vmstat" | "swapFile">;
  /** How stores fared against the pool limit (see docs/run.md). */
  readonly poolLimit: {
    readonly limitBytes: number;
    readonly acceptThresholdBytes: number;
    /** Stores rejected at or above the limit (pool_limit_hit). */
    readonly rejectedAtLimit: number;
    /** Stores rejected below the limit while it was still above the accept threshold. */
    readonly rejectedByHysteresis: number;
  };
  readonly stress: {
    readonly hotplugEvents: number;
    readonly compressorSwitches: number;
    readonly compressorsUsed: readonly string[];
  };
  /** Pages that could not be swapped out (the swap file's disk was full); they stayed in memory. */
  readonly notSwappedOut: number;
  /** With --fail: the knobs, the faults injected, and the swap-ins retried after one. */
  readonly faults: {
    readonly spec: string;
    readonly injected: FaultCounts;
    readonly swapInRetries: number;
  } | null;
  readonly verification: {
    readonly pages: number;
    readonly mismatches: number;
    readonly firstMismatch: number | null;
    readonly ok: boolean;
  };
}

/** Runs the job; throws UsageError for bad input, including a swap file that cannot be created. */
export async function runJob(config: RunConfig): Promise<RunResult> {
  const corpus = loadCorpus(config);
  const pages = corpus.pages;
  const nrPages = pages.length / PAGE_SIZE;
  let zswap: ZswapInstance;
  try {
    zswap = createZswap({
      compressor: config.compressor,
      profile: config.profile,
      max_pool_percent: config.maxPoolPercent,
      accept_threshold_percent: config.acceptThresholdPercent,
      shrinker_enabled: config.shrinker,
      totalRamBytes: config.totalRamBytes,
      ...(config.cpus !== undefined ? { cpus: config.cpus } : {}),
      ...(config.swapFile !== undefined ? { swapFile: config.swapFile } : {}),
      swapSizeBytes: (nrPages + FOLIO_PAGES_MAX) * PAGE_SIZE,
      ...(config.faults !== null ? { faults: config.faults } : {}),
    });
  } catch (e) {
    if (e instanceof ZswapError) throw new UsageError(e.message);
    throw e;
  }
  if (config.hotplug && zswap.cpus < 2) {
    await zswap.close();
    throw new UsageError(
      "Cannot use --hotplug with 1 CPU: a CPU can go offline only if another stays online",
    );
  }
  try {
    return await runPhases(config, zswap, corpus);
  } finally {
    await closeQuietly(zswap);
  }
}

interface LoadedCorpus {
  readonly pages: Uint8Array;
  readonly source: string;
  readonly seed: number | null;
  readonly mix: string | null;
}

function loadCorpus(config: RunConfig): LoadedCorpus {
  try {
    if (config.corpusFile !== null) {
      return {
        pages: readCorpus(config.corpusFile),
        source: config.corpusFile,
        seed: null,
        mix: null,
      };
    }
    const c = generateCorpus({ sizeBytes: config.sizeBytes, seed: config.seed, mix: DEFAULT_MIX });
    return { pages: c.pages, source: "generated", seed: config.seed, mix: formatMix(DEFAULT_MIX) };
  } catch (e) {
    if (e instanceof CorpusError) throw new UsageError(e.message);
    throw e;
  }
}

/** The stress actions between pages: CPU hotplug and compressor switches. */
class Stress {
  hotplugEvents = 0;
  compressorSwitches = 0;
  readonly used: string[];
  private readonly rotation: string[];
  private offline: number | null = null;
  private nextVictim = 1;
  /** Pages between hotplug events: HOTPLUG_PAGES, or less on a small corpus (8 per phase). */
  private readonly hotplugEvery: number;

  constructor(
    private readonly config: RunConfig,
    private readonly zswap: ZswapInstance,
    nrPages: number,
  ) {
    this.hotplugEvery = Math.max(1, Math.min(HOTPLUG_PAGES, Math.floor(nrPages / 8)));
    const names = realCompressorRegistry().names();
    const at = names.indexOf(config.compressor);
    this.rotation = [...names.slice(at), ...names.slice(0, at)];
    this.used = [config.compressor];
  }

  async between(done: number): Promise<void> {
    if (this.config.hotplug && done % this.hotplugEvery === 0) await this.hotplug();
    const every = this.config.switchCompressorEvery;
    if (every > 0 && done % every === 0) await this.switchCompressor();
  }

  /** Takes a CPU offline, or brings the offline one back (CPU 0 stays, as the boot CPU does). */
  private async hotplug(): Promise<void> {
    if (this.offline === null) {
      const cpu = this.nextVictim;
      this.nextVictim = (this.nextVictim % (this.zswap.cpus - 1)) + 1;
      await this.zswap.cpuOffline(cpu);
      this.offline = cpu;
    } else {
      await this.zswap.cpuOnline(this.offline);
      this.offline = null;
    }
    this.hotplugEvents++;
  }

  private async switchCompressor(): Promise<void> {
    const next = this.rotation[(this.compressorSwitches + 1) % this.rotation.length] as string;
    await this.zswap.setParam("compressor", next);
    this.compressorSwitches++;
    if (!this.used.includes(next)) this.used.push(next);
  }

  /** Leaves every CPU online. */
  async end(): Promise<void> {
    if (this.offline !== null) await this.zswap.cpuOnline(this.offline);
    this.offline = null;
  }
}

interface PhaseContext {
  readonly zswap: ZswapInstance;
  readonly pages: Uint8Array;
  readonly nrPages: number;
  readonly stress: Stress;
  readonly bar: ReturnType<typeof newProgressBar> | null;
  /** Swap-ins retried after an injected fault. */
  swapInRetries: number;
}

function pageAt(pages: Uint8Array, i: number): Uint8Array {
  return pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
}

/** Swaps every page out; a page that could not be (a full disk) stays null: still in memory. */
async function swapOutPhase(
  c: PhaseContext,
): Promise<{ slots: (SwapSlot | null)[]; notSwappedOut: number; seconds: number }> {
  const slots = new Array<SwapSlot | null>(c.nrPages).fill(null);
  const t0 = performance.now();
  let notSwappedOut = 0;
  for (let i = 0; i < c.nrPages; i++) {
    const slot = await swapOutPage(c.zswap, pageAt(c.pages, i));
    slots[i] = slot;
    if (slot === null) notSwappedOut++;
    if (c.zswap.poolReachedFull) await paceWriteback(c.zswap);
    else if ((i + 1) % YIELD_PAGES === 0) await turn();
    if ((i + 1) % YIELD_PAGES === 0) c.bar?.update(i + 1);
    await c.stress.between(i + 1);
  }
  await flushWork(c.zswap);
  return { slots, notSwappedOut, seconds: (performance.now() - t0) / 1e3 };
}

/** Swaps every page back in and compares it with the original. */
async function swapInPhase(c: PhaseContext, slots: readonly (SwapSlot | null)[]) {
  const t0 = performance.now();
  const out = new Uint8Array(PAGE_SIZE);
  let mismatches = 0;
  let firstMismatch: number | null = null;
  for (let i = 0; i < c.nrPages; i++) {
    const page = pageAt(c.pages, i);
    const slot = slots[i];
    // A page that could not be swapped out never left memory: it is its own copy.
    const back = slot == null ? page : await swapInRetrying(c, slot, out);
    if (!equalPages(back, page)) {
      mismatches++;
      firstMismatch ??= i;
    }
    if ((i + 1) % YIELD_PAGES === 0) {
      c.bar?.update(c.nrPages + i + 1);
      await turn();
    }
    await c.stress.between(c.nrPages + i + 1);
  }
  await c.stress.end();
  await flushWork(c.zswap);
  return { mismatches, firstMismatch, seconds: (performance.now() - t0) / 1e3 };
}

async function runPhases(
  config: RunConfig,
  zswap: ZswapInstance,
  corpus: LoadedCorpus,
): Promise<RunResult> {
  const pages = corpus.pages;
  const nrPages = pages.length / PAGE_SIZE;
  const stress = new Stress(config, zswap, nrPages);
  const bar = !config.json && process.stderr.isTTY ? newProgressBar() : null;
  const c: PhaseContext = { zswap, pages, nrPages, stress, bar, swapInRetries: 0 };
  bar?.start(2 * nrPages, 0, { phase: "swap-out" });
  const out = await swapOutPhase(c);
  const afterSwapOut = zswap.stats();
  const zsmallocClasses = config.zsmallocStats ? zswap.zsmallocClasses() : null;
  bar?.update(nrPages, { phase: "swap-in" });
  const back = await swapInPhase(c, out.slots);
  bar?.stop();
  const end = zswap.stats();
  return {
    corpus: {
      source: corpus.source,
      pages: nrPages,
      sizeBytes: pages.length,
      seed: corpus.seed,
      mix: corpus.mix,
    },
    config: {
      compressor: config.compressor,
      profile: config.profile,
      max_pool_percent: config.maxPoolPercent,
      accept_threshold_percent: config.acceptThresholdPercent,
      shrinker_enabled: config.shrinker,
      totalRamBytes: config.totalRamBytes,
      cpus: zswap.cpus,
      swapFile: zswap.swapFilePath,
    },
    phases: {
      swapOut: phase(pages.length, out.seconds),
      swapIn: phase(pages.length, back.seconds),
    },
    ...(zsmallocClasses !== null ? { zsmallocClasses } : {}),
    afterSwapOut: {
      debugfs: afterSwapOut.debugfs,
      vmstat: afterSwapOut.vmstat,
      derived: afterSwapOut.derived,
    },
    end: { debugfs: end.debugfs, vmstat: end.vmstat, swapFile: end.swapFile },
    poolLimit: poolLimitFigures(afterSwapOut),
    stress: {
      hotplugEvents: stress.hotplugEvents,
      compressorSwitches: stress.compressorSwitches,
      compressorsUsed: stress.used,
    },
    notSwappedOut: out.notSwappedOut,
    faults:
      config.faults === null
        ? null
        : {
            spec: formatFaults(checkFaults(config.faults)),
            injected: end.faults,
            swapInRetries: c.swapInRetries,
          },
    verification: {
      pages: nrPages,
      mismatches: back.mismatches,
      firstMismatch: back.firstMismatch,
      ok: back.mismatches === 0,
    },
  };
}

/** Swaps a page out; null when the swap file's disk is full (the page stays in memory). */
async function swapOutPage(zswap: ZswapInstance, page: Uint8Array): Promise<SwapSlot | null> {
  try {
    return zswap.swapOutSync(page);
  } catch (e) {
    if (e instanceof ZswapWouldBlockError)
      return await settleOrNull(e.pending as Promise<SwapSlot>);
    if (e instanceof ZswapError && isDiskError(e)) return null;
    throw e;
  }
}

async function settleOrNull(p: Promise<SwapSlot>): Promise<SwapSlot | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ZswapError && isDiskError(e)) return null;
    throw e;
  }
}

/** A failed write to the swap file (as opposed to no free slot in it). */
function isDiskError(e: ZswapError): boolean {
  return /^Cannot swap out: writing swap file/.test(e.message);
}

/** Bound on the retries of one swap-in that keeps failing by injected faults. */
const INJECTED_RETRIES_MAX = 100;

/**
 * Swaps a page in; a failure that an injected fault (decompress, swap_read) explains is
 * retried: the page stays out, intact, as zswap_load() keeps the entry. Any other error ends
 * the run.
 */
async function swapInRetrying(
  c: PhaseContext,
  slot: SwapSlot,
  out: Uint8Array,
): Promise<Uint8Array> {
  const fi = faultInject(c.zswap.kernel);
  const injected = () =>
    fi === null ? 0 : fi.injectedIn("swapin", "decompress") + fi.injectedIn("swapin", "swap_read");
  for (let attempt = 0; ; attempt++) {
    const before = injected();
    try {
      return await swapInPage(c.zswap, slot, out);
    } catch (e) {
      const explained = e instanceof ZswapError && e.code === "EIO" && injected() > before;
      if (!explained || attempt >= INJECTED_RETRIES_MAX) throw e;
      c.swapInRetries++;
    }
  }
}

async function swapInPage(
  zswap: ZswapInstance,
  slot: SwapSlot,
  out: Uint8Array,
): Promise<Uint8Array> {
  try {
    return zswap.swapInSync(slot, out);
  } catch (e) {
    if (e instanceof ZswapWouldBlockError) return (await e.pending) as Uint8Array;
    throw e;
  }
}

/** Waits for background work (writeback); a kernel bug there ends the run. */
async function flushWork(zswap: ZswapInstance): Promise<void> {
  await zswap.flush();
}

async function closeQuietly(zswap: ZswapInstance): Promise<void> {
  try {
    await zswap.close();
  } catch {
    // flush() already reported what background work threw.
  }
}

/**
 * While the pool is full, each store waits for writeback (the kworker, doing file I/O) to move
 * one entry, written back or failed, as if it ran beside the storing CPU at the pace of the
 * disk: the pool then comes down through the band between the limit and the accept threshold
 * while stores go on, which is where the hysteresis shows.
 */
async function paceWriteback(zswap: ZswapInstance): Promise<void> {
  const moved = () => {
    const d = zswap.stats().debugfs;
    return (d.written_back_pages ?? 0) + (d.reject_reclaim_fail ?? 0);
  };
  const before = moved();
  for (let i = 0; i < PACE_TURNS_MAX && zswap.inFlight > 0 && moved() === before; i++) await turn();
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function equalPages(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function phase(bytes: number, seconds: number): PhaseResult {
  return { seconds, mbPerSecond: seconds > 0 ? bytes / 1e6 / seconds : 0 };
}

/**
 * Stores rejected by the limit: every page the store path sent to the swap file (pswpout less
 * the pages writeback wrote, zswpwb) that no other reject reason counted. pool_limit_hit counts
 * those at or above the limit; the rest were below it, before the pool went down to the accept
 * threshold: the hysteresis.
 */
function poolLimitFigures(s: ZswapStats): RunResult["poolLimit"] {
  const d = s.debugfs;
  const direct = s.vmstat.pswpout - s.vmstat.zswpwb;
  const other =
    (d.reject_compress_poor ?? 0) +
    (d.reject_compress_fail ?? 0) +
    (d.reject_alloc_fail ?? 0) +
    (d.reject_kmemcache_fail ?? 0);
  const atLimit = d.pool_limit_hit ?? 0;
  return {
    limitBytes: s.derived.poolLimitBytes,
    acceptThresholdBytes: s.derived.acceptThresholdBytes,
    rejectedAtLimit: atLimit,
    rejectedByHysteresis: Math.max(0, direct - other - atLimit),
  };
}

/** Exit status: 1 if a page came back different, 2 (one line) if the swap file's disk failed. */
export function finish(r: RunResult, writeErr: (text: string) => void): void {
  if (!r.verification.ok) {
    writeErr(
      `zswap-ts: verification failed: ${r.verification.mismatches} of ${r.verification.pages} pages came back different (first: page ${r.verification.firstMismatch})\n`,
    );
    process.exitCode = 1;
    return;
  }
  const f = r.end.swapFile;
  if (f.writeErrors > 0) {
    throw new UsageError(
      `Swap file ${r.config.swapFile} failed ${f.writeErrors} page writes (${f.lastWriteError}): ` +
        `${r.afterSwapOut.debugfs.reject_reclaim_fail ?? 0} writebacks failed and kept their page in zswap (reject_reclaim_fail), ` +
        `${r.notSwappedOut} pages stayed in memory; every page verified, none was lost`,
    );
  }
}
