/**
 * The `run` job: stream the corpus (a file read, or the default corpus generated, a chunk at a
 * time), swap every page out through the library and back in, verify each page against a
 * 128-bit digest taken on the way out, and collect the statistics and each phase's throughput.
 * Memory is the pool plus a few dozen bytes per page, not the corpus (docs/run.md, "Memory").
 * The summary is printed by run_summary.ts; the command and its flags are in cmd_run.ts.
 */

import { createHash } from "node:crypto";
import { faultInject } from "../kernel/fault_inject.ts";
import { checkFaults, type FaultCounts, type FaultOptions, formatFaults } from "../real/faults.ts";
import { digestEquals, pageDigest } from "../real/page_hash.ts";
import {
  createZswap,
  FOLIO_PAGES_MAX,
  type SwapSlot,
  ZswapError,
  type ZswapInstance,
  type ZswapStats,
  ZswapWouldBlockError,
} from "../real/zswap_instance.ts";
import {
  CorpusError,
  CorpusGenerator,
  DEFAULT_MIX,
  formatMix,
  PAGE_SIZE,
} from "../workload/corpus.ts";
import { CHUNK_PAGES, CorpusReader } from "../workload/corpus_stream.ts";
import { acompCtxMemoryText } from "../zswap/ctx_memory.ts";
import type { Profile } from "../zswap/params.ts";
import { UsageError } from "./main.ts";
import { Progress } from "./progress.ts";
import { crossed, Stress } from "./run_stress.ts";
import { turn } from "./signals.ts";

export { HOTPLUG_PAGES } from "./run_stress.ts";

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
  /** Use an existing --swap-file (or a block device), destroying its contents. */
  readonly force: boolean;
  /** A 64-bit checksum per written swap slot (library: checksums). */
  readonly verifySwap: boolean;
  /** --memcg-max: the memcg's memory.max, or null for the root cgroup. */
  readonly memcgMaxBytes: number | null;
  readonly json: boolean;
  readonly zsmallocStats: boolean;
  readonly hotplug: boolean;
  readonly switchCompressorEvery: number;
  /** --fail, with its seed; null: no fault injection. */
  readonly faults: FaultOptions | null;
  /** Pages per swap-out (--folio-size): 1, or a large folio of up to 512 pages. */
  readonly folioPages?: number;
  /** deflate-iaa engines (--iaa-engines); 0: batches compress on the calling thread. */
  readonly iaaEngines?: number;
}

/** Pages between two turns of the event loop, so background writeback can do its I/O. */
const YIELD_PAGES = 256;

// ---------------------------------------------------------------------------------------------
// The job
// ---------------------------------------------------------------------------------------------

export interface PhaseResult {
  readonly seconds: number;
  readonly mbPerSecond: number;
  readonly pagesPerSecond: number;
  /**
   * Seconds inside the compressor binding (compress on the way out, decompress on the way in,
   * and whatever the writeback worker decompressed meanwhile), and its share of the phase: the
   * rest is zswap, zsmalloc, the swap layer and the swap file.
   */
  readonly compressorSeconds: number;
  readonly compressorShare: number;
}

export interface RunResult {
  readonly corpus: {
    readonly source: string;
    readonly pages: number;
    readonly sizeBytes: number;
    readonly seed: number | null;
    readonly mix: string | null;
    /** sha256 of the pages as swapped out, hex: equal digests, equal corpora. */
    readonly sha256: string;
  };
  readonly config: {
    readonly compressor: string;
    readonly profile: Profile;
    /** Pages per swap-out (--folio-size). */
    readonly folioPages: number;
    readonly max_pool_percent: number;
    readonly accept_threshold_percent: number;
    readonly shrinker_enabled: boolean;
    readonly totalRamBytes: number;
    readonly memcgMaxBytes: number | null;
    readonly cpus: number;
    readonly swapFile: string;
    readonly verifySwap: boolean;
  };
  readonly phases: { readonly swapOut: PhaseResult; readonly swapIn: PhaseResult };
  /** The pool as swap-out left it (every page out). */
  readonly afterSwapOut: Pick<ZswapStats, "debugfs" | "vmstat" | "derived">;
  /** zsmalloc's class table after swap-out (--zsmalloc-stats). */
  readonly zsmallocClasses?: string;
  /** With --zsmalloc-stats: the acomp_ctx memory each CPU keeps for the pool's lifetime. */
  readonly perCpuMemory?: string;
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
    /** Pages whose swap-in failed (EIO: the swap file lost or changed them): lost, not wrong. */
    readonly unreadable: number;
    /** The first such failure, as the library said it. */
    readonly firstUnreadable: string | null;
    readonly ok: boolean;
  };
}

