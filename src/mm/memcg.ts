/**
 * Memory cgroups, as far as zswap sees them: a root and children, each with the cgroup v2 knobs
 * memory.zswap.max and memory.zswap.writeback, and the zswap bytes charged to it.
 *
 * Simplified: no hierarchy limits beyond the parent walk, no objcg indirection (entries point
 * at their memcg directly), no NUMA nodes.
 */
import type { Kernel } from "../kernel/kernel.ts";

/** memory.stat's zswap events. */
export interface MemcgZswapEvents {
  zswpin: number;
  zswpout: number;
  zswpwb: number;
}

export class Memcg {
  /** memory.zswap.max in bytes (Infinity = "max"). */
  zswapMax = Number.POSITIVE_INFINITY;
  /** memory.max in bytes: recorded for reports; no resident set is modelled to enforce it. */
  memoryMax = Number.POSITIVE_INFINITY;
  /** memory.zswap.writeback. */
  zswapWriteback = true;
  /** Compressed bytes charged (MEMCG_ZSWAP_B). */
  zswapBytes = 0;
  /** Entries charged (MEMCG_ZSWAPPED). */
  zswapped = 0;
  /**
   * The memcg events zswap counts (count_objcg_events()), as memory.stat shows them: this
   * cgroup's and its descendants' (the kernel's rstat totals are hierarchical).
   */
  readonly events: MemcgZswapEvents = { zswpin: 0, zswpout: 0, zswpwb: 0 };
  online = true;
  /** Per-lruvec disk swap-in count that feeds back into the shrinker (nr_disk_swapins). */
  nrDiskSwapins = 0;
  readonly children: Memcg[] = [];

  constructor(
    readonly name: string,
    readonly parent: Memcg | null = null,
  ) {
    parent?.children.push(this);
  }

  /** obj_cgroup_may_zswap(): every ancestor must be under its memory.zswap.max. */
  mayZswap(): boolean {
    for (let m: Memcg | null = this; m !== null; m = m.parent) {
      if (m.zswapBytes >= m.zswapMax) return false;
    }
    return true;
  }

  /** mem_cgroup_zswap_writeback_enabled(): writeback is allowed if no ancestor disabled it. */
  writebackEnabled(): boolean {
    for (let m: Memcg | null = this; m !== null; m = m.parent) if (!m.zswapWriteback) return false;
    return true;
  }

  charge(bytes: number): void {
    for (let m: Memcg | null = this; m !== null; m = m.parent) {
      m.zswapBytes += bytes;
      m.zswapped++;
    }
  }

  /** count_objcg_events(): counted here and in every ancestor. */
  countEvent(event: keyof MemcgZswapEvents, n: number): void {
    for (let m: Memcg | null = this; m !== null; m = m.parent) m.events[event] += n;
  }

  uncharge(bytes: number): void {
    for (let m: Memcg | null = this; m !== null; m = m.parent) {
      m.zswapBytes -= bytes;
      m.zswapped--;
    }
  }

  /** Pre-order walk (mem_cgroup_iter order). */
  *walk(): Generator<Memcg> {
    yield this;
    for (const c of this.children) yield* c.walk();
  }
}

/** Called when a memcg goes offline (mem_cgroup_css_offline()); zswap registers its cleanup. */
export type MemcgOfflineHook = (k: Kernel, memcg: Memcg) => void;

function offlineHooks(k: Kernel): MemcgOfflineHook[] {
  return k.subsystem("memcg offline hooks", () => [] as MemcgOfflineHook[]);
}

export function registerMemcgOfflineHook(k: Kernel, hook: MemcgOfflineHook): void {
  offlineHooks(k).push(hook);
}

/**
 * The memcg goes offline (rmdir): it stays in the tree as a zombie while references remain, its
 * charges stay, but mem_cgroup_tryget_online() fails on it from now on.
 */
export function memcgOffline(k: Kernel, memcg: Memcg): void {
  if (memcg.parent === null) throw new RangeError("memcgOffline: the root memcg cannot go offline");
  memcg.online = false;
  for (const hook of offlineHooks(k)) hook(k, memcg);
}

/** mem_cgroup_iter(NULL, prev, NULL): the next memcg after `prev` in pre-order, or null at the end. */
export function memcgIter(root: Memcg, prev: Memcg | null): Memcg | null {
  const all = [...root.walk()];
  if (prev === null) return all[0] ?? null;
  return all[all.indexOf(prev) + 1] ?? null;
}
