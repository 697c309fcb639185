/**
 * zswap setup and its public face: zswap_setup() (cpuhp state, shrink work, the first pool),
 * the swap-layer hooks, parameter setters with validation, and the statistics.
 */
import { cryptoHasAcomp, unknownAlgorithmMessage } from "../crypto/acomp.ts";
import { CPUHP_MM_ZSWP_POOL_PREPARE, cpuhpSetupStateMulti } from "../kernel/cpuhp.ts";
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { mutexLock, mutexUnlockAndYield } from "../kernel/mutex.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { traced } from "../kernel/site.ts";
import { Work } from "../kernel/workqueue.ts";
import { registerMemcgOfflineHook } from "../mm/memcg.ts";
import { swapState } from "../mm/swap.ts";
import { zswapInvalidate, zswapLoad } from "./load.ts";
import { checkPercent, ParamError, ZSWAP_COMPRESSOR_DEFAULT } from "./params.ts";
import { zswapCompressorParamSet, zswapPoolCreate, zswapTotalPages } from "./pool.ts";
import { shrinkWorker, zswapMemcgOfflineCleanup } from "./shrinker.ts";
import { initZswapState, type ZswapOptions, type ZswapState, zswapState } from "./state.ts";
import { DEBUGFS_6_12, type ZswapDebugfs } from "./stats.ts";
import { zswapStore } from "./store.ts";
import type { PoolObj } from "./types.ts";
import { ZSWAP_ZPOOL_DEFAULT, zpoolHasPool } from "./zpool.ts";

/**
 * Creates zswap's state and registers its cpuhp state (with or without a teardown, as the
 * design says). No effects: call from kernel setup, then run zswapSetup() in a task.
 */
export function zswapInit(k: Kernel, o: ZswapOptions): ZswapState {
  const z = initZswapState(k, o);
  const poolOf = (node: unknown) => (node as { pool: PoolObj }).pool;
  cpuhpSetupStateMulti(
    k,
    z.design.cpuhpState ?? CPUHP_MM_ZSWP_POOL_PREPARE,
    "mm/zswap_pool:prepare",
    (k2, cpu, node) =>
      traced(k2, "zswap_cpu_comp_prepare", z.design.prepare(k2, poolOf(node), cpu)),
    z.design.hasTeardown
      ? (k2, cpu, node) => traced(k2, "zswap_cpu_comp_dead", z.design.dead(k2, poolOf(node), cpu))
      : null,
  );
  z.shrinkWork = new Work("zswap_shrink_work", shrinkWorker);
  swapState(k).hooks = { store: zswapStore, load: zswapLoad, invalidate: zswapInvalidate };
  registerMemcgOfflineHook(k, zswapMemcgOfflineCleanup);
  return z;
}

/** zswap_setup(), the part with effects: the first pool (falling back to no pool on failure). */
export function zswapSetup(k: Kernel): Op<number> {
  return traced(k, "zswap_setup", setup(k));
}

function* setup(k: Kernel): Op<number> {
  const z = zswapState(k);
  // zswap_init(): a kernel booted with zswap off sets up nothing until it is enabled.
  if (z.bootOff && !z.params.enabled) return 0;
  yield* mutexLock(k, z.initLock);
  try {
    const compressor = zswapPoolCreateFallback(k);
    if (compressor === null) throw new ParamError(unknownAlgorithmMessage(k, z.params.compressor));
    const pool = yield* zswapPoolCreate(k, compressor);
    z.initState = "succeed";
    if (pool === null) {
      // As the kernel: init succeeds, but zswap stays off without a pool.
      z.params.enabled = false;
      return -12;
    }
    z.pools.unshift(pool);
    pool.data.onList = true;
    z.hasPool = true;
    z.everEnabled = true;
    return 0;
  } finally {
    yield* mutexUnlockAndYield(k, z.initLock);
  }
}

/**
 * __zswap_pool_create_fallback(): a compressor that is not available at boot falls back to
 * CONFIG_ZSWAP_COMPRESSOR_DEFAULT, with the kernel's pr_err; null when the default is missing
 * too (the kernel WARNs and boots without a pool; here setup reports the unknown name).
 */
