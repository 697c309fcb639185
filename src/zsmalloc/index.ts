/**
 * zsmalloc: the allocator zswap stores compressed pages in (Linux mm/zsmalloc.c, v6.12
 * arithmetic). Pure and synchronous; see docs/zsmalloc.md.
 */

export { PAGE_SIZE } from "../kernel/page.ts";
export { zsCheckPool } from "./check.ts";
export { zsCanCompact, zsCompact, zsCompactablePages } from "./compact.ts";
export {
  isZsErrno,
  ZS_EINVAL,
  ZS_ENOMEM,
  ZS_ENOSPC,
  type ZsErrno,
  ZsError,
  zsMallocErrorMessage,
} from "./errors.ts";
export { HANDLE_GEN_MAX, HANDLE_QUARANTINE, HANDLE_SLOTS_MAX } from "./handle_table.ts";
export { zsObjLength, zsObjRead, zsObjReadBegin, zsObjSize, zsObjWrite } from "./obj_rw.ts";
export type { ZsPool, ZsPoolOptions } from "./pool.ts";
export {
  buildSizeClassTable,
  type ChainSizeRule,
  type SizeClassTable,
  ZS_HANDLE_SIZE,
  ZS_MAX_ALLOC_SIZE,
} from "./size_class.ts";
export {
  type ZsClassStats,
  type ZsPoolStats,
  type ZsTotals,
  zsClassStats,
  zsPoolStats,
  zsStatsText,
  zsTotals,
} from "./stats.ts";
export {
  zsCreatePool,
  zsDestroyPool,
  zsFree,
  zsGetTotalPages,
  zsHugeClassSize,
  zsLookupClassIndex,
  zsMalloc,
  zsObjCount,
} from "./zsmalloc.ts";
