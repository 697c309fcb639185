/**
 * CPU worker handlers that fail, for the tests of multi-core mode's error path: the real codec
 * handler for the first jobs, then (FAIL_MODE in the job's worker) an op no algorithm has (the
 * handler reports ENOTRECOVERABLE with its message), or the worker thread exits.
 */
import { createHandler as createCodecHandler } from "./codec_engine.ts";
import type { EngineHandler } from "./ring.ts";

/** Jobs each worker runs well before it fails. */
export const GOOD_JOBS = 3;

export function createHandler(): EngineHandler {
  const inner = createCodecHandler();
  let n = 0;
  return {
    run(op, input, output, arg) {
      if (++n <= GOOD_JOBS) return inner.run(op, input, output, arg);
      if (process.env.ZSWAP_TEST_WORKER_FAIL === "exit") process.exit(7);
      return inner.run(0x7fff_fffc, input, output, arg);
    },
  };
}
