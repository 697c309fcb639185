/**
 * zswap module parameters (/sys/module/zswap/parameters/), with the kernel's names and
 * defaults, and validation with clear errors at the boundary.
 */

/**
 * Which kernel's behaviour to follow where versions differ: "7.3" is Linux 7.3.4 (Debian's
 * trixie-backports build), "6.12" is Debian's 6.12.117 (sources: reference/linux/<version>/);
 * "7.3-batching" is 7.3 plus the zswap half of the v14 batching series (docs/batching.md).
 */
export type Profile = "7.3" | "6.12" | "7.3-batching";

export const PROFILES: readonly Profile[] = ["7.3", "6.12", "7.3-batching"];

/** Other names accepted for a profile: `latest` is the newest kernel followed. */
export const PROFILE_ALIASES: Readonly<Record<string, Profile>> = { latest: "7.3" };

/** The kernel release a profile follows, for reports. */
export const PROFILE_KERNELS: Readonly<Record<Profile, string>> = {
  "7.3": "Linux 7.3.4 (7.3.4+deb13-amd64)",
  "6.12": "Linux 6.12.117 (6.12.117+deb12-amd64)",
  "7.3-batching": "Linux 7.3.4 with the v14 zswap batching series (not merged)",
};

/**
 * Whether the profile stores incompressible pages as they are (the raw-store change after 6.12).
 * Only then does `entry->length == PAGE_SIZE` mean "stored uncompressed": 6.12 rejects such
 * pages, and a compressor there may legitimately produce exactly PAGE_SIZE bytes (lzo with
 * its two-page destination), which must still be decompressed.
 */
export function storesRaw(profile: Profile): boolean {
  return profile !== "6.12";
}

export interface ZswapParams {
  enabled: boolean;
  compressor: string;
  /** % of totalram the pool may use (default 20). */
  max_pool_percent: number;
  /** % of the max pool size below which stores are accepted again after the limit (default 90). */
  accept_threshold_percent: number;
  shrinker_enabled: boolean;
  /** 6.12 only: the zpool type (zpool.ts); 7.x has no zpool layer. */
  zpool: string;
}

/** CONFIG_ZSWAP_COMPRESSOR_DEFAULT: Kconfig's default choice (ZSWAP_COMPRESSOR_DEFAULT_LZO). */
export const ZSWAP_COMPRESSOR_DEFAULT = "lzo";

/**
 * Defaults: max_pool_percent and accept_threshold_percent as in mm/zswap.c, the compressor of
 * CONFIG_ZSWAP_COMPRESSOR_DEFAULT; CONFIG_ZSWAP_SHRINKER_DEFAULT_ON is off in Kconfig. `enabled`
 * is on here for convenience; Debian's kernels boot with it off (CONFIG_ZSWAP_DEFAULT_ON
 * unset): pass `enabled: false` (docs/zswap.md, "Boot default").
 */
export function defaultParams(): ZswapParams {
  return {
    enabled: true,
    compressor: ZSWAP_COMPRESSOR_DEFAULT,
    max_pool_percent: 20,
    accept_threshold_percent: 90,
    shrinker_enabled: false,
    zpool: "zsmalloc",
  };
}

export class ParamError extends Error {
  override name = "ParamError";
}

/** The largest value of a `uint` module parameter (param_set_uint: kstrtouint). */
export const UINT_MAX = 0xffff_ffff;

/**
 * max_pool_percent and accept_threshold_percent are plain `uint` module parameters: the kernel
 * takes any unsigned 32-bit integer (a max_pool_percent over 100 lets the pool pass totalram,
 * an accept_threshold_percent over 100 never re-opens the pool below the limit), so this only
 * refuses what kstrtouint refuses.
 */
export function checkPercent(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > UINT_MAX) {
    throw new ParamError(`Cannot set ${name}: expected an integer 0..${UINT_MAX}, got ${v}`);
  }
  return v;
}

/** A profile name or alias; the resolved profile. */
export function checkProfile(v: string): Profile {
  const alias = Object.hasOwn(PROFILE_ALIASES, v) ? PROFILE_ALIASES[v] : undefined;
  if (alias !== undefined) return alias;
  if (!(PROFILES as readonly string[]).includes(v)) {
    const names = [...PROFILES, ...Object.keys(PROFILE_ALIASES)];
    throw new ParamError(`Unknown profile '${v}'; available: ${names.join(", ")}`);
  }
  return v as Profile;
}
