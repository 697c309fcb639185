/**
 * The `run` job: stream the corpus (a file read, or the default corpus generated, a chunk at a
 * time), swap every page out through the library and back in, verify each page against a
 * 128-bit digest taken on the way out, and collect the statistics and each phase's throughput.
 * Memory is the pool plus a few dozen bytes per page, not the corpus (docs/run.md, "Memory").
 * The phases are in run_phases.ts, the result in run_result.ts, the summary in run_summary.ts;
 * the command and its flags are in cmd_run.ts.
 */

import { createHash } from "node:crypto";
import { PAGE_SIZE } from "../kernel/page.ts";
import { createZswap } from "../real/create_zswap.ts";
import {
  FOLIO_PAGES_MAX,
  type SwapSlot,
  ZswapError,
  type ZswapInstance,
} from "../real/zswap_instance.ts";
import { CorpusError, CorpusGenerator, DEFAULT_MIX, formatMix } from "../workload/corpus.ts";
import { CHUNK_PAGES, CorpusReader } from "../workload/corpus_stream.ts";
import { acompCtxMemoryText } from "../zswap/ctx_memory.ts";
import { Progress } from "./progress.ts";
import type { RunConfig, RunHooks } from "./run_config.ts";
import { type PageStream, type PhaseContext, swapInPhase, swapOutPhase } from "./run_phases.ts";
import { type RunResult, runResult } from "./run_result.ts";
import { Stress } from "./run_stress.ts";
import { InFlight } from "./run_window.ts";
import { UsageError } from "./usage_error.ts";

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
      ...(config.memcgZswapMaxBytes != null
        ? { memcgZswapMaxBytes: config.memcgZswapMaxBytes }
        : {}),
      ...(config.memcgZswapWriteback != null
        ? { memcgZswapWriteback: config.memcgZswapWriteback }
        : {}),
      // The shrink worker shares the CPU with the stores, as a kworker on a one-vCPU VM.
      shareCpu: true,
      swapSizeBytes: (nrPages + FOLIO_PAGES_MAX) * PAGE_SIZE,
      ...(config.faults !== null ? { faults: config.faults } : {}),
      iaaEngines: config.iaaEngines ?? 0,
      timeCompressor: true,
      parallel: config.parallel ?? false,
    });
  } catch (e) {
    if (e instanceof ZswapError) throw new UsageError(e.message);
    throw e;
  }
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

async function runPhases(
  config: RunConfig,
  zswap: ZswapInstance,
  corpus: PageStream,
  hooks: RunHooks,
): Promise<RunResult> {
  const nrPages = corpus.nrPages;
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
    window: config.parallel
      ? {
          out: new InFlight<SwapSlot | null>(),
          // A swap-in retried after an injected fault would queue behind later pages: one at a time.
          in: config.faults === null ? new InFlight<boolean>() : null,
        }
      : null,
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
  return runResult(config, {
    corpus: {
      source: corpus.source,
      pages: nrPages,
      sizeBytes: nrPages * PAGE_SIZE,
      seed: corpus.seed,
      mix: corpus.mix,
      sha256: corpus.sha256(),
    },
    cpus: zswap.cpus,
    swapFile: zswap.swapFilePath,
    swapOutSeconds: out.seconds,
    swapInSeconds: back.seconds,
    compressorClock: [clock0, clock1, clock2],
    afterSwapOut,
    end,
    zsmallocClasses,
    perCpuMemory,
    stress: {
      hotplugEvents: stress.hotplugEvents,
      compressorSwitches: stress.compressorSwitches,
      compressorsUsed: stress.used,
    },
    notSwappedOut: out.kept.size,
    swapInRetries: c.swapInRetries,
    back,
  });
}

async function closeQuietly(zswap: ZswapInstance): Promise<void> {
  try {
    await zswap.close();
  } catch {
    // flush() already reported what background work threw.
  }
}

/** Seconds the instance has spent in the compressor binding so far (compress + decompress). */
function compressorSeconds(zswap: ZswapInstance): number {
  const t = zswap.compressorTime();
  return t === null ? 0 : t.compressSeconds + t.decompressSeconds;
}