/** What a run reports while it works (the interrupt line says it). */
export interface RunHooks {
  /** Called every chunk of pages: "swap-out, page 1024 of 65536". */
  readonly onStatus?: (status: string) => void;
  /** The temporary swap file, once it exists (removed if the run is interrupted). */
  readonly onSwapFile?: (path: string, temporary: boolean) => void;
}

/** Runs the job; throws UsageError for bad input, including a swap file that cannot be created. */
export async function runJob(config: RunConfig, hooks: RunHooks = {}): Promise<RunResult> {
  const corpus = openCorpus(config);
  try {
    const zswap = openZswap(config, corpus.nrPages);
    hooks.onSwapFile?.(zswap.swapFilePath, zswap.stats().swapFile.temporary);
    try {
      if (config.hotplug && zswap.cpus < 2) {
        throw new UsageError(
          "Cannot use --hotplug with 1 CPU: a CPU can go offline only if another stays online",
        );
      }
      return await runPhases(config, zswap, corpus, hooks);
    } finally {
      await closeQuietly(zswap);
    }
  } finally {
    corpus.close();
  }
}

function openZswap(config: RunConfig, nrPages: number): ZswapInstance {
  try {
    return createZswap({
      compressor: config.compressor,
      profile: config.profile,
      max_pool_percent: config.maxPoolPercent,
      accept_threshold_percent: config.acceptThresholdPercent,
      shrinker_enabled: config.shrinker,
      totalRamBytes: config.totalRamBytes,
      ...(config.cpus !== undefined ? { cpus: config.cpus } : {}),
      ...(config.swapFile !== undefined ? { swapFile: config.swapFile } : {}),
      overwrite: config.force,
      checksums: config.verifySwap,
      ...(config.memcgMaxBytes !== null ? { memcgMaxBytes: config.memcgMaxBytes } : {}),
      // The shrink worker shares the CPU with the stores, as a kworker on a one-vCPU VM.
      shareCpu: true,
      swapSizeBytes: (nrPages + FOLIO_PAGES_MAX) * PAGE_SIZE,
      ...(config.faults !== null ? { faults: config.faults } : {}),
      iaaEngines: config.iaaEngines ?? 0,
      timeCompressor: true,
    });
  } catch (e) {
    if (e instanceof ZswapError) throw new UsageError(e.message);
    throw e;
  }
}

/** The corpus, page by page in order, a chunk at a time: never all of it in memory. */
interface PageStream {
  readonly nrPages: number;
  readonly source: string;
  readonly seed: number | null;
  readonly mix: string | null;
  /** Fills `buf` with the next pages; returns how many (0 at the end). */
  next(buf: Uint8Array): number;
  /** sha256 of the pages `next` gave, hex (the whole corpus once it returned 0). */
  sha256(): string;
  close(): void;
}

/** `stream` with a running sha256 of the pages it gives. */
function hashed(stream: Omit<PageStream, "sha256">): PageStream {
  const hash = createHash("sha256");
  return {
    ...stream,
    next: (buf) => {
      const n = stream.next(buf);
      hash.update(buf.subarray(0, n * PAGE_SIZE));
      return n;
    },
    sha256: () => hash.copy().digest("hex"),
  };
}

function openCorpus(config: RunConfig): PageStream {
  try {
    if (config.corpusFile !== null) {
      const r = CorpusReader.open(config.corpusFile);
      let at = 0;
      return hashed({
        nrPages: r.nrPages,
        source: config.corpusFile,
        seed: null,
        mix: null,
        next: (buf) => {
          const n = r.read(buf, at);
          at += n;
          return n;
        },
        close: () => r.close(),
      });
    }
    const g = new CorpusGenerator({
      sizeBytes: config.sizeBytes,
      seed: config.seed,
      mix: DEFAULT_MIX,
    });
    return hashed({
      nrPages: g.nrPages,
      source: "generated",
      seed: config.seed,
      mix: formatMix(DEFAULT_MIX),
      next: (buf) => g.fill(buf),
      close: () => {},
    });
  } catch (e) {
    if (e instanceof CorpusError) throw new UsageError(e.message);
    throw e;
  }
}

