/**
 * How a `run` ends, for `run` and `run --compare` alike: the hooks that tell an interrupt where
 * the run is, a kernel bug told apart from bad input, and the exit status a result earns.
 */

import { ZswapError } from "../real/zswap_instance.ts";
import type { RunHooks } from "./run_config.ts";
import type { RunResult } from "./run_result.ts";
import type { Interrupts } from "./signals.ts";
import { UsageError } from "./usage_error.ts";

/** Run hooks that tell `stop` where the run is and which temporary swap file to remove. */
export function interruptHooks(stop: Interrupts): RunHooks {
  return {
    onStatus: (s) => {
      stop.status = s;
    },
    onSwapFile: (path, temporary) => {
      if (temporary) stop.temps.add(path);
    },
  };
}

/**
 * Awaits a job; a ZswapError that is a kernel bug report is a broken invariant (printed, exit 1,
 * null returned); any other ZswapError is bad input (a UsageError, exit 2).
 */
export async function settleJob<T>(
  job: () => Promise<T>,
  writeErr: (text: string) => void,
): Promise<T | null> {
  try {
    return await job();
  } catch (e) {
    if (!(e instanceof ZswapError)) throw e;
    if (e.code !== "EBUG") throw new UsageError(e.message);
    writeErr(`zswap-ts: ${e.message}\n`);
    process.exitCode = 1;
    return null;
  }
}

/**
 * Exit status: 1 if a page came back different or could not be read back (one line each), 2
 * (one line) if the swap file's disk failed.
 */
export function finish(r: RunResult, writeErr: (text: string) => void): void {
  const v = r.verification;
  if (!v.ok) {
    const parts: string[] = [];
    if (v.mismatches > 0) {
      parts.push(
        `${v.mismatches} of ${v.pages} pages came back different (first: page ${v.firstMismatch})`,
      );
    }
    if (v.unreadable > 0) {
      parts.push(
        `${v.unreadable} of ${v.pages} pages could not be swapped in and are lost (first: ${v.firstUnreadable})`,
      );
    }
    writeErr(`zswap-ts: verification failed: ${parts.join("; ")}\n`);
    process.exitCode = 1;
    return;
  }
  const f = r.end.swapFile;
  if (f.writeErrors > 0) {
    throw new UsageError(
      `Swap file ${r.config.swapFile} failed ${f.writeErrors} page writes (${f.lastWriteError}): ` +
        `${r.afterSwapOut.debugfs.reject_reclaim_fail ?? 0} writebacks failed and kept their page in zswap (reject_reclaim_fail), ` +
        `${r.notSwappedOut} pages stayed in memory (and any written-back page whose write failed, redirtied in the swap cache); every page verified, none was lost`,
    );
  }
}
