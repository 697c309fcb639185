/**
 * The soak's operation mix, and its end-of-run accounting check (the kernel's counters against
 * the faults injected). See soak_job.ts for the oracle.
 */
import {
  FOLIO_PAGES_MAX,
  realCompressorRegistry,
  type ZswapInstance,
  type ZswapStats,
} from "../real/index.ts";
import type { Rng } from "../util/rng.ts";
import type { Profile } from "../zswap/params.ts";

export const OP_KINDS = [
  "store",
  "store_folio",
  "load",
  "free",
  "shrink",
  "flush",
  "hotplug",
  "compressor",
  "pool_limit",
  "enabled",
] as const;

export type OpKind = (typeof OP_KINDS)[number];

/** What the operations drive: the running soak (soak_job.ts's Soak). */
export interface Soak {
  readonly z: ZswapInstance;
  readonly rng: Rng;
  readonly config: { readonly livePagesMax: number };
  /** The pages (single pages or folios) swapped out and not yet loaded or freed. */
  readonly live: readonly unknown[];
  livePages(): number;
  store(nr: number): Promise<void>;
  load(i: number): Promise<void>;
  free(i: number): void;
}

/**
 * Weights per thousand. The library exposes no memcg, so the limit changes are the global pool
 * limit's (max_pool_percent, accept_threshold_percent), and `enabled` goes off now and then.
 */
const WEIGHTS: Readonly<Record<OpKind, number>> = {
  store: 340,
  store_folio: 30,
  load: 340,
  free: 200,
  shrink: 50,
  flush: 10,
  hotplug: 12,
  compressor: 6,
  pool_limit: 8,
  enabled: 4,
};

const WEIGHT_TOTAL = OP_KINDS.reduce((n, k) => n + WEIGHTS[k], 0);

/** Picks an operation by weight and runs it; returns what it ran. */
export async function pickOp(soak: Soak): Promise<OpKind> {
  let w = soak.rng.below(WEIGHT_TOTAL);
  let kind: OpKind = "store";
  for (const k of OP_KINDS) {
    if (w < WEIGHTS[k]) {
      kind = k;
      break;
    }
    w -= WEIGHTS[k];
  }
  return await runOp(soak, kind);
}

async function runOp(soak: Soak, kind: OpKind): Promise<OpKind> {
  const { z, rng } = soak;
  switch (kind) {
    case "store":
    case "store_folio": {
      // A folio of 2..16 pages, now and then a PMD-sized one (512).
      let nr = kind === "store" ? 1 : rng.chance(0.02) ? FOLIO_PAGES_MAX : 2 << rng.below(4);
      if (soak.livePages() + nr > soak.config.livePagesMax) {
        // Full: make room instead (or, with nothing out, store a single page).
        if (soak.live.length > 0) return await runOp(soak, rng.chance(0.5) ? "load" : "free");
        nr = 1;
      }
      await soak.store(nr);
      return kind;
    }
    case "load":
    case "free":
      if (soak.live.length === 0) return await runOp(soak, "store");
      if (kind === "load") await soak.load(rng.below(soak.live.length));
      else soak.free(rng.below(soak.live.length));
      return kind;
    case "shrink":
      await z.shrink(1 + rng.below(8));
      return kind;
    case "flush":
      await z.flush();
      return kind;
    case "hotplug":
      await hotplug(soak);
      return kind;
    case "compressor": {
      const names = realCompressorRegistry().names();
      await z.setParam("compressor", names[rng.below(names.length)] as string);
      return kind;
    }
    case "pool_limit":
      if (rng.chance(0.5)) await z.setParam("max_pool_percent", 5 + rng.below(36));
      else await z.setParam("accept_threshold_percent", 50 + rng.below(51));
      return kind;
    case "enabled":
      await z.setParam("enabled", rng.chance(0.7));
      return kind;
  }
}

/** Takes a random CPU other than 0 offline, or brings an offline one back. */
async function hotplug(soak: Soak): Promise<void> {
  const { z, rng } = soak;
  if (z.cpus < 2) return;
  const online = z.stats().cpusOnline;
  const cpu = 1 + rng.below(z.cpus - 1);
  if (online.includes(cpu)) await z.cpuOffline(cpu);
  else await z.cpuOnline(cpu);
}

/**
 * The kernel's counters against the faults injected, after the final drain: each injected
 * kmalloc, zs_malloc and decompress fault must appear in its counter (and nothing else there),
 * compress faults in reject_compress_fail (6.12) or nowhere (7.3 stores the page as it is),
 * and zswap and the swap file must be empty.
 */
export function checkAccounting(s: ZswapStats, profile: Profile): string[] {
  const d = s.debugfs;
  const f = s.faults;
  const errors: string[] = [];
  const expect = (name: string, got: number | undefined, want: number) => {
    if (got !== undefined && got !== want) errors.push(`${name} is ${got}, expected ${want}`);
  };
  expect("reject_kmemcache_fail", d.reject_kmemcache_fail, f.kmalloc);
  expect("reject_alloc_fail", d.reject_alloc_fail, f.zs_malloc);
  expect("decompress_fail", d.decompress_fail, f.decompress);
  if (profile !== "6.12") expect("reject_compress_fail", d.reject_compress_fail, 0);
  else if ((d.reject_compress_fail ?? 0) < f.compress)
    errors.push(`reject_compress_fail is ${d.reject_compress_fail}, below ${f.compress} faults`);
  expect("stored_pages at the end", d.stored_pages, 0);
  expect("swap slots in use at the end", s.swapFile.slotsInUse, 0);
  expect("written_back_pages", d.written_back_pages, s.vmstat.zswpwb);
  return errors;
}
