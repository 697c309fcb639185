/**
 * Starting multi-core real mode (`parallel: true`): the CPU workers, the compressor registry
 * whose backends take their results, and the queue of library calls (docs/multicore.md).
 */
import type { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { CpuWorkerError, CpuWorkers } from "./engines/cpu_workers.ts";
import { ZswapError } from "./errors.ts";
import type { CheckedOptions } from "./options.ts";
import { ParallelSwap } from "./parallel_swap.ts";

/**
 * @internal For tests: the handler module the workers load, and whether the calling thread
 * helps (off, so that a failing test handler is what runs the jobs).
 */
export const cpuWorkerTestHooks: {
  handler: URL | null;
  help: boolean;
  /** Overrides OFFLOAD_DECOMPRESS_US (0: every decompression is a job). */
  offloadDecompressUs: number | null;
  /** Overrides OFFLOAD_COMPRESS_US (0: every compression is a job). */
  offloadCompressUs: number | null;
  /** Overrides the number of workers. */
  workers: number | null;
  /** Decides which pages are offloaded instead of their measured costs (OffloadPolicy). */
  offloadChoice: ((op: number) => boolean) | null;
} = {
  handler: null,
  help: true,
  offloadDecompressUs: null,
  offloadCompressUs: null,
  workers: null,
  offloadChoice: null,
};

export interface Parallel {
  readonly swap: ParallelSwap;
  readonly registry: CompressorRegistry;
}

/** One worker per CPU; throws ZswapError if they cannot start (`device` is closed then). */
export function startParallel(
  k: Kernel,
  o: CheckedOptions,
  registry: CompressorRegistry,
  device: { close(): Promise<void> } | null,
): Parallel {
  const kernel = o.profile === "6.12" ? "6.12" : "7.3";
  let workers: CpuWorkers;
  try {
    const h = cpuWorkerTestHooks;
    workers = CpuWorkers.create({
      workers: h.workers ?? o.cpus,
      help: h.help,
      ...(h.handler === null ? {} : { handler: h.handler }),
      ...(h.offloadDecompressUs === null ? {} : { offloadDecompressUs: h.offloadDecompressUs }),
      ...(h.offloadCompressUs === null ? {} : { offloadCompressUs: h.offloadCompressUs }),
      ...(h.offloadChoice === null ? {} : { offloadChoice: h.offloadChoice }),
    });
  } catch (e) {
    void device?.close();
    if (e instanceof CpuWorkerError)
      throw new ZswapError("ENOTRECOVERABLE", e.message, { cause: e });
    throw e;
  }
  return { swap: new ParallelSwap(workers, k, kernel), registry: workers.wrap(registry, kernel) };
}
