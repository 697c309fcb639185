/**
 * Errors of the zsmalloc model.
 *
 * Operating outcomes are values: zsMalloc() returns a negative errno the way zs_malloc() returns
 * ERR_PTR(-errno), because its callers act on them (zswap counts -ENOSPC as
 * reject_compress_poor and any other failure as reject_alloc_fail). Misuse (a stale or forged
 * handle, a destroyed pool, a buffer too small, a non-integer size) throws ZsError.
 */
import { PAGE_SIZE } from "../kernel/page.ts";

/** -ENOMEM: no memory for a handle or a new zspage. */
export const ZS_ENOMEM = -12;
/** -EINVAL: zero-sized allocation. */
export const ZS_EINVAL = -22;
/** -ENOSPC: bigger than ZS_MAX_ALLOC_SIZE (PAGE_SIZE). */
export const ZS_ENOSPC = -28;

export type ZsErrno = typeof ZS_ENOMEM | typeof ZS_EINVAL | typeof ZS_ENOSPC;

/**
 * What a misuse is, for the simulator's report: an access through a freed handle or to a
 * destroyed pool reads freed memory in the kernel (KASAN's use-after-free); anything else
 * (a forged handle, a short buffer, a bad size) is a caller's bug of another kind.
 */
export type ZsMisuse = "use-after-free" | "misuse";

export class ZsError extends Error {
  override readonly name = "ZsError";

  constructor(
    message: string,
    readonly misuse: ZsMisuse = "misuse",
  ) {
    super(message);
  }
}

/** By shape as well as class (a design file may bring its own copy of this module). */
export function isZsError(e: unknown): e is ZsError {
  return e instanceof ZsError || (e instanceof Error && e.name === "ZsError" && "misuse" in e);
}

/** True when a zsMalloc() result is an errno rather than a handle (IS_ERR_VALUE()). */
export function isZsErrno(result: number): result is ZsErrno {
  return result < 0;
}

/**
 * The message for a failed zsMalloc(), e.g. "zsMalloc: expected size 1..4096, got 0".
 *
 * @example
 * const h = zsMalloc(pool, 5000);
 * if (isZsErrno(h)) log(zsMallocErrorMessage(h, 5000)); // ... expected size 1..4096, got 5000
 */
export function zsMallocErrorMessage(errno: number, size: number): string {
  switch (errno) {
    case ZS_EINVAL:
    case ZS_ENOSPC:
      return `zsMalloc: expected size 1..${PAGE_SIZE}, got ${size}`;
    case ZS_ENOMEM:
      return `zsMalloc: out of memory allocating ${size} bytes (no handle slot or zspage pages left)`;
    default:
      return `zsMalloc: unknown error ${errno} for size ${size}`;
  }
}
