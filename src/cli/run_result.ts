/**
 * The `run` job's result: what it reports (the JSON form is this object; run_summary.ts prints
 * the text form) and how it is assembled from what the phases measured.
 */

import { PAGE_SIZE } from "../kernel/page.ts";
import { checkFaults, type FaultCounts, formatFaults } from "../real/faults.ts";
import type { ZswapStats } from "../real/zswap_instance.ts";
import type { Profile } from "../zswap/params.ts";
import type { RunConfig } from "./run_config.ts";
import type { SwapInResult } from "./run_phases.ts";

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
    /** --parallel: one worker thread per CPU (docs/multicore.md). */
    readonly parallel: boolean;
  };
  readonly phases: { readonly swapOut: PhaseResult; readonly swapIn: PhaseResult };
  /** The pool as swap-out left it (every page out). */
  readonly afterSwapOut: Pick<ZswapStats, "debugfs" | "vmstat" | "derived" | "memcg">;
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

/** What the job measured, for `runResult` to put in the shape the JSON documents. */
export interface RunMeasurements {
  readonly corpus: RunResult["corpus"];
  /** The instance's CPU count and swap file path (both resolved by the library). */
  readonly cpus: number;
  readonly swapFile: string;
  readonly swapOutSeconds: number;
  readonly swapInSeconds: number;
  /** Compressor seconds at the start, after swap-out, and at the end. */
  readonly compressorClock: readonly [number, number, number];
  readonly afterSwapOut: ZswapStats;
  readonly end: ZswapStats;
  readonly zsmallocClasses: string | null;
  readonly perCpuMemory: string | null;
  readonly stress: RunResult["stress"];
  readonly notSwappedOut: number;
  readonly swapInRetries: number;
  readonly back: SwapInResult;
}

/** The result of a run of `config` that measured `m`. */
export function runResult(config: RunConfig, m: RunMeasurements): RunResult {
  const sizeBytes = m.corpus.sizeBytes;
  const [clock0, clock1, clock2] = m.compressorClock;
  const { afterSwapOut, end, back, zsmallocClasses, perCpuMemory } = m;
  return {
    corpus: m.corpus,
    config: {
      compressor: config.compressor,
      profile: config.profile,
      folioPages: config.folioPages ?? 1,
      max_pool_percent: config.maxPoolPercent,
      accept_threshold_percent: config.acceptThresholdPercent,
      shrinker_enabled: config.shrinker,
      totalRamBytes: config.totalRamBytes,
      memcgMaxBytes: config.memcgMaxBytes,
      cpus: m.cpus,
      swapFile: m.swapFile,
      verifySwap: config.verifySwap,
      parallel: config.parallel === true,
    },
    phases: {
      swapOut: phase(sizeBytes, m.swapOutSeconds, clock1 - clock0),
      swapIn: phase(sizeBytes, m.swapInSeconds, clock2 - clock1),
    },
    ...(zsmallocClasses !== null ? { zsmallocClasses } : {}),
    ...(perCpuMemory !== null ? { perCpuMemory } : {}),
    afterSwapOut: {
      debugfs: afterSwapOut.debugfs,
      vmstat: afterSwapOut.vmstat,
      derived: afterSwapOut.derived,
      memcg: afterSwapOut.memcg,
    },
    end: { debugfs: end.debugfs, vmstat: end.vmstat, swapFile: end.swapFile },
    poolLimit: poolLimitFigures(afterSwapOut),
    stress: m.stress,
    notSwappedOut: m.notSwappedOut,
    faults:
      config.faults === null
        ? null
        : {
            spec: formatFaults(checkFaults(config.faults)),
            injected: end.faults,
            swapInRetries: m.swapInRetries,
          },
    verification: {
      pages: m.corpus.pages,
      mismatches: back.mismatches,
      firstMismatch: back.firstMismatch,
      unreadable: back.unreadable,
      firstUnreadable: back.firstUnreadable,
      ok: back.mismatches === 0 && back.unreadable === 0,
    },
  };
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
