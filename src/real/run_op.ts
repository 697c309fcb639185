/**
 * The library's one way to run a kernel operation: synchronously, without a promise, when it
 * never blocks (the hot path: one call per page); when it would block, the operation goes on
 * asynchronously and the caller gets a Pending to await (async calls) or to hand back in a
 * ZswapWouldBlockError (*Sync calls). What the operation throws becomes a ZswapError.
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { OpCall } from "../kernel/site.ts";
import { asZswapError } from "./errors.ts";
import type { RealExecutor, RunSyncOptions } from "./executor.ts";
import { WouldBlockError } from "./would_block.ts";

const SYNC_IO: RunSyncOptions = { syncIo: true };
const ASYNC_IO: RunSyncOptions = { syncIo: false };

/** An operation that would have blocked: it goes on, and `promise` settles with its result. */
export class Pending<T> {
  constructor(
    readonly promise: Promise<T>,
    /** What it met (operation, CPU, effect), for a ZswapWouldBlockError's message and cause. */
    readonly blocked: WouldBlockError,
  ) {}
}

/**
 * Runs `op` as operation `name` on `cpu`. `syncIo`: answer I/O with synchronous pread/pwrite
 * (*Sync calls) rather than handing the operation over. Errors, thrown or (for a Pending)
 * rejected, are mapped by asZswapError with `what` ("swap out").
 */
export function runOp<T>(
  ex: RealExecutor,
  name: string,
  cpu: number,
  op: Op<T>,
  syncIo: boolean,
  what: string,
): T | Pending<T> {
  return runOpCall(ex, name, cpu, opItself, op, undefined, undefined, undefined, syncIo, what);
}

/**
 * runOp of the operation `start(k, a, b, c, d)` returns, called on the operation's task
 * (RealExecutor.runSyncCall): for the hot paths, whose operations are plain functions.
 */
export function runOpCall<T, A, B, C, D>(
  ex: RealExecutor,
  name: string,
  cpu: number,
  start: OpCall<T, A, B, C, D>,
  a: A,
  b: B,
  c: C,
  d: D,
  syncIo: boolean,
  what: string,
): T | Pending<T> {
  try {
    return ex.runSyncCall(name, cpu, start, a, b, c, d, syncIo ? SYNC_IO : ASYNC_IO);
  } catch (e) {
    if (!(e instanceof WouldBlockError)) throw asZswapError(e, what);
    const promise = (e.pending as Promise<T>).catch((e2: unknown) => {
      throw asZswapError(e2, what);
    });
    return new Pending(promise, e);
  }
}

function opItself<T>(_k: Kernel, op: Op<T>): Op<T> {
  return op;
}
