/**
 * The page: the unit zswap stores, the swap layer allocates and zsmalloc packs (x86-64's 4 KiB
 * base page). The one home of PAGE_SIZE; every layer imports it from here.
 */

/** log2 of the page size. */
export const PAGE_SHIFT = 12;

/** Bytes in a page: 4096. */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
