/**
 * Shard result files: `check --shard i/N` writes one, `zswap-ts merge` reads N of them.
 *
 * A file holds what the merge needs to give the unsharded verdict, counterexample and coverage:
 * the hunt's state (every shard runs the same hunt), the shard's part of the exhaustive search
 * (src/check/split.ts), and everything that changes the search (design, scenario, bound, points
 * level, step bound, cap, seed, the zswap-ts version). A checksum over the rest of the file
 * refuses a truncated or edited file.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { type CheckOptions, porOf, type StrategyName } from "../check/checker.ts";
import { CHECK_DEFAULTS } from "../check/defaults.ts";
import type { PartResult } from "../check/split.ts";
import type { SearchJson } from "../check/split_cell.ts";
import type { PointsLevel } from "../kernel/points.ts";
import { cyrb53 } from "../sim/trace.ts";
import { UsageError } from "./usage_error.ts";
import { version } from "./version.ts";

export const SHARD_FORMAT = "zswap-ts-shard/1";

/** The options that decide what a check searches (all must agree across shards). */
export interface ShardSearch {
  readonly design: string;
  readonly claim: string | null;
  readonly scenario: string;
  readonly strategy: StrategyName;
  readonly seed: number;
  readonly executions: number;
  readonly bound: number;
  readonly dfsExecutionsMax: number;
  readonly stepsMax: number;
  readonly lockdep: boolean;
  readonly accelerator: boolean;
  readonly points: PointsLevel;
  /** Partial-order reduction in the exhaustive search. */
  readonly por: boolean;
}

export interface ShardBody {
  readonly format: string;
  readonly version: string;
  readonly search: ShardSearch;
  readonly shard: { readonly index: number; readonly count: number };
  readonly hunt: SearchJson;
  /** The shard's part of the exhaustive search; null when the hunt found a bug (none ran). */
  readonly part: PartResult | null;
}

export interface ShardFile extends ShardBody {
  readonly checksum: string;
}

export function searchOf(design: string, scenario: string, o: CheckOptions): ShardSearch {
  return {
    design,
    claim: o.claim ?? null,
    scenario,
    strategy: o.strategy ?? CHECK_DEFAULTS.strategy,
    seed: o.seed ?? CHECK_DEFAULTS.seed,
    executions: o.executions ?? CHECK_DEFAULTS.executions,
    bound: o.bound ?? CHECK_DEFAULTS.bound,
    dfsExecutionsMax: o.dfsExecutionsMax ?? CHECK_DEFAULTS.dfsExecutionsMax,
    stepsMax: o.stepsMax ?? CHECK_DEFAULTS.stepsMax,
    lockdep: o.lockdep ?? CHECK_DEFAULTS.lockdep,
    accelerator: o.accelerator ?? CHECK_DEFAULTS.accelerator,
    points: o.points ?? CHECK_DEFAULTS.points,
    por: porOf(o),
  };
}

export function optionsOf(s: ShardSearch): CheckOptions {
  return {
    strategy: s.strategy,
    seed: s.seed,
    executions: s.executions,
    bound: s.bound,
    dfsExecutionsMax: s.dfsExecutionsMax,
    stepsMax: s.stepsMax,
    lockdep: s.lockdep,
    accelerator: s.accelerator,
    points: s.points,
    por: s.por,
    ...(s.claim !== null ? { claim: s.claim } : {}),
  };
}

/** "i/N" with 0 <= i < N: the shard index and count. */
export function parseShard(v: string): { index: number; count: number } {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(v);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count)
    throw new UsageError(
      `Invalid --shard: expected i/N with N >= 1 and 0 <= i < N (e.g. 0/4), got '${v}'`,
    );
  return { index, count };
}

function checksum(body: ShardBody): string {
  return cyrb53(JSON.stringify(body));
}

export function makeShardBody(
  search: ShardSearch,
  shard: { index: number; count: number },
  hunt: SearchJson,
  part: PartResult | null,
): ShardBody {
  return { format: SHARD_FORMAT, version: version(), search, shard, hunt, part };
}

/** Writes through a temporary file and a rename: an interrupted write leaves no half a file. */
export function writeShardFile(path: string, body: ShardBody): void {
  const file: ShardFile = { ...body, checksum: checksum(body) };
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(file)}\n`);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`Cannot write the shard file ${path}: ${(e as Error).message}`);
  }
}

export function readShardFile(path: string): ShardFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`Cannot read the shard file ${path}: ${(e as Error).message}`);
  }
  let file: ShardFile;
  try {
    file = JSON.parse(text) as ShardFile;
  } catch {
    throw new UsageError(`${path} is not a shard file: not JSON (truncated?)`);
  }
  if (typeof file !== "object" || file === null || file.format !== SHARD_FORMAT)
    throw new UsageError(`${path} is not a shard file: expected format ${SHARD_FORMAT}`);
  const { checksum: sum, ...body } = file;
  if (sum !== checksum(body))
    throw new UsageError(`${path}: checksum mismatch, the file was changed or damaged`);
  return file;
}

/** The files must be the N shards of one search, each once. */
export function checkShardSet(paths: readonly string[], files: readonly ShardFile[]): void {
  const first = files[0] as ShardFile;
  const key = JSON.stringify(first.search);
  files.forEach((f, i) => {
    const where = `${paths[i]} and ${paths[0]}`;
    if (f.version !== first.version)
      throw new UsageError(
        `${where} come from different zswap-ts versions (${f.version}, ${first.version})`,
      );
    if (JSON.stringify(f.search) !== key) {
      const diff = (Object.keys(first.search) as (keyof ShardSearch)[]).filter(
        (k) => f.search[k] !== first.search[k],
      );
      throw new UsageError(`${where} are shards of different searches (${diff.join(", ")} differ)`);
    }
    if (f.shard.count !== first.shard.count)
      throw new UsageError(
        `${where} split the search differently (${f.shard.count} vs ${first.shard.count} shards)`,
      );
  });
  const count = first.shard.count;
  const seen = new Set(files.map((f) => f.shard.index));
  if (seen.size !== files.length) throw new UsageError("a shard is given twice");
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0)
    throw new UsageError(
      `missing shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")} of ${count}`,
    );
}
