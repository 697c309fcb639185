/**
 * zswap's calls into zsmalloc, in one place (the kernel calls zs_* directly since the zpool
 * layer was removed; these wrappers only keep zswap's files independent of our allocator's
 * module layout).
 */

import { zsObjRead, zsObjReadBegin, zsObjWrite } from "../zsmalloc/obj_rw.ts";
import type { ZsPool } from "../zsmalloc/pool.ts";
import {
  zsCreatePool,
  zsDestroyPool,
  zsFree,
  zsGetTotalPages,
  zsMalloc,
} from "../zsmalloc/zsmalloc.ts";

export type { ZsPool };

export function zsCreate(name: string, chainSize: number): ZsPool {
  return zsCreatePool(name, { chainSize });
}

/** zs_malloc(): a handle, or a negative errno (-ENOSPC for sizes above the biggest class). */
export function zsAlloc(pool: ZsPool, size: number): number {
  return zsMalloc(pool, size);
}

export function zsWrite(pool: ZsPool, handle: number, src: Uint8Array, len: number): void {
  zsObjWrite(pool, handle, src, len);
}

export function zsRead(pool: ZsPool, handle: number, dst: Uint8Array): number {
  return zsObjRead(pool, handle, dst);
}

/** zs_obj_read_begin(): a view of the object, or a copy in `bounce` when it spans two pages. */
export function zsReadBegin(pool: ZsPool, handle: number, bounce: Uint8Array): Uint8Array {
  return zsObjReadBegin(pool, handle, bounce);
}

export function zsFreeObj(pool: ZsPool, handle: number): void {
  zsFree(pool, handle);
}

export function zsTotalPages(pool: ZsPool): number {
  return zsGetTotalPages(pool);
}

export function zsDestroy(pool: ZsPool): void {
  zsDestroyPool(pool);
}
