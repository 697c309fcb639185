/**
 * A ZswapInstance's read-outs: stats() (the kernel's counters and figures derived from them),
 * the zsmalloc class tables, and the memory cgroup's files. The instance delegates to these;
 * see zswap_instance.ts for their contracts.
 */
import { memory } from "../kernel/memory.ts";
import type { Memcg } from "../mm/memcg.ts";
import { swapState } from "../mm/swap.ts";
import { zsStatsText } from "../zsmalloc/stats.ts";
import { zswapTotalPages } from "../zswap/pool.ts";
import { zswapDebugfsForProfile } from "../zswap/zswap.ts";
import { errnoName, ZswapError } from "./errors.ts";
import { faultCounts } from "./faults.ts";
import type { InstanceCore } from "./instance_core.ts";
import { memcgStats, readMemcgFile, writeMemcgFile } from "./memcg_files.ts";
import { PAGE_SIZE, type SwapFileStats, type ZswapStats } from "./types.ts";

/** ZswapInstance.zsmallocClasses: every pool's /sys/kernel/debug/zsmalloc/<pool>/classes. */
export function instanceZsmallocClasses(c: InstanceCore): string {
  return c.z.pools
    .map(
      (p) =>
        `/sys/kernel/debug/zsmalloc/${p.data.zsPool.name}/classes (${p.data.tfmName}):\n${zsStatsText(p.data.zsPool)}`,
    )
    .join("\n");
}

/** ZswapInstance.stats. */
export function instanceStats(c: InstanceCore): ZswapStats {
  const k = c.kernel;
  const debugfs = zswapDebugfsForProfile(k);
  const storedBytes = c.z.stats.stored_pages * PAGE_SIZE;
  const compressedBytes = c.z.compressedBytes;
  const poolBytes = zswapTotalPages(k) * PAGE_SIZE;
  const ram = memory(k).totalramPages;
  const limitPages = Math.floor((ram * c.z.params.max_pool_percent) / 100);
  return {
    debugfs,
    vmstat: { ...swapState(k).events },
    derived: {
      storedBytes,
      compressedBytes,
      compressionRatio: compressedBytes > 0 ? storedBytes / compressedBytes : 0,
      poolEfficiency: poolBytes > 0 ? compressedBytes / poolBytes : 0,
      poolLimitBytes: limitPages * PAGE_SIZE,
      acceptThresholdBytes:
        Math.floor((limitPages * c.z.params.accept_threshold_percent) / 100) * PAGE_SIZE,
    },
    swapFile: swapFileStats(c),
    cpusOnline: [...c.online],
    params: { ...c.z.params },
    faults: faultCounts(k),
    memcg: c.memcg === null ? null : memcgStats(c.memcg),
  };
}

function swapFileStats(c: InstanceCore): SwapFileStats {
  const swap = c.swap;
  return {
    path: swap.file.path,
    temporary: swap.file.temporary,
    nrSlots: c.dev.nrSlots,
    slotsInUse: c.dev.nrSlots - c.dev.nrFree,
    writeErrors: swap.writeErrors,
    readErrors: swap.readErrors,
    shortReads: swap.file.check.shortReads,
    vanishedReads: swap.file.check.vanishedReads,
    checksums: swap.file.check.checksums,
    checksumErrors: swap.file.check.checksumErrors,
    lastWriteError: swap.lastWriteErrno === 0 ? null : errnoName(swap.lastWriteErrno),
  };
}

/** ZswapInstance.memcgRead. */
export function instanceMemcgRead(c: InstanceCore, file: string): string {
  return readMemcgFile(ownMemcg(c, file), file);
}

/** ZswapInstance.memcgWrite. */
export function instanceMemcgWrite(c: InstanceCore, file: string, value: string): void {
  c.checkOpen();
  writeMemcgFile(ownMemcg(c, file), file, value);
}

function ownMemcg(c: InstanceCore, file: string): Memcg {
  if (c.memcg !== null) return c.memcg;
  throw new ZswapError(
    "ENOENT",
    `No ${file}: pages belong to the root cgroup, which has no memory.zswap files; pass memcgMaxBytes, memcgZswapMaxBytes or memcgZswapWriteback`,
  );
}
