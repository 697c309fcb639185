/**
 * Replaying a token, including composite tokens ("t1+t2+...+tn"): a circular-locking report can
 * rest on lock-order edges that earlier executions added to the shared lockdep graph, so its
 * token lists those executions first. They are replayed in order on one graph; each must end
 * without a bug, and the last must reproduce the report.
 */
import { Kernel } from "../kernel/kernel.ts";
import { LockdepGraph } from "../kernel/lockdep.ts";
import { type ExecutionResult, type ExecutorOptions, SimExecutor } from "./executor.ts";
import type { Program } from "./explore.ts";
import { ReplayDivergedError, ReplayStrategy } from "./strategy_replay.ts";
import type { Trace } from "./trace.ts";

export function replayComposite(
  program: Program,
  token: string,
  options: ExecutorOptions = {},
): ExecutionResult {
  const parts = token.split("+");
  const lockdep = new LockdepGraph();
  let last: ExecutionResult | null = null;
  const earlier: Trace[] = [];
  for (const [i, part] of parts.entries()) {
    const strategy = new ReplayStrategy(part);
    const k = new Kernel({ ...program.config, lockdep });
    lockdep.execution = i;
    program.setup(k);
    const isLast = i === parts.length - 1;
    last = new SimExecutor(k, strategy, options).run();
    if (!isLast && last.trace !== null) earlier.push(last.trace);
    if (!isLast && last.outcome === "bug") {
      throw new ReplayDivergedError(
        `Replay diverged: part ${i + 1} of ${parts.length} of the token ended with a bug (${last.message}), but it did not when recorded`,
      );
    }
    strategy.finish();
  }
  return earlier.length > 0 ? { ...(last as ExecutionResult), earlier } : (last as ExecutionResult);
}
