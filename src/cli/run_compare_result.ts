/**
 * The result of `run --compare`: one row per compressor and profile, the compression ratio per
 * page kind, and each run's full result. The JSON form is this object; run_compare_summary.ts
 * prints the table.
 */
import type { Profile } from "../zswap/params.ts";
import type { RunResult } from "./run_result.ts";

export interface CompareRow {
  readonly compressor: string;
  readonly profile: Profile;
  readonly stored_pages: number;
  /** Stored bytes over compressed bytes, after swap-out. */
  readonly compressionRatio: number;
  readonly pool_total_size: number;
  /** Compressed bytes over pool_total_size. */
  readonly poolEfficiency: number;
  /** Pages whose compressed form did not fit a page: stored as they are (7.3) or rejected (6.12). */
  readonly incompressiblePages: number;
  readonly storeMbPerSecond: number;
  readonly loadMbPerSecond: number;
  readonly verified: boolean;
}

/** One page kind under one compressor: each page compressed alone, as zswap does. */
export interface KindFigures {
  readonly kind: string;
  readonly pages: number;
  /** pages / corpus pages. */
  readonly share: number;
  /** Zero-filled pages: kept in the swap layer's zero map, never compressed. */
  readonly zeroFilledPages: number;
  /** Sum of the compressed lengths of the other pages (an incompressible page counts 4096). */
  readonly compressedBytes: number;
  /** Their bytes over compressedBytes; null when every page is zero-filled. */
  readonly ratio: number | null;
  readonly incompressiblePages: number;
}

export interface CompareResult {
  readonly corpus: {
    readonly source: string;
    readonly pages: number;
    readonly sizeBytes: number;
    readonly sha256: string;
    readonly seed: number | null;
    readonly mix: string | null;
  };
  readonly rows: readonly CompareRow[];
  /** By compressor; null when the corpus has no manifest with page kinds. */
  readonly kinds: Readonly<Record<string, readonly KindFigures[]>> | null;
  /** Each run's full result, in row order. */
  readonly runs: readonly RunResult[];
}