function zswapPoolCreateFallback(k: Kernel): string | null {
  const z = zswapState(k);
  const want = z.params.compressor;
  if (!cryptoHasAcomp(k, want) && want !== ZSWAP_COMPRESSOR_DEFAULT) {
    k.note(`zswap: compressor ${want} not available, using default ${ZSWAP_COMPRESSOR_DEFAULT}`);
    z.params.compressor = ZSWAP_COMPRESSOR_DEFAULT;
  }
  if (!cryptoHasAcomp(k, z.params.compressor)) {
    if (z.profile === "6.12")
      k.note(`zswap: default compressor ${z.params.compressor} not available`);
    z.params.compressor = want;
    return null;
  }
  // 6.12 checks the zpool type the same way (a missing default is impossible here).
  if (z.profile === "6.12" && !zpoolHasPool(z.params.zpool)) {
    k.note(`zswap: zpool ${z.params.zpool} not available, using default ${ZSWAP_ZPOOL_DEFAULT}`);
    z.params.zpool = ZSWAP_ZPOOL_DEFAULT;
  }
  return z.params.compressor;
}

/**
 * 6.12's zswap_zpool_param_set() (__zswap_param_set with a type): before setup only the
 * parameter changes; after, an unavailable type is -ENOENT, the current one a no-op (the only
 * driver here is the current one, so no pool is ever switched).
 */
function zswapZpoolParamSet(k: Kernel, value: string): number {
  const z = zswapState(k);
  if (z.initState === "uninit") {
    z.params.zpool = value;
    return 0;
  }
  if (z.initState === "failed") return -19;
  if (value === z.params.zpool && z.hasPool) return 0;
  if (!zpoolHasPool(value)) {
    k.note(`zswap: zpool ${value} not available`);
    return -2;
  }
  z.params.zpool = value;
  return 0;
}

/** Sets a parameter by its sysfs name; returns 0 or a negative errno, throws ParamError on bad input. */
export function* zswapParamSet(k: Kernel, name: string, value: string): Op<number> {
  const z = zswapState(k);
  switch (name) {
    case "compressor":
      if (!cryptoHasAcomp(k, value)) throw new ParamError(unknownAlgorithmMessage(k, value));
      return yield* zswapCompressorParamSet(k, value);
    case "zpool":
      if (z.profile !== "6.12") break;
      return zswapZpoolParamSet(k, value);
    case "max_pool_percent":
      z.params.max_pool_percent = checkPercent(name, Number(value));
      return 0;
    case "accept_threshold_percent":
      z.params.accept_threshold_percent = checkPercent(name, Number(value));
      return 0;
    case "enabled":
    case "shrinker_enabled": {
      const v = parseBool(name, value);
      // zswap_enabled_param_set(): the first enable of a zswap booted off runs zswap_setup();
      // without a pool: "can't enable, no pool configured" (-ENODEV).
      if (name === "enabled" && z.initState === "uninit") {
        z.params.enabled = v;
        if (!v) return 0;
        if ((yield* zswapSetup(k)) !== 0) return -19;
      }
      if (name === "enabled" && v && !z.hasPool) return -19;
      z.params[name] = v;
      return 0;
    }
  }
  const names = "enabled, compressor, max_pool_percent, accept_threshold_percent, shrinker_enabled";
  throw new ParamError(
    `Unknown zswap parameter '${name}'; available: ${names}${z.profile === "6.12" ? ", zpool" : ""}`,
  );
}

function parseBool(name: string, v: string): boolean {
  if (["Y", "y", "1", "true", "on"].includes(v)) return true;
  if (["N", "n", "0", "false", "off"].includes(v)) return false;
  throw new ParamError(`Cannot set ${name}: expected Y/N (or 1/0, true/false), got '${v}'`);
}

/** The debugfs counters, with pool_total_size computed as the kernel does at read time. */
export function zswapDebugfs(k: Kernel): ZswapDebugfs {
  const z = zswapState(k);
  return { ...z.stats, pool_total_size: zswapTotalPages(k) * PAGE_SIZE };
}

/** The debugfs files of the selected profile (6.12 lacks the newer counters). */
export function zswapDebugfsForProfile(k: Kernel): Partial<ZswapDebugfs> {
  const all = zswapDebugfs(k);
  if (zswapState(k).profile !== "6.12") return all;
  const out: Partial<ZswapDebugfs> = {};
  for (const name of DEBUGFS_6_12) out[name] = all[name];
  return out;
}
