/**
 * Time spent inside the compressor binding (compress and decompress calls), for the `run`
 * summary's share of time in the compressor against everything else zswap does per page.
 *
 * It wraps the backends of a registry, so every path that compresses (stores, the writeback
 * worker's decompressions, batches) is counted. Off unless asked for (`timeCompressor`): two
 * clock reads per call cost about as much as some of the cheap steps it is compared with.
 */
import type { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import type { CompressorBackend } from "../crypto/algorithms/types.ts";
import { isBatchingBackend } from "../crypto/batch.ts";

/** Seconds spent in the compressor binding so far. */
export interface CompressorTime {
  readonly compressSeconds: number;
  readonly decompressSeconds: number;
}

export class CompressorClock {
  private compressMs = 0;
  private decompressMs = 0;

  get time(): CompressorTime {
    return { compressSeconds: this.compressMs / 1e3, decompressSeconds: this.decompressMs / 1e3 };
  }

  /** `registry` with every backend it creates timed by this clock. */
  wrap(registry: CompressorRegistry): CompressorRegistry {
    return registry.mapBackends((b) => this.timed(b));
  }

  private timed(b: CompressorBackend): CompressorBackend {
    // deflate-iaa's batches run on its engines (worker threads) in parallel with the caller:
    // their time is not the caller's, and the wrapper would hide compressBatch. Left as it is.
    if (isBatchingBackend(b)) return b;
    return {
      name: b.name,
      compress: (src, dst) => {
        const t0 = performance.now();
        const ret = b.compress(src, dst);
        this.compressMs += performance.now() - t0;
        return ret;
      },
      decompress: (src, dst) => {
        const t0 = performance.now();
        const ret = b.decompress(src, dst);
        this.decompressMs += performance.now() - t0;
        return ret;
      },
    };
  }
}