interface PhaseContext {
  readonly zswap: ZswapInstance;
  readonly corpus: PageStream;
  readonly nrPages: number;
  /** Pages per swap-out unit (--folio-size); folios start at multiples of it. */
  readonly folioPages: number;
  /** Pages per chunk: CHUNK_PAGES, or a folio if larger (so no folio straddles two chunks). */
  readonly chunkPages: number;
  readonly stress: Stress;
  readonly bar: Progress | null;
  readonly hooks: RunHooks;
  /** The 128-bit digest of page i at [4i, 4i + 4): 16 bytes a page instead of 4096. */
  readonly digests: Uint32Array;
  /** Swap-ins retried after an injected fault. */
  swapInRetries: number;
}

interface SwapOutResult {
  /** Where each page went; null for a page that could not be swapped out. */
  readonly slots: (SwapSlot | null)[];
  /** Pages that could not be swapped out (a full disk): they stayed in memory, here. */
  readonly kept: Map<number, Uint8Array>;
  readonly seconds: number;
}

/**
 * Swaps every page out, a chunk of the corpus at a time, taking each page's digest first. The
 * phase's time leaves out reading or generating the corpus and hashing it: it is zswap's.
 */
async function swapOutPhase(c: PhaseContext): Promise<SwapOutResult> {
  const slots = new Array<SwapSlot | null>(c.nrPages).fill(null);
  const kept = new Map<number, Uint8Array>();
  const chunk = new Uint8Array(c.chunkPages * PAGE_SIZE);
  let seconds = 0;
  let i = 0;
  // Bounded by the corpus: each round takes at least one page, or ends.
  for (let n = c.corpus.next(chunk); n > 0 && i < c.nrPages; n = c.corpus.next(chunk)) {
    for (let j = 0; j < n; j++) pageDigest(pageOf(chunk, j), c.digests, 4 * (i + j));
    const t0 = performance.now();
    for (let j = 0, u = 1; j < n; j += u, i += u) {
      // A folio where one fits at a multiple of the folio size, else a page.
      u = i % c.folioPages === 0 && j + c.folioPages <= n ? c.folioPages : 1;
      const unit = chunk.subarray(j * PAGE_SIZE, (j + u) * PAGE_SIZE);
      // The chunk is reused: swapOut has finished with `unit` once it settles.
      const slot = await swapOutPage(c.zswap, unit);
      for (let p = 0; p < u; p++) {
        slots[i + p] = slot; // every page of a folio names the folio's slot
        if (slot === null) kept.set(i + p, pageOf(chunk, j + p).slice());
      }
      // A store the kernel refuses (the pool full) goes to disk at once: nothing waits for
      // the shrink worker. While background work is in flight it gets one turn of the event
      // loop per unit, as a kworker on the same CPU gets its share beside the storing task.
      if (c.zswap.inFlight > 0 || crossed(i + u, u, YIELD_PAGES)) await turn();
      if (crossed(i + u, u, YIELD_PAGES)) progress(c, "swap-out", i + u);
      await c.stress.between(i + u, u);
    }
    seconds += (performance.now() - t0) / 1e3;
  }
  if (i !== c.nrPages) {
    throw new UsageError(
      `Cannot read corpus ${c.corpus.source}: it ended at page ${i} of ${c.nrPages}`,
    );
  }
  const t0 = performance.now();
  await flushWork(c.zswap);
  return { slots, kept, seconds: seconds + (performance.now() - t0) / 1e3 };
}

function pageOf(chunk: Uint8Array, j: number): Uint8Array {
  return chunk.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE);
}

interface SwapInResult {
  mismatches: number;
  firstMismatch: number | null;
  unreadable: number;
  firstUnreadable: string | null;
  seconds: number;
}

/**
 * Swaps every page back in, a chunk at a time, then checks the chunk against the digests; the
 * phase's time leaves the checking out.
 */
