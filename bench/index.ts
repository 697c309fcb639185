/**
 * `npm run bench [group...]`: runs the benchmark groups (all by default) and prints medians.
 * Benchmarks are measurements, not tests: nothing here fails on a slow machine.
 */
import { benchBatching } from "./batching.bench.ts";
import { benchCheck } from "./check.bench.ts";
import { benchCrypto } from "./crypto.bench.ts";
import { benchExecutor } from "./executor.bench.ts";
import { benchJobs } from "./jobs.bench.ts";
import { benchParallel } from "./parallel.bench.ts";
import { benchPoints } from "./points.bench.ts";
import { benchPor } from "./por.bench.ts";
import { benchRun } from "./run.bench.ts";
import { benchZsmalloc } from "./zsmalloc.bench.ts";

const groups: Record<string, () => Promise<void>> = {
  executor: benchExecutor,
  check: benchCheck,
  points: benchPoints,
  por: benchPor,
  jobs: benchJobs,
  zsmalloc: benchZsmalloc,
  crypto: benchCrypto,
  run: benchRun,
  batching: benchBatching,
  parallel: benchParallel,
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in groups)) {
    process.stderr.write(
      `bench: unknown group '${name}'; available: ${Object.keys(groups).join(", ")}\n`,
    );
    process.exit(2);
  }
}
for (const [name, fn] of Object.entries(groups)) {
  // The points, jobs and por groups run the matrix or large cells several times, parallel runs
  // the run job 40 times (minutes each): only when asked for by name.
  const slow = name === "points" || name === "jobs" || name === "parallel" || name === "por";
  if (wanted.length === 0 ? !slow : wanted.includes(name)) await fn();
}
