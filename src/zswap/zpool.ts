/**
 * 6.12's zpool layer (mm/zpool.c), as far as zswap sees it. In 6.12 zswap allocates through
 * zpool_malloc()/zpool_free()/zpool_get_total_pages() on a pool of a named type; the zsmalloc
 * driver (zs_zpool_malloc() and friends in mm/zsmalloc.c) forwards each call unchanged to
 * zs_malloc()/zs_free()/zs_get_total_pages(), so the engine calls zsmalloc directly in both
 * profiles and keeps only what a user can see of zpool: the `zpool` module parameter, its
 * default (CONFIG_ZSWAP_ZPOOL_DEFAULT), and the errors for a type that is not available.
 * 7.x removed the layer and the parameter.
 *
 * Simplified: only the zsmalloc driver exists here (Debian's 6.12 may also build zbud and
 * z3fold, which its kernel would accept).
 */

/** CONFIG_ZSWAP_ZPOOL_DEFAULT (Kconfig's default choice, ZSWAP_ZPOOL_DEFAULT_ZSMALLOC). */
export const ZSWAP_ZPOOL_DEFAULT = "zsmalloc";

/** zpool_has_pool(): whether a driver of this type is registered. */
export function zpoolHasPool(type: string): boolean {
  return type === "zsmalloc";
}