async function swapInPhase(c: PhaseContext, out: SwapOutResult): Promise<SwapInResult> {
  const r: SwapInResult = {
    mismatches: 0,
    firstMismatch: null,
    unreadable: 0,
    firstUnreadable: null,
    seconds: 0,
  };
  const chunk = new Uint8Array(c.chunkPages * PAGE_SIZE);
  const lost = new Uint8Array(c.chunkPages);
  for (let first = 0; first < c.nrPages; first += c.chunkPages) {
    const n = Math.min(c.chunkPages, c.nrPages - first);
    const t0 = performance.now();
    for (let j = 0, u = 1; j < n; j += u) {
      u = out.slots[first + j]?.nrPages ?? 1;
      lost.fill((await swapInOne(c, out, first + j, chunk, j, r)) ? 0 : 1, j, j + u);
    }
    r.seconds += (performance.now() - t0) / 1e3;
    for (let j = 0; j < n; j++) {
      if (lost[j] === 0 && !digestEquals(pageOf(chunk, j), c.digests, 4 * (first + j))) {
        r.mismatches++;
        r.firstMismatch ??= first + j;
      }
    }
  }
  const t0 = performance.now();
  await c.stress.end();
  await flushWork(c.zswap);
  r.seconds += (performance.now() - t0) / 1e3;
  return r;
}

/**
 * Swaps the unit at page i (a page, or the folio starting there) into the chunk at page j;
 * false (counted in r, per page) if it could not be read back.
 */
async function swapInOne(
  c: PhaseContext,
  out: SwapOutResult,
  i: number,
  chunk: Uint8Array,
  j: number,
  r: SwapInResult,
): Promise<boolean> {
  const slot = out.slots[i];
  const u = slot?.nrPages ?? 1;
  out.slots.fill(null, i, i + u);
  let ok = true;
  if (slot == null) {
    // A page that could not be swapped out never left memory: it is its own copy.
    pageOf(chunk, j).set(out.kept.get(i) as Uint8Array);
  } else {
    const back = await swapInRetrying(c, slot, chunk.subarray(j * PAGE_SIZE, (j + u) * PAGE_SIZE));
    if (back instanceof ZswapError) {
      r.unreadable += u;
      r.firstUnreadable ??= `page ${i}: ${back.message}`;
      ok = false;
    }
  }
  if (crossed(i + u, u, YIELD_PAGES)) {
    progress(c, "swap-in", i + u);
    await turn();
  }
  await c.stress.between(c.nrPages + i + u, u);
  return ok;
}

function progress(c: PhaseContext, phase: string, done: number): void {
  c.bar?.update(done);
  c.hooks.onStatus?.(`${phase}, page ${done} of ${c.nrPages}`);
}

