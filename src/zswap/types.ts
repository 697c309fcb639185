/**
 * zswap's data structures (mm/zswap.c): the per-CPU compression context, the pool and the
 * entry, with their locking rules written on the fields.
 */
import type { Req, Tfm } from "../crypto/acomp.ts";
import type { KObj } from "../kernel/memory.ts";
import type { Mutex } from "../kernel/mutex.ts";
import type { Percpu } from "../kernel/percpu.ts";
import type { PercpuRef } from "../kernel/percpu_ref.ts";
import type { Work } from "../kernel/workqueue.ts";
import type { ZsPool } from "../zsmalloc/pool.ts";

/** An ERR_PTR value stored where a pointer is expected (acomp may hold one after a failed alloc). */
export interface ErrPtr {
  readonly err: number;
}

export function isErr(p: unknown): p is ErrPtr {
  return typeof p === "object" && p !== null && "err" in p;
}

/**
 * struct crypto_acomp_ctx: one per (pool, possible CPU), in the pool's per-CPU area.
 * `mutex` serializes every use of req and buffer; a task may keep using a ctx after migrating.
 */
export interface AcompCtx {
  readonly cpu: number;
  acomp: Tfm | ErrPtr | null;
  req: Req | null;
  /** PAGE_SIZE bounce buffer (two pages in the designs before the raw-store change). */
  buffer: KObj<Uint8Array> | null;
  /** Batching (v14): compr_batch_size dst buffers; buffers[0] is `buffer`. */
  buffers?: KObj<Uint8Array>[];
  mutex: Mutex;
  /** D5 only: `__online`. */
  online: boolean;
  /** D5 only: `nr_reqs`. */
  nrReqs: number;
}

/** struct zswap_pool. */
export interface ZswapPool {
  readonly name: string;
  readonly tfmName: string;
  readonly zsPool: ZsPool;
  acompCtx: Percpu<AcompCtx> | null;
  /** percpu_ref: the initial reference is "being the current pool"; each entry holds one. */
  ref: PercpuRef | null;
  /** Registered as a cpuhp instance (hlist node). */
  readonly node: { pool: PoolObj | null };
  releaseWork: Work | null;
  /** On zswap_pools (modified under zswap_pools_lock, read under RCU). */
  onList: boolean;
}

export type PoolObj = KObj<ZswapPool>;

/**
 * struct zswap_entry lives in the entry table (entry_table.ts), a struct of arrays; an entry is
 * an EntryRef there. Owned by the tree (xarray) while in it; whoever erases it frees it. The
 * shrinker may touch it only under the list_lru lock, or after revalidation under the
 * swapcache folio lock.
 */
export type { EntryRef } from "./entry_table.ts";
