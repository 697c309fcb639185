/**
 * A design file that does not finish loading (a top-level loop, or an await that never
 * settles) must be an error, not a hang. JavaScript cannot interrupt a busy module in its own
 * thread, so the file is first loaded in a worker thread, which is terminated after the time
 * limit; only a file that loaded there is imported by the CLI (its top-level code runs twice).
 * A file that fails to load in the worker is left to the CLI's import to report in one line.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { UsageError } from "./usage_error.ts";

export const LOAD_TIMEOUT_MS = 10_000;

// CommonJS (an eval worker's module type). It resolves `zswap-ts/design` as the CLI does (ESM
// hook and CommonJS alias, see design_file.ts), then imports the file through tsx.
const PROBE = `
const { workerData, parentPort } = require("node:worker_threads");
const Module = require("node:module");
const hook = "export async function resolve(s, c, next) { return s === 'zswap-ts/design' ? { url: "
  + JSON.stringify(workerData.api) + ", shortCircuit: true } : next(s, c); }";
Module.register("data:text/javascript," + encodeURIComponent(hook));
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = (r, ...rest) => r === "zswap-ts/design" ? workerData.apiPath : resolveFilename(r, ...rest);
import(workerData.tsx)
  .then((api) => api.tsImport(workerData.url, workerData.parent))
  .then(() => parentPort.postMessage("loaded"), () => parentPort.postMessage("failed"));
`;

/** Loads `url` in a worker; rejects with a UsageError if it takes longer than `timeoutMs`. */
export function probeLoad(
  path: string,
  url: string,
  designApiUrl: string,
  timeoutMs = LOAD_TIMEOUT_MS,
): Promise<void> {
  const worker = new Worker(PROBE, {
    eval: true,
    workerData: {
      tsx: import.meta.resolve("tsx/esm/api"),
      url,
      parent: import.meta.url,
      api: designApiUrl,
      apiPath: fileURLToPath(designApiUrl),
    },
    stdout: true,
    stderr: true,
  });
  return new Promise<void>((done, fail) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      fail(
        new UsageError(
          `Cannot load design file ${path}: it did not finish loading within ${timeoutMs / 1000} s`,
        ),
      );
    }, timeoutMs);
    const settle = () => {
      clearTimeout(timer);
      void worker.terminate();
      done();
    };
    worker.once("message", settle);
    worker.once("error", settle);
  });
}
