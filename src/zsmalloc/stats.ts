/**
 * Pool statistics: the per-class table of /sys/kernel/debug/zsmalloc/<pool>/classes
 * (zs_stats_size_show(), CONFIG_ZSMALLOC_STAT) and zs_pool_stats().
 *
 * @example
 * zsStatsText(pool);
 * //  class  size       10%       20% ...      100% obj_allocated   obj_used pages_used pages_per_zspage freeable
 * //      0    32         0         0 ...         0             0          0          0                1        0
 */
import { zsCanCompact } from "./compact.ts";
import {
  NR_CLASS_STAT_TYPES,
  NR_FULLNESS_GROUPS,
  ZS_INUSE_RATIO_10,
  ZS_OBJS_ALLOCATED,
  ZS_OBJS_INUSE,
  type ZsPool,
} from "./pool.ts";

/** One row of the classes table (kernel column names). */
export interface ZsClassStats {
  readonly class: number;
  readonly size: number;
  /** Zspages per fullness group: index 0 is 10%, ..., 9 is 99%, 10 is 100%. */
  readonly inuseRatio: readonly number[];
  readonly obj_allocated: number;
  readonly obj_used: number;
  readonly pages_used: number;
  readonly pages_per_zspage: number;
  readonly objs_per_zspage: number;
  readonly freeable: number;
  /** objs_per_zspage == 1 && pages_per_zspage == 1. */
  readonly huge: boolean;
}

export interface ZsTotals {
  readonly inuseRatio: readonly number[];
  readonly obj_allocated: number;
  readonly obj_used: number;
  readonly pages_used: number;
  readonly freeable: number;
}

/** zs_pool_stats() */
export interface ZsPoolStats {
  /** Pages freed by compaction over the pool's life. */
  readonly pages_compacted: number;
}

/** Every real (unmerged) class, ascending, as zs_stats_size_show() walks them. */
export function zsClassStats(pool: ZsPool): ZsClassStats[] {
  const t = pool.table;
  return t.classes.map((cls) => {
    const at = pool.rowOf(cls) * NR_CLASS_STAT_TYPES;
    const inuseRatio: number[] = [];
    for (let fg = ZS_INUSE_RATIO_10; fg < NR_FULLNESS_GROUPS; fg++)
      inuseRatio.push(pool.stats[at + fg]!);
    const objAllocated = pool.stats[at + ZS_OBJS_ALLOCATED]!;
    const opz = t.objsPerZspage[cls]!;
    const ppz = t.pagesPerZspage[cls]!;
    return {
      class: cls,
      size: t.size[cls]!,
      inuseRatio,
      obj_allocated: objAllocated,
      obj_used: pool.stats[at + ZS_OBJS_INUSE]!,
      pages_used: Math.floor(objAllocated / opz) * ppz,
      pages_per_zspage: ppz,
      objs_per_zspage: opz,
      freeable: zsCanCompact(pool, cls),
      huge: t.huge[cls] === 1,
    };
  });
}

export function zsTotals(rows: readonly ZsClassStats[]): ZsTotals {
  const inuseRatio = new Array<number>(NR_FULLNESS_GROUPS - ZS_INUSE_RATIO_10).fill(0);
  let objAllocated = 0;
  let objUsed = 0;
  let pagesUsed = 0;
  let freeable = 0;
  for (const r of rows) {
    r.inuseRatio.forEach((n, i) => {
      inuseRatio[i]! += n;
    });
    objAllocated += r.obj_allocated;
    objUsed += r.obj_used;
    pagesUsed += r.pages_used;
    freeable += r.freeable;
  }
  return {
    inuseRatio,
    obj_allocated: objAllocated,
    obj_used: objUsed,
    pages_used: pagesUsed,
    freeable,
  };
}

export function zsPoolStats(pool: ZsPool): ZsPoolStats {
  return { pages_compacted: pool.pagesCompacted };
}

const RATIO_HEADERS = [
  "10%",
  "20%",
  "30%",
  "40%",
  "50%",
  "60%",
  "70%",
  "80%",
  "90%",
  "99%",
  "100%",
];

/**
 * The classes file, byte for byte as zs_stats_size_show() prints it (v6.3+ layout).
 * With `objsPerZspage`, an objs_per_zspage column is added before freeable (not in the kernel).
 */
export function zsStatsText(pool: ZsPool, options: { objsPerZspage?: boolean } = {}): string {
  const extra = options.objsPerZspage === true;
  const rows = zsClassStats(pool);
  const lines: string[] = [];
  let head = ` ${pad("class", 5)} ${pad("size", 5)} ${RATIO_HEADERS.map((h) => pad(h, 9)).join(" ")}`;
  head += ` ${pad("obj_allocated", 13)} ${pad("obj_used", 10)} ${pad("pages_used", 10)} ${pad("pages_per_zspage", 16)}`;
  lines.push(`${head}${extra ? ` ${pad("objs_per_zspage", 15)}` : ""} ${pad("freeable", 8)}`);
  for (const r of rows) {
    let line = ` ${pad(r.class, 5)} ${pad(r.size, 5)} ${r.inuseRatio.map((n) => `${pad(n, 9)} `).join("")}`;
    line += `${pad(r.obj_allocated, 13)} ${pad(r.obj_used, 10)} ${pad(r.pages_used, 10)} ${pad(r.pages_per_zspage, 16)}`;
    lines.push(`${line}${extra ? ` ${pad(r.objs_per_zspage, 15)}` : ""} ${pad(r.freeable, 8)}`);
  }
  const tot = zsTotals(rows);
  lines.push("");
  let total = ` ${pad("Total", 5)} ${pad("", 5)} ${tot.inuseRatio.map((n) => `${pad(n, 9)} `).join("")}`;
  total += `${pad(tot.obj_allocated, 13)} ${pad(tot.obj_used, 10)} ${pad(tot.pages_used, 10)} ${pad("", 16)}`;
  lines.push(`${total}${extra ? ` ${pad("", 15)}` : ""} ${pad(tot.freeable, 8)}`);
  return `${lines.join("\n")}\n`;
}

/** printf("%<width>s") / ("%<width>lu"): right-aligned, never truncated. */
function pad(v: string | number, width: number): string {
  return String(v).padStart(width);
}
