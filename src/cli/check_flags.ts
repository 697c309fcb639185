/**
 * `zswap-ts check`'s flags as given, checked into the checker's options, and the exit codes a
 * check earns. The defaults are the checker's (CHECK_DEFAULTS, src/check/defaults.ts).
 */
import type { CellResult, CheckOptions, StrategyName } from "../check/checker.ts";
import type { PointsLevel } from "../kernel/points.ts";
import { UsageError } from "./usage_error.ts";

export interface CheckFlags {
  design?: string;
  scenario?: string;
  matrix?: boolean;
  selftest?: boolean;
  list?: boolean;
  strategy: string;
  seed: string;
  executions: string;
  bound: string;
  dfsExecutions: string;
  por?: boolean;
  dpor?: boolean;
  stepsMax: string;
  shrink: boolean;
  lockdep: boolean;
  points: string;
  iaa?: boolean;
  claim?: string;
  json?: boolean;
  html?: string;
  traceJson?: string;
  wide?: boolean;
  designFile?: string;
  loadTimeout: string;
  jobs: string;
  shard?: string;
  shardFile?: string;
}

/** A numeric option: decimal digits only (no sign, exponent, fraction, hex or blank). */
export function int(name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `Invalid --${name}: expected a decimal integer from ${min} to ${max}, got '${v}'`,
    );
  }
  return n;
}

/** Exit codes: 0 verified, 1 bug, 2 usage (main.ts), 3 inconclusive. */
export const EXIT_INCONCLUSIVE = 3;

export function exitCode(results: readonly CellResult[]): number {
  if (results.some((r) => r.verdict === "bug")) return 1;
  return results.some((r) => r.verdict === "inconclusive") ? EXIT_INCONCLUSIVE : 0;
}

export function options(f: CheckFlags, progress: CheckOptions["onProgress"]): CheckOptions {
  const strategy = f.strategy as StrategyName;
  return {
    strategy,
    seed: int("seed", f.seed, 0, 0xffff_ffff),
    executions: int("executions", f.executions, 1),
    bound: int("bound", f.bound, 0, 64),
    dfsExecutionsMax: int("dfs-executions", f.dfsExecutions, 1),
    ...(f.por !== undefined ? { por: f.por } : {}),
    ...(f.dpor === true ? { dpor: true } : {}),
    stepsMax: int("steps-max", f.stepsMax, 10),
    shrink: f.shrink,
    lockdep: f.lockdep,
    accelerator: f.iaa === true,
    points: f.points as PointsLevel,
    ...(f.claim !== undefined ? { claim: f.claim } : {}),
    clock: () => performance.now(),
    ...(progress ? { onProgress: progress } : {}),
  };
}

/** One line (or more) of the report on stdout. */
export function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}
