/**
 * zswap module parameters (/sys/module/zswap/parameters/), with the kernel's names and
 * defaults, and validation with clear errors at the boundary.
 */

/** Which kernel's behaviour to follow where versions differ. */
export type Profile = "latest" | "6.12" | "7.3-batching";

/** `7.3-batching`: 7.3 plus the zswap half of the v14 batching series (docs/batching.md). */
export const PROFILES: readonly Profile[] = ["latest", "6.12", "7.3-batching"];

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
}

/** Defaults: CONFIG_ZSWAP_DEFAULT_ON and CONFIG_ZSWAP_SHRINKER_DEFAULT_ON are off in Kconfig. */
export function defaultParams(): ZswapParams {
  return {
    enabled: true,
    compressor: "lzo",
    max_pool_percent: 20,
    accept_threshold_percent: 90,
    shrinker_enabled: false,
  };
}

export class ParamError extends Error {
  override name = "ParamError";
}

export function checkPercent(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 100) {
    throw new ParamError(`Cannot set ${name}: expected an integer 0..100, got ${v}`);
  }
  return v;
}

export function checkProfile(v: string): Profile {
  if (!(PROFILES as readonly string[]).includes(v)) {
    throw new ParamError(`Unknown profile '${v}'; available: ${PROFILES.join(", ")}`);
  }
  return v as Profile;
}
