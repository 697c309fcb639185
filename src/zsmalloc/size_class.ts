/**
 * zsmalloc size classes: the class arithmetic of Linux mm/zsmalloc.c (v6.12), for 4 KiB pages
 * on a 64-bit machine (x86_64: MAX_POSSIBLE_PHYSMEM_BITS = 52).
 *
 * Every allocation of `size` bytes is served by the class of `size + ZS_HANDLE_SIZE` (zs_malloc()
 * adds the handle that a non-huge object stores in front of itself, before the class lookup).
 * Classes are ZS_SIZE_CLASS_DELTA bytes apart from ZS_MIN_ALLOC_SIZE up to PAGE_SIZE; each picks
 * the zspage chain length (1..chainSize pages) that wastes the fewest bytes
 * (calculate_zspage_chain_size()), and neighbouring classes with the same pages_per_zspage and
 * objs_per_zspage are merged into the bigger one (zs_create_pool() + can_merge()).
 *
 * @example
 * const t = buildSizeClassTable(8);
 * t.classOfRequest[1000]; // 62: 1000 + 8 bytes lands in class 61, merged into class 62 (1024)
 */
import { PAGE_SHIFT, PAGE_SIZE } from "../kernel/page.ts";

// ---------------------------------------------------------------------------------------------
// Constants (kernel names)
// ---------------------------------------------------------------------------------------------

/** Object alignment: class sizes are multiples of it, so a free-list link never spans pages. */
export const ZS_ALIGN = 8;
/** sizeof(unsigned long): the handle a non-huge object keeps in its first bytes. */
export const ZS_HANDLE_SIZE = 8;
/** Bits of the class index in struct zspage: ZS_SIZE_CLASS_DELTA = PAGE_SIZE >> CLASS_BITS. */
export const CLASS_BITS = 8;
export const ZS_SIZE_CLASS_DELTA = PAGE_SIZE >> CLASS_BITS; // 16
export const ZS_MAX_ALLOC_SIZE = PAGE_SIZE;
/** x86_64 (5-level paging capable), arch/x86/include/asm/pgtable_64_types.h. */
export const MAX_POSSIBLE_PHYSMEM_BITS = 52;
export const BITS_PER_LONG = 64;
const PFN_BITS = MAX_POSSIBLE_PHYSMEM_BITS - PAGE_SHIFT; // _PFN_BITS = 40
/** OBJ_INDEX_BITS = BITS_PER_LONG - _PFN_BITS = 24. */
export const OBJ_INDEX_BITS = BITS_PER_LONG - PFN_BITS;
/** CONFIG_ZSMALLOC_CHAIN_SIZE: Kconfig range 4..16, default 8 (4 before v6.3). */
export const ZS_CHAIN_SIZE_MIN = 4;
export const ZS_CHAIN_SIZE_MAX = 16;
export const ZS_CHAIN_SIZE_DEFAULT = 8;

/** ZS_MIN_ALLOC_SIZE = MAX(32, ZS_MAX_PAGES_PER_ZSPAGE << PAGE_SHIFT >> OBJ_INDEX_BITS) = 32. */
export function zsMinAllocSize(chainSize: number): number {
  return Math.max(32, Math.floor((chainSize * PAGE_SIZE) / 2 ** OBJ_INDEX_BITS));
}

/** ZS_SIZE_CLASSES = DIV_ROUND_UP(ZS_MAX_ALLOC_SIZE - ZS_MIN_ALLOC_SIZE, DELTA) + 1 = 255. */
export function zsSizeClasses(minAllocSize: number): number {
  return Math.ceil((ZS_MAX_ALLOC_SIZE - minAllocSize) / ZS_SIZE_CLASS_DELTA) + 1;
}

// ---------------------------------------------------------------------------------------------
// Class arithmetic
// ---------------------------------------------------------------------------------------------

/**
 * calculate_zspage_chain_size(): the number of pages (1..chainSize) whose total size leaves the
 * smallest remainder when cut into objects of `classSize`; the first (shortest) chain wins ties,
 * and a power-of-two size always uses one page.
 */
export function calculateZspageChainSize(classSize: number, chainSize: number): number {
  if ((classSize & (classSize - 1)) === 0) return 1;
  let minWaste = Number.MAX_SAFE_INTEGER;
  let best = 1;
  for (let i = 1; i <= chainSize; i++) {
    const waste = (i * PAGE_SIZE) % classSize;
    if (waste < minWaste) {
      minWaste = waste;
      best = i;
    }
  }
  return best;
}

/**
 * get_pages_per_zspage() of kernels up to v6.2: the first chain length with the highest integer
 * percentage of used bytes. v6.3 replaced it with calculateZspageChainSize() ("zsmalloc: rework
 * zspage chain size selection"); the cluster counts in Documentation/mm/zsmalloc.rst (123
 * classes for chain 8) were computed with this older rule.
 */
