/**
 * zswap's global state (the file-scope variables of mm/zswap.c), kept per kernel.
 */
import type { Kernel } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import { Mutex } from "../kernel/mutex.ts";
import { Spinlock } from "../kernel/spinlock.ts";
import type { Work } from "../kernel/workqueue.ts";
import { ListLru } from "../mm/list_lru.ts";
import { Memcg } from "../mm/memcg.ts";
import { SlotIdTable } from "../mm/slot_id_table.ts";
import { swapState } from "../mm/swap.ts";
import type { VmEvents } from "../mm/vmstat.ts";
import type { AcompCtxDesign } from "./acomp_ctx/design.ts";
import { ZswapEntryTable } from "./entry_table.ts";
import { defaultParams, type Profile, type ZswapParams } from "./params.ts";
import { newDebugfs, type ZswapDebugfs } from "./stats.ts";
import type { PoolObj } from "./types.ts";

/** Offsets a tree takes (swp_entry_t's offset field is wider; slots here are int32). */
const TREE_SLOTS_MAX = 2 ** 31 - 1;

export type InitState = "uninit" | "succeed" | "failed";

export interface ZswapOptions {
  readonly design: AcompCtxDesign;
  readonly profile?: Profile;
  readonly params?: Partial<ZswapParams>;
  /** zsmalloc chain size (CONFIG_ZSMALLOC_CHAIN_SIZE, default 8). */
  readonly zsChainSize?: number;
  /**
   * Boot as a kernel without CONFIG_ZSWAP_DEFAULT_ON (Debian's): with `enabled` off, zswap_init()
   * does nothing, and setup (the first pool) runs when `enabled` is first set.
   */
  readonly bootOff?: boolean;
}

export class ZswapState {
  readonly params: ZswapParams;
  readonly profile: Profile;
  readonly design: AcompCtxDesign;
  readonly zsChainSize: number;
  readonly bootOff: boolean;
  /** zswap_pools: the head is the current pool. Changed under poolsLock, read under RCU. */
  readonly pools: PoolObj[] = [];
  readonly poolsLock = new Spinlock("zswap_pools_lock", "zswap_pools_lock");
  poolsCount = 0;
  readonly initLock = new Mutex("zswap_init_lock", "zswap_init_lock");
  initState: InitState = "uninit";
  hasPool = false;
  /**
   * The zswap_entry cache: every entry's fields (entry_table.ts). With the kernel's memory
   * tracking on (the simulator, an instrumented library), each entry is a KObj as well.
   */
  readonly entries: ZswapEntryTable;
  /** zswap_trees: one xarray per swap type, indexed by offset, of entry refs. */
  readonly trees = new Map<number, SlotIdTable>();
  readonly lru: ListLru;
  readonly stats: ZswapDebugfs = newDebugfs();
  readonly events: VmEvents;
  poolReachedFull = false;
  /**
   * Model-only (no debugfs file): the bytes of every live entry (entry->length summed), what
   * memcg's zswap charge counts; root-cgroup entries have no objcg and charge no memcg.
   */
  compressedBytes = 0;
  /** Model-only (no debugfs file): find_get calls that skipped a pool whose ref was at zero. */
  findGetSkippedDying = 0;
  shrinkWork: Work | null = null;
  readonly shrinkLock = new Spinlock("zswap_shrink_lock", "zswap_shrink_lock");
  /** zswap_next_shrink: the memcg cursor of the global shrink worker. */
  nextShrink: Memcg | null = null;
  readonly rootMemcg = new Memcg("/");
  /** Live entries (stored_pages counts the same; kept to check it). */
  everEnabled = false;

  constructor(k: Kernel, o: ZswapOptions) {
    this.params = { ...defaultParams(), ...(o.params ?? {}) };
    this.profile = o.profile ?? "7.3";
    this.design = o.design;
    this.zsChainSize = o.zsChainSize ?? 8;
    this.bootOff = o.bootOff ?? false;
    this.events = swapState(k).events;
    this.entries = new ZswapEntryTable(memory(k).trackLive);
    this.lru = new ListLru(this.entries);
  }

  tree(type: number): SlotIdTable {
    let t = this.trees.get(type);
    if (t === undefined) this.trees.set(type, (t = new SlotIdTable(TREE_SLOTS_MAX)));
    return t;
  }
}

/**
 * The last kernel asked about and its state: zswap code looks its state up many times per page,
 * and almost always on the same kernel, so this saves a map lookup on every one.
 */
let lastKernel: Kernel | null = null;
let lastState: ZswapState | null = null;

export function zswapState(k: Kernel): ZswapState {
  k.fp?.sticky("zswap"); // coarse footprint: zswap's global state (src/kernel/access.ts)
  if (k === lastKernel) return lastState as ZswapState;
  const z = k.subsystems.get("zswap") as ZswapState | undefined;
  if (z === undefined) throw new Error("zswap is not set up on this kernel (call zswapInit first)");
  lastKernel = k;
  lastState = z;
  return z;
}

export function initZswapState(k: Kernel, o: ZswapOptions): ZswapState {
  const z = new ZswapState(k, o);
  k.subsystems.set("zswap", z);
  lastKernel = k;
  lastState = z;
  return z;
}
