/**
 * The `run` job's input: the flags as given (cmd_run.ts checks them), the configuration they
 * become, and the hooks through which a run reports while it works.
 */
import type { FaultOptions } from "../real/faults.ts";
import type { Profile } from "../zswap/params.ts";

export interface RunFlags {
  corpus?: string;
  size: string;
  seed: string;
  compressor: string;
  profile: string;
  maxPoolPercent: string;
  acceptThresholdPercent: string;
  shrinker?: boolean;
  totalRam?: string;
  cpus?: string;
  swapFile?: string;
  force?: boolean;
  verifySwap?: boolean;
  memcgMax?: string;
  memcgZswapMax?: string;
  memcgWriteback?: string;
  json?: boolean;
  zsmallocStats?: boolean;
  hotplug?: boolean;
  switchCompressorEvery?: string;
  fail?: string;
  failSeed?: string;
  compare?: string;
  compareProfiles?: string;
  folioSize?: string;
  iaaEngines?: string;
  parallel?: boolean;
}

/** A run, as parsed and checked. */
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
  /** --memcg-zswap-max: the memcg's memory.zswap.max in bytes; absent or null: "max". */
  readonly memcgZswapMaxBytes?: number | null;
  /** --memcg-writeback: the memcg's memory.zswap.writeback; absent or null: 1. */
  readonly memcgZswapWriteback?: boolean | null;
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
  /** --parallel: one worker thread per CPU, many calls in flight (docs/multicore.md). */
  readonly parallel?: boolean;
}

/**
 * A run with `run`'s defaults (the generated corpus, seed 1, lz4, profile 7.3, 2 CPUs, a pool
 * limit that does not bind), changed by `o`: for programs that run the job without the command
 * (benchmarks, tests).
 */
export function runConfigWith(o: Partial<RunConfig>): RunConfig {
  return {
    corpusFile: null,
    sizeBytes: 64 * 2 ** 20,
    seed: 1,
    compressor: "lz4",
    profile: "7.3",
    maxPoolPercent: 20,
    acceptThresholdPercent: 90,
    shrinker: false,
    totalRamBytes: 2 ** 36,
    cpus: 2,
    swapFile: undefined,
    force: false,
    verifySwap: false,
    memcgMaxBytes: null,
    json: true,
    zsmallocStats: false,
    hotplug: false,
    switchCompressorEvery: 0,
    faults: null,
    ...o,
  };
}

/** What a run reports while it works (the interrupt line says it). */
export interface RunHooks {
  /** Called every chunk of pages: "swap-out, page 1024 of 65536". */
  readonly onStatus?: (status: string) => void;
  /** The temporary swap file, once it exists (removed if the run is interrupted). */
  readonly onSwapFile?: (path: string, temporary: boolean) => void;
}