export function getPagesPerZspageUsedPercent(classSize: number, chainSize: number): number {
  let maxUsedPc = 0;
  let best = 1;
  for (let i = 1; i <= chainSize; i++) {
    const zspageSize = i * PAGE_SIZE;
    const waste = zspageSize % classSize;
    const usedPc = Math.floor(((zspageSize - waste) * 100) / zspageSize);
    if (usedPc > maxUsedPc) {
      maxUsedPc = usedPc;
      best = i;
    }
  }
  return best;
}

/** Which chain-length rule a pool uses: "min-waste" (v6.3+, default) or "used-percent" (<= v6.2). */
export type ChainSizeRule = "min-waste" | "used-percent";

/** get_size_class_index(): the class index for a size that already includes the handle. */
export function getSizeClassIndex(size: number, minAllocSize: number, nrClasses: number): number {
  let idx = 0;
  if (size > minAllocSize) idx = Math.ceil((size - minAllocSize) / ZS_SIZE_CLASS_DELTA);
  return Math.min(nrClasses - 1, idx);
}

/** The pool's class layout; per-index arrays have `nrClasses` entries. */
export interface SizeClassTable {
  readonly chainSize: number;
  readonly chainSizeRule: ChainSizeRule;
  readonly minAllocSize: number;
  readonly nrClasses: number;
  /** pool->size_class[i]->index: the (bigger) class that index i was merged into. */
  readonly classOf: Uint8Array;
  /** Per index: the size, pages_per_zspage and objs_per_zspage computed for that index. */
  readonly size: Uint16Array;
  readonly pagesPerZspage: Uint8Array;
  readonly objsPerZspage: Uint16Array;
  /** Per index: 1 when objs_per_zspage == 1 and pages_per_zspage == 1 (ZsHugePage()). */
  readonly huge: Uint8Array;
  /** Indices of the real (unmerged) classes, ascending. */
  readonly classes: readonly number[];
  /** zs_huge_class_size(): objects of this many bytes or more are stored one per page. */
  readonly hugeClassSize: number;
  /** Request size (1..PAGE_SIZE, handle not included) -> class index, precomputed. */
  readonly classOfRequest: Uint8Array;
}

/**
 * Builds the class table the way zs_create_pool() does: from the biggest index down, so
 * can_merge() compares each index with the last class created (the next bigger one).
 */
export function buildSizeClassTable(
  chainSize: number = ZS_CHAIN_SIZE_DEFAULT,
  chainSizeRule: ChainSizeRule = "min-waste",
): SizeClassTable {
  if (
    !Number.isInteger(chainSize) ||
    chainSize < ZS_CHAIN_SIZE_MIN ||
    chainSize > ZS_CHAIN_SIZE_MAX
  ) {
    throw new RangeError(
      `zsmalloc: expected chainSize ${ZS_CHAIN_SIZE_MIN}..${ZS_CHAIN_SIZE_MAX} (CONFIG_ZSMALLOC_CHAIN_SIZE), got ${chainSize}`,
    );
  }
  const minAllocSize = zsMinAllocSize(chainSize);
  const nrClasses = zsSizeClasses(minAllocSize);
  const classOf = new Uint8Array(nrClasses);
  const size = new Uint16Array(nrClasses);
  const pagesPerZspage = new Uint8Array(nrClasses);
  const objsPerZspage = new Uint16Array(nrClasses);
  const huge = new Uint8Array(nrClasses);
  const classes: number[] = [];
  let hugeClassSize = 0;
  let prev = -1;
  for (let i = nrClasses - 1; i >= 0; i--) {
    const s = Math.min(minAllocSize + i * ZS_SIZE_CLASS_DELTA, ZS_MAX_ALLOC_SIZE);
    const ppz =
      chainSizeRule === "min-waste"
        ? calculateZspageChainSize(s, chainSize)
        : getPagesPerZspageUsedPercent(s, chainSize);
    const opz = Math.floor((ppz * PAGE_SIZE) / s);
    size[i] = s;
    pagesPerZspage[i] = ppz;
    objsPerZspage[i] = opz;
    huge[i] = ppz === 1 && opz === 1 ? 1 : 0;
    // The biggest class that packs several objects per zspage; minus the handle because
    // zs_malloc() adds ZS_HANDLE_SIZE before the lookup (kernel: huge_class_size).
    if (ppz !== 1 && opz !== 1 && hugeClassSize === 0) hugeClassSize = s - (ZS_HANDLE_SIZE - 1);
    if (prev >= 0 && pagesPerZspage[prev] === ppz && objsPerZspage[prev] === opz) {
      classOf[i] = prev;
      continue;
    }
    classOf[i] = i;
    classes.push(i);
    prev = i;
  }
  classes.reverse();
  const classOfRequest = new Uint8Array(ZS_MAX_ALLOC_SIZE + 1);
  for (let req = 1; req <= ZS_MAX_ALLOC_SIZE; req++) {
    classOfRequest[req] =
      classOf[getSizeClassIndex(req + ZS_HANDLE_SIZE, minAllocSize, nrClasses)]!;
  }
  return {
    chainSize,
    chainSizeRule,
    minAllocSize,
    nrClasses,
    classOf,
    size,
    pagesPerZspage,
    objsPerZspage,
    huge,
    classes,
    hugeClassSize,
    classOfRequest,
  };
}
