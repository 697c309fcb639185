/**
 * `check --shard i/N` and `zswap-ts merge FILES...`: one cell's exhaustive search split across
 * machines (or processes), on whatever runs jobs there (a Kubernetes Indexed Job, a Slurm job
 * array, GNU parallel: docs/checking.md). Each shard runs the hunt and part i of N of the
 * search (src/check/split.ts) and writes a result file (shard_file.ts); merge checks that the
 * files are the N shards of one search and gives the verdict, counterexample (shrunk) and
 * coverage that the unsharded check gives.
 *
 * @example
 * zswap-ts check -d D7 -s C4 --shard 0/2 --shard-file s0.json
 * zswap-ts check -d D7 -s C4 --shard 1/2 --shard-file s1.json
 * zswap-ts merge s0.json s1.json      # the same as zswap-ts check -d D7 -s C4 --jobs 1
 */
import { Command } from "commander";
import { designWithClaim } from "../check/check_token.ts";
import {
  beginCell,
  type CheckOptions,
  endCell,
  needsVerify,
  programOptions,
} from "../check/checker.ts";
import { scenarioProgram } from "../check/harness.ts";
import { scenarioById } from "../check/scenarios/index.ts";
import { explorePart, SplitError } from "../check/split.ts";
import {
  applyParts,
  cellProgram,
  partOptions,
  searchFromJson,
  searchToJson,
} from "../check/split_cell.ts";
import { UnknownNameError } from "../util/unknown_name_error.ts";
import { int } from "./check_flags.ts";
import { printCell } from "./check_output.ts";
import { loadDesignFile } from "./design_file.ts";
import {
  checkShardSet,
  makeShardBody,
  optionsOf,
  parseShard,
  readShardFile,
  searchOf,
  writeShardFile,
} from "./shard_file.ts";
import { UsageError } from "./usage_error.ts";

interface ShardFlags {
  design?: string;
  scenario?: string;
  matrix?: boolean;
  selftest?: boolean;
  list?: boolean;
  shard?: string;
  shardFile?: string;
  designFile?: string;
  loadTimeout: string;
  json?: boolean;
}

/** `check -d D -s S --shard i/N`: the hunt and part i of N, into a result file. */
export async function runShard(f: ShardFlags, o: CheckOptions): Promise<number> {
  const { index, count } = parseShard(f.shard as string);
  if (f.matrix || f.selftest || f.list)
    throw new UsageError("--shard goes with one cell (--design and --scenario)");
  let design = f.design;
  if (f.designFile !== undefined) {
    design = (
      await loadDesignFile(f.designFile, int("load-timeout", f.loadTimeout, 1, 3600) * 1000)
    ).name;
  }
  if (design === undefined || f.scenario === undefined)
    throw new UsageError("--shard needs --design and --scenario");
  if (o.strategy === "random" || o.strategy === "pct")
    throw new UsageError(`--shard splits the exhaustive search; --strategy ${o.strategy} has none`);
  const run = beginCell(design, f.scenario, o);
  if (!("s" in run))
    throw new UsageError(`${design} x ${f.scenario} is not applicable: nothing to shard`);
  const part = needsVerify(run)
    ? explorePart(cellProgram(run), index, count, partOptions(o))
    : null;
  const path = f.shardFile ?? `shard-${design}-${f.scenario}-${index}of${count}.json`;
  writeShardFile(
    path,
    makeShardBody(searchOf(design, f.scenario, o), { index, count }, searchToJson(run.s), part),
  );
  const ran = part?.results.reduce((n, r) => n + r.executions, 0) ?? 0;
  const line = `shard ${index}/${count} of ${design} x ${f.scenario}: ${part === null ? "the hunt found a bug, no search to split" : `${part.results.length} of ${part.units} units, ${ran} executions`}; written to ${path}`;
  process.stdout.write(
    f.json
      ? `${JSON.stringify({ shard: `${index}/${count}`, path, units: part?.units ?? 0, executions: ran })}\n`
      : `${line}\n`,
  );
  return 0;
}

interface MergeFlags {
  json?: boolean;
  html?: string;
  designFile?: string;
  loadTimeout: string;
}

async function merge(paths: readonly string[], f: MergeFlags): Promise<number> {
  if (f.designFile !== undefined)
    await loadDesignFile(f.designFile, int("load-timeout", f.loadTimeout, 1, 3600) * 1000);
  const files = paths.map(readShardFile);
  checkShardSet(paths, files);
  const first = files[0];
  if (first === undefined) throw new UsageError("merge needs the shard files");
  const o = { ...optionsOf(first.search), clock: () => performance.now() };
  const name =
    first.search.claim === null
      ? first.search.design
      : `${first.search.design}@${first.search.claim}`;
  let result: ReturnType<typeof endCell>;
  try {
    const program = scenarioProgram(
      designWithClaim(name),
      scenarioById(first.search.scenario),
      programOptions(o),
    );
    const run = beginCell(
      first.search.design,
      first.search.scenario,
      o,
      searchFromJson(first.hunt, program, o),
    );
    if (!("s" in run)) throw new UsageError("the shards' cell is not applicable");
    let verified = run;
    if (needsVerify(run)) {
      const parts = files.map((x) => x.part);
      if (parts.some((p) => p === null))
        throw new UsageError("a shard file carries no search part although the hunt found no bug");
      verified = applyParts(run, parts as NonNullable<(typeof parts)[number]>[]);
    }
    result = endCell(verified);
  } catch (e) {
    // Before RangeError, which UnknownNameError is: the advice is the point of this branch.
    if (e instanceof UnknownNameError)
      throw new UsageError(`${e.message} (a design from a file needs --design-file)`);
    if (e instanceof SplitError || e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  return printCell(f, result, o);
}

export function mergeCommand(): Command {
  return new Command("merge")
    .description(
      "Combine the result files of 'check --shard i/N' (all N of them) into the verdict, counterexample\n" +
        "and coverage of the unsharded check. Exit codes as check: 0 verified, 1 bug, 3 inconclusive,\n" +
        "2 bad input (files of different searches or versions, a shard missing or twice, a truncated or\n" +
        "edited file).",
    )
    .argument("<files...>", "the shard result files")
    .option("--json", "machine-readable output")
    .option("--html <file>", "also write the failing execution as an HTML timeline")
    .option("--design-file <file>", "the design file the shards were checked with")
    .option("--load-timeout <s>", "seconds a --design-file may take to load", "10")
    .exitOverride()
    .addHelpText(
      "after",
      `
Example:
  for i in 0 1 2; do zswap-ts check -d D7 -s C4 --shard $i/3 --shard-file s$i.json; done
  zswap-ts merge s0.json s1.json s2.json`,
    )
    .action(async (paths: string[], f: MergeFlags) => {
      process.exitCode = await merge(paths, f);
    });
}