async function runPhases(
  config: RunConfig,
  zswap: ZswapInstance,
  corpus: PageStream,
  hooks: RunHooks,
): Promise<RunResult> {
  const nrPages = corpus.nrPages;
  const sizeBytes = nrPages * PAGE_SIZE;
  const stress = new Stress(config, zswap, nrPages);
  const bar = Progress.open(`run ${config.compressor}`, "pages", { quiet: config.json });
  const digests = new Uint32Array(4 * nrPages);
  const folioPages = config.folioPages ?? 1;
  const c: PhaseContext = {
    zswap,
    corpus,
    nrPages,
    folioPages,
    chunkPages: Math.max(CHUNK_PAGES, folioPages),
    stress,
    bar,
    hooks,
    digests,
    swapInRetries: 0,
  };
  bar?.phase("swap-out", nrPages);
  hooks.onStatus?.(`swap-out, page 0 of ${nrPages}`);
  const clock0 = compressorSeconds(zswap);
  const out = await swapOutPhase(c);
  const clock1 = compressorSeconds(zswap);
  const afterSwapOut = zswap.stats();
  const zsmallocClasses = config.zsmallocStats ? zswap.zsmallocClasses() : null;
  const perCpuMemory = config.zsmallocStats ? acompCtxMemoryText(zswap.kernel) : null;
  bar?.phase("swap-in", nrPages);
  const back = await swapInPhase(c, out);
  const clock2 = compressorSeconds(zswap);
  bar?.stop();
  const end = zswap.stats();
  return {
    corpus: {
      source: corpus.source,
      pages: nrPages,
      sizeBytes,
      seed: corpus.seed,
      mix: corpus.mix,
      sha256: corpus.sha256(),
    },
    config: {
      compressor: config.compressor,
      profile: config.profile,
      folioPages,
      max_pool_percent: config.maxPoolPercent,
      accept_threshold_percent: config.acceptThresholdPercent,
      shrinker_enabled: config.shrinker,
      totalRamBytes: config.totalRamBytes,
      memcgMaxBytes: config.memcgMaxBytes,
      cpus: zswap.cpus,
      swapFile: zswap.swapFilePath,
      verifySwap: config.verifySwap,
    },
    phases: {
      swapOut: phase(sizeBytes, out.seconds, clock1 - clock0),
      swapIn: phase(sizeBytes, back.seconds, clock2 - clock1),
    },
    ...(zsmallocClasses !== null ? { zsmallocClasses } : {}),
    ...(perCpuMemory !== null ? { perCpuMemory } : {}),
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
    notSwappedOut: out.kept.size,
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
      unreadable: back.unreadable,
      firstUnreadable: back.firstUnreadable,
      ok: back.mismatches === 0 && back.unreadable === 0,
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
 * Swaps a page in. A failure that an injected fault (decompress, swap_read) explains is
 * retried: the page stays out, intact, as zswap_load() keeps the entry. Any other EIO (the
 * swap file lost or changed the page) comes back as the error, to be counted: the page is
 * lost, and its slot is freed. Anything else ends the run.
 */
async function swapInRetrying(
  c: PhaseContext,
  slot: SwapSlot,
  out: Uint8Array,
): Promise<Uint8Array | ZswapError> {
  const fi = faultInject(c.zswap.kernel);
  const injected = () =>
    fi === null ? 0 : fi.injectedIn("swapin", "decompress") + fi.injectedIn("swapin", "swap_read");
  for (let attempt = 0; ; attempt++) {
    const before = injected();
    try {
      return await swapInPage(c.zswap, slot, out);
    } catch (e) {
      if (!(e instanceof ZswapError) || e.code !== "EIO") throw e;
      if (injected() > before && attempt < INJECTED_RETRIES_MAX) {
        c.swapInRetries++;
        continue;
      }
      if (slot.live) c.zswap.free(slot);
      return e;
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

function phase(bytes: number, seconds: number, compressorSeconds: number): PhaseResult {
  const rate = (x: number) => (seconds > 0 ? x / seconds : 0);
  return {
    seconds,
    mbPerSecond: rate(bytes / 1e6),
    pagesPerSecond: rate(bytes / PAGE_SIZE),
    compressorSeconds,
    compressorShare: seconds > 0 ? Math.min(1, compressorSeconds / seconds) : 0,
  };
}

/** Seconds the instance has spent in the compressor binding so far (compress + decompress). */
function compressorSeconds(zswap: ZswapInstance): number {
  const t = zswap.compressorTime();
  return t === null ? 0 : t.compressSeconds + t.decompressSeconds;
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

/**
 * Exit status: 1 if a page came back different or could not be read back (one line each), 2
 * (one line) if the swap file's disk failed.
 */
export function finish(r: RunResult, writeErr: (text: string) => void): void {
  const v = r.verification;
  if (!v.ok) {
    const parts: string[] = [];
    if (v.mismatches > 0) {
      parts.push(
        `${v.mismatches} of ${v.pages} pages came back different (first: page ${v.firstMismatch})`,
      );
    }
    if (v.unreadable > 0) {
      parts.push(
        `${v.unreadable} of ${v.pages} pages could not be swapped in and are lost (first: ${v.firstUnreadable})`,
      );
    }
    writeErr(`zswap-ts: verification failed: ${parts.join("; ")}\n`);
    process.exitCode = 1;
    return;
  }
  const f = r.end.swapFile;
  if (f.writeErrors > 0) {
    throw new UsageError(
      `Swap file ${r.config.swapFile} failed ${f.writeErrors} page writes (${f.lastWriteError}): ` +
        `${r.afterSwapOut.debugfs.reject_reclaim_fail ?? 0} writebacks failed and kept their page in zswap (reject_reclaim_fail), ` +
        `${r.notSwappedOut} pages stayed in memory (and any written-back page whose write failed, redirtied in the swap cache); every page verified, none was lost`,
    );
  }
}
