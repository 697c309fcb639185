/**
 * zswap-ts as a library: Linux zswap on real pages, with real compressors (lz4, lz4hc, zstd,
 * lzo, deflate), a zsmalloc pool and a real swap file. See docs/library.md.
 *
 * @example
 * import { createZswap } from "zswap-ts";
 * const zswap = createZswap({ compressor: "zstd" });
 * const slot = await zswap.swapOut(page);          // 4096 bytes (or a large folio)
 * const back = await zswap.swapIn(slot);           // the same bytes; the slot is released
 * console.log(zswap.stats().debugfs.stored_pages); // the kernel's counters, by their names
 * await zswap.close();
 */

export type { VmEvents } from "../mm/vmstat.ts";
export type { Profile } from "../zswap/params.ts";
export type { ZswapDebugfs } from "../zswap/stats.ts";
export { createZswap } from "./create_zswap.ts";
export { SwapFileIoError } from "./errors.ts";
export { RealExecutor, type RealExecutorOptions, type RunSyncOptions } from "./executor.ts";
export { FAULT_KINDS, type FaultCounts, type FaultKind, type FaultOptions } from "./faults.ts";
export { FileStorage, type FileStorageOptions, SwapFileError } from "./file_storage.ts";
export { WouldBlockError } from "./would_block.ts";
export {
  type CreateZswapOptions,
  type DerivedStats,
  FOLIO_PAGES_MAX,
  PAGE_SIZE,
  PARAM_NAMES,
  type ParamValue,
  realCompressorRegistry,
  type SwapFileStats,
  SwapSlot,
  ZswapError,
  ZswapInstance,
  type ZswapStats,
  ZswapWouldBlockError,
} from "./zswap_instance.ts";
