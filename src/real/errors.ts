/**
 * The library's errors, and the one mapping from what the kernel returns (a negative errno, a
 * KernelBug report, an operation that would block) to a ZswapError. Callers decide on `code`
 * and `errno`, never on message text.
 */
import { constants } from "node:os";
import { getSystemErrorName } from "node:util";
import { KernelBug } from "../kernel/report.ts";
import type { WouldBlockError } from "./would_block.ts";

/**
 * A library call failed. `code` is an errno name: EINVAL (bad input), ENOSPC (swap file full
 * or no free slot), EIO (a read or decompression failed), EBUSY (the last online CPU),
 * ESHUTDOWN (closed), EBUG (a kernel bug report: the message is its title, `cause` the report).
 * `errno` is the positive errno of `code` (null for EBUG, which has none).
 */
export class ZswapError extends Error {
  override name = "ZswapError";
  readonly errno: number | null;
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown; errno?: number },
  ) {
    super(message, options);
    this.errno = options?.errno ?? errnoOf(code);
  }
}

/**
 * A *Sync call met a lock held by an asynchronous operation still in flight (writeback, or an
 * un-awaited swapOut): it goes on asynchronously, and `pending` settles with its result.
 * `cause` is the executor's WouldBlockError: which operation, and what it waits for.
 */
export class ZswapWouldBlockError<T> extends ZswapError {
  override name = "ZswapWouldBlockError";
  constructor(
    message: string,
    readonly pending: Promise<T>,
    options?: { cause?: WouldBlockError },
  ) {
    super("EWOULDBLOCK", message, options);
  }
}

/**
 * The cause of a ZswapError from a swap file write or read that failed (not a full swap file,
 * not a decompression): which, and its errno. Callers tell a full disk from a full swap file
 * by it (both are ENOSPC).
 */
export class SwapFileIoError extends Error {
  override name = "SwapFileIoError";
  constructor(
    readonly op: "read" | "write",
    /** Positive errno. */
    readonly errno: number,
    /** Only injected faults (swap_write) failed, no real write. */
    readonly injected = false,
  ) {
    super(`swap file ${op} failed: ${describeErrno(errno)}`);
  }
}

const ERRNOS: Readonly<Record<string, number>> = constants.errno;

function errnoOf(code: string): number | null {
  return ERRNOS[code] ?? null;
}

/** "ENOSPC" for 28 (or -28). */
export function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-Math.abs(errno));
  } catch {
    return `errno ${errno}`;
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EIO: "input/output error",
  EFBIG: "file too large",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EDQUOT: "disk quota exceeded",
  ENOMEM: "out of memory",
  EINVAL: "invalid argument",
};

/** "ENOSPC: no space left on device" for 28. */
export function describeErrno(errno: number): string {
  const name = errnoName(errno);
  const text = ERRNO_TEXT[name];
  return text === undefined ? name : `${name}: ${text}`;
}

/** A ZswapError for anything a library call throws (KernelBug reports become EBUG). */
export function asZswapError(e: unknown, what: string): unknown {
  if (e instanceof ZswapError) return e;
  if (e instanceof KernelBug)
    return new ZswapError("EBUG", `Cannot ${what}: kernel bug: ${e.title}`, { cause: e });
  return e;
}

export function closedError(): ZswapError {
  return new ZswapError("ESHUTDOWN", "Cannot use zswap: the instance is closed");
}

/** What a *Sync call throws when its operation would block; `pending` gives its outcome. */
export function wouldBlockError<T>(
  call: string,
  e: WouldBlockError,
  pending: Promise<T>,
): ZswapWouldBlockError<T> {
  const what =
    e.effect === "io"
      ? `does asynchronous I/O (${e.label})`
      : `blocks (${e.label}, contended by another in-flight operation)`;
  return new ZswapWouldBlockError(
    `${call}: operation '${e.operation}' on CPU ${e.cpu} ${what}; it goes on asynchronously: await the error's pending promise, or use the async call`,
    pending,
    { cause: e },
  );
}

// ---------------------------------------------------------------------------------------------
// A swap-out or swap-in that returned a negative errno
// ---------------------------------------------------------------------------------------------

/** What the instance knows about a failed swap-out besides its errno. */
export interface SwapOutFailure {
  readonly path: string;
  readonly nrPages: number;
  readonly nrSlots: number;
  readonly nrFree: number;
  /** A swap file write failed during the call; `injected`: only injected faults did. */
  readonly writeFailed: boolean;
  readonly injected: boolean;
}

/** swap_writeout()'s (or slot allocation's) negative errno `ret`, as the caller's error. */
export function swapOutError(ret: number, f: SwapOutFailure): ZswapError {
  const errno = -ret;
  if (f.writeFailed) {
    const injected = f.injected ? ", an injected fault (swap_write)" : "";
    return new ZswapError(
      errnoName(errno),
      `Cannot swap out: writing swap file ${f.path} failed (${describeErrno(errno)}${injected}); the page was not swapped out`,
      { errno, cause: new SwapFileIoError("write", errno, f.injected) },
    );
  }
  if (errno === constants.errno.ENOSPC) {
    const what = f.nrPages === 1 ? "free slot" : `${f.nrPages} free contiguous slots`;
    return new ZswapError(
      "ENOSPC",
      `Cannot swap out: no ${what} in swap file ${f.path} (${f.nrSlots} slots, ${f.nrFree} free); swap pages in, free slots, or use a bigger swapSizeBytes`,
      { errno },
    );
  }
  if (errno === constants.errno.EAGAIN) {
    // swap_writeout()'s AOP_WRITEPAGE_ACTIVATE: the folio is redirtied and stays in memory.
    return new ZswapError(
      "EAGAIN",
      "Cannot swap out: zswap refused the page and memory.zswap.writeback is 0, which keeps it off the swap file; the page was not swapped out",
      { errno },
    );
  }
  return new ZswapError(
    errnoName(errno),
    `Cannot swap out: swap_writeout returned ${describeErrno(errno)}`,
    { errno },
  );
}

/** What the instance knows about a failed swap-in of one page besides its errno. */
export interface SwapInFailure {
  readonly slot: number;
  readonly path: string;
  /** Why the swap file's own check refused the slot (slot_check.ts), or null. */
  readonly readProblem: string | null;
  /** decompress_fail went up during the call: its value now, else null. */
  readonly decompressFail: number | null;
}

/** do_swap_page()'s negative errno `ret` for one page: always EIO for the caller (SIGBUS). */
export function swapInError(ret: number, f: SwapInFailure): ZswapError {
  const where = `slot ${f.slot}`;
  const errno = -ret;
  if (errno === constants.errno.ENOENT)
    return new ZswapError("EIO", `Cannot swap in ${where}: the slot is not in use (a lost page)`);
  if (errno === constants.errno.EIO && f.readProblem === null && f.decompressFail !== null) {
    return new ZswapError(
      "EIO",
      `Cannot swap in ${where}: decompression failed (decompress_fail ${f.decompressFail})`,
    );
  }
  const why = f.readProblem === null ? "" : `: ${f.readProblem}`;
  return new ZswapError(
    "EIO",
    `Cannot swap in ${where}: reading swap file ${f.path} failed (${describeErrno(errno)}${why})`,
    { cause: new SwapFileIoError("read", errno) },
  );
}
