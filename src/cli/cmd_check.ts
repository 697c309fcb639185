/**
 * `zswap-ts check`: settle lifecycle claims mechanically (`zswap-ts replay` is cmd_replay.ts).
 *
 * @example
 * zswap-ts check --design D0 --scenario C1       # exit 1, a KASAN report, a trace, a token
 * zswap-ts check --matrix                        # every design x scenario vs the expectation
 * zswap-ts check --selftest                      # every detector fires on a bug, quiet on its twin
 */
import { availableParallelism } from "node:os";
import { Command, Option } from "commander";
import { type CellResult, type CheckOptions, checkCell, programOptions } from "../check/checker.ts";
import { CLAIMS } from "../check/claims.ts";
import { CHECK_DEFAULTS } from "../check/defaults.ts";
import { DESIGN_COLUMNS, EXPECTED } from "../check/expected.ts";
import { cellJson, formatCell, formatMatrix, mismatches } from "../check/report.ts";
import { BATCHING_SCENARIOS } from "../check/scenarios/batching.ts";
import { ALL_SCENARIOS, LIFECYCLE_SCENARIOS } from "../check/scenarios/index.ts";
import { formatSelftest, runSelftest } from "../check/selftest.ts";
import { POINTS_LEVELS } from "../kernel/points.ts";
import { allDesigns } from "../zswap/acomp_ctx/index.ts";
import { type CheckFlags, EXIT_INCONCLUSIVE, exitCode, int, options, out } from "./check_flags.ts";
import { checkCellSplit, JobPool } from "./check_jobs.ts";
import { printCell } from "./check_output.ts";
import { runShard } from "./cmd_merge.ts";
import { loadDesignFile } from "./design_file.ts";
import { jsonText } from "./json_out.ts";
import { Progress } from "./progress.ts";
import { Interrupts, turn } from "./signals.ts";
import { UsageError } from "./usage_error.ts";

/** Says what a signal interrupted (signals.ts); installed by the check action. */
let stop: Interrupts | null = null;
/** The worker threads of --jobs N (N > 1), for the command's lifetime (check_jobs.ts). */
let pool: JobPool | null = null;

/** One cell, its exhaustive phase split across the --jobs workers when there are several. */
async function cell(f: CheckFlags, design: string, scenario: string, o: CheckOptions) {
  if (pool === null) return checkCell(design, scenario, o);
  const name = o.claim === undefined ? design : `${design}@${o.claim}`;
  const extra = {
    ...(f.designFile !== undefined ? { designFile: f.designFile } : {}),
    loadTimeoutMs: int("load-timeout", f.loadTimeout, 1, 3600) * 1000,
  };
  return checkCellSplit(design, scenario, o, pool.runner(name, scenario, programOptions(o), extra));
}

async function runOne(f: CheckFlags): Promise<number> {
  if (f.design === undefined || f.scenario === undefined) {
    throw new UsageError("check needs --design and --scenario (or --matrix, --selftest, --list)");
  }
  const line = Progress.open("check", "executions", { quiet: f.json === true });
  let shown = "";
  const progress = line
    ? (phase: string, n: number) => {
        const name = `${f.design} x ${f.scenario} ${phase}`;
        if (name !== shown) line.phase(name, 0);
        shown = name;
        line.update(n);
      }
    : undefined;
  let r: CellResult;
  if (stop) stop.status = `design ${f.design}, scenario ${f.scenario}`;
  const o = options(f, progress);
  try {
    r = await cell(f, f.design, f.scenario, o);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  // The cell ran synchronously: a signal that came meanwhile is handled here, before any output.
  await turn();
  line?.stop();
  return printCell(f, r, o);
}

async function runMatrix(f: CheckFlags): Promise<number> {
  const cells: Array<[string, string]> = [];
  for (const s of LIFECYCLE_SCENARIOS) for (const d of DESIGN_COLUMNS) cells.push([d, s.id]);
  const bar = Progress.open("check --matrix", "cells", { quiet: f.json === true });
  bar?.phase("", cells.length);
  const t0 = performance.now();
  const results: CellResult[] = [];
  for (const [d, s] of cells) {
    bar?.rename(`${d} x ${s}`);
    bar?.update(results.length);
    if (stop) stop.status = `--matrix, cell ${d} x ${s}, ${results.length} of ${cells.length} done`;
    results.push(await cell(f, d, s, options(f, undefined)));
    await turn(); // a signal is handled between cells (a cell runs to its end)
  }
  bar?.stop();
  const seconds = (performance.now() - t0) / 1000;
  const exact = !f.lockdep;
  const bad = mismatches(results, exact);
  const undecided = results.filter((r) => r.verdict === "inconclusive").length;
  if (f.json) {
    out(
      jsonText({
        matches: bad.length === 0,
        mismatches: bad,
        inconclusive: undecided,
        seconds,
        points: f.points,
        cells: results.map((r) => ({
          ...cellJson(r, null),
          expected: EXPECTED[r.scenario]?.[r.design] ?? null,
        })),
      }),
    );
  } else {
    out(
      formatMatrix(
        results,
        LIFECYCLE_SCENARIOS.map((s) => s.id),
        exact,
      ),
    );
    if (exact) {
      out(
        "\nExact mode: lockdep's ordering checks are off, so a cell shows a bug only if the deadlock or",
      );
      out(
        "corruption can happen in this scenario; a cell expected to be a lockdep report may be verified.",
      );
    }
    out(`\n${results.length} cells in ${seconds.toFixed(1)} s (points ${f.points}).`);
    out(
      bad.length === 0
        ? "Every cell matches the expected matrix."
        : `${bad.length} cell(s) do not match (${undecided} of them inconclusive):\n${bad.map((b) => `  ${b}`).join("\n")}`,
    );
  }
  // 1 when a decided cell contradicts the expectation; 3 when the only misses are inconclusive.
  if (bad.length === 0) return 0;
  return bad.length > undecided ? 1 : EXIT_INCONCLUSIVE;
}

/** A design from a file against every lifecycle scenario: one line each, then the bugs. */
async function runDesignRow(f: CheckFlags, design: string): Promise<number> {
  const results: CellResult[] = [];
  for (const s of LIFECYCLE_SCENARIOS)
    results.push(await cell(f, design, s.id, options(f, undefined)));
  if (f.json) {
    out(jsonText({ design, cells: results.map((r) => cellJson(r, null)) }));
  } else {
    out(`zswap-ts check: design ${design} against every lifecycle scenario`);
    for (const r of results) {
      const what =
        r.verdict === "bug"
          ? `BUG (${r.bugClass}) ${r.bug?.title}`
          : r.verdict === "verified"
            ? `verified (${r.how})`
            : r.verdict === "inconclusive"
              ? `INCONCLUSIVE (${r.inconclusive.map((x) => x.flag).join(", ")}): ${r.how}`
              : "not applicable";
      out(`  ${r.scenario.padEnd(4)} ${what}`);
    }
    const bugs = results.filter((r) => r.verdict === "bug");
    for (const r of bugs) out(`\n${formatCell(r, null)}`);
    if (bugs.length > 0)
      out(`\nRun one with: zswap-ts check --design-file ${f.designFile} --scenario <id>`);
  }
  return exitCode(results);
}

function runList(f: CheckFlags): number {
  const designs = allDesigns().map((d) => ({
    name: d.name,
    versions: d.versions,
    summary: d.summary,
  }));
  const scenarios = ALL_SCENARIOS.map((s) => ({
    id: s.id,
    family: LIFECYCLE_SCENARIOS.includes(s)
      ? "lifecycle"
      : BATCHING_SCENARIOS.includes(s)
        ? "batching"
        : "engine",
    title: s.title,
    bad: s.bad,
  }));
  if (f.json) out(jsonText({ designs, scenarios }));
  else {
    out("Designs:");
    for (const d of designs) out(`  ${d.name.padEnd(8)} ${d.versions.padEnd(28)} ${d.summary}`);
    out(
      "Scenarios (lifecycle: in the matrix; engine: zswap's own races, checked on any design; batching: on D7-batch*):",
    );
    for (const s of scenarios) out(`  ${s.id.padEnd(4)} ${s.family.padEnd(10)} ${s.title}`);
  }
  return 0;
}

function runSelf(f: CheckFlags): number {
  const rows = runSelftest();
  if (f.json) out(jsonText({ rows }));
  else out(formatSelftest(rows));
  return rows.every((r) => r.firedOnBug && r.quietOnTwin) ? 0 : 1;
}

export function checkCommand(): Command {
  return new Command("check")
    .description(
      "Check acomp_ctx lifecycle designs against lifecycle scenarios on the simulated kernel.\n" +
        "Verdicts: verified (exit 0: the bounded search was complete and every execution ended),\n" +
        "bug (exit 1), inconclusive (exit 3: a bound was hit or the strategy is not exhaustive;\n" +
        "the output names the flag that raises it). With --matrix: 0 every cell as expected,\n" +
        "1 a cell contradicts it, 3 only inconclusive cells miss. Exit 2: usage.",
    )
    .option(
      "-d, --design <name>",
      `lifecycle design (${allDesigns()
        .map((d) => d.name)
        .join(", ")})`,
    )
    .option("-s, --scenario <id>", `scenario (${ALL_SCENARIOS.map((s) => s.id).join(", ")})`)
    .option("--matrix", "every design against every scenario, compared with the expected matrix")
    .option("--selftest", "run each detector on a planted bug and its fixed twin")
    .option("--list", "list the designs and scenarios")
    .addOption(
      new Option("--strategy <name>", "auto = random hunt, then dfs to verify")
        .choices(["auto", "random", "pct", "dfs"])
        .default(CHECK_DEFAULTS.strategy),
    )
    .option("--seed <n>", "seed for random and pct", String(CHECK_DEFAULTS.seed))
    .option(
      "--executions <n>",
      "executions for the random/pct hunt",
      String(CHECK_DEFAULTS.executions),
    )
    .option("--bound <k>", "preemption bound for dfs", String(CHECK_DEFAULTS.bound))
    .option(
      "--dfs-executions <n>",
      "cap on dfs executions (hit: inconclusive)",
      String(CHECK_DEFAULTS.dfsExecutionsMax),
    )
    .option(
      "--por",
      "partial-order reduction in dfs (the default): skip executions whose migrations nothing observes, each has an equivalent cheaper one",
    )
    .option("--no-por", "dfs without reduction: every execution within the bound")
    .option(
      "--dpor",
      "also dynamic partial-order reduction (implies --por; --jobs 1, no --shard): sleep sets over step footprints skip executions that only reorder independent steps",
    )
    .option(
      "--steps-max <n>",
      "steps the strategy decides per execution; then a fair continuation tells a livelock from a long execution (hit: inconclusive)",
      String(CHECK_DEFAULTS.stepsMax),
    )
    .option("--no-shrink", "report the first failing execution as found")
    .option(
      "--no-lockdep",
      "exact mode: report only deadlocks that happen, not lock-order inversions",
    )
    .addOption(
      new Option(
        "--points <level>",
        "preemption points besides sleeping calls: sleep (none), access (+ raw_cpu_ptr, percpu_ref get/put, kfree, inside RCU readers), all (+ after mutex lock and unlock)",
      )
        .choices([...POINTS_LEVELS])
        .default(CHECK_DEFAULTS.points),
    )
    .option(
      "--iaa",
      "compress with an IAA-like asynchronous accelerator: crypto_wait_req sleeps until an interrupt",
    )
    .option(
      "--claim <name>",
      `check a mailing-list claim as an oracle (${CLAIMS.map((c) => c.name).join(", ")})`,
    )
    .option("--json", "machine-readable output")
    .option(
      "--html <file>",
      "also write an HTML page: the failing execution's timeline, or what was verified",
    )
    .option(
      "--trace-json <file>",
      "also write the failing execution as Chrome trace-event JSON (Perfetto, chrome://tracing)",
    )
    .option("--wide", "text trace with one line per event instead of CPU columns")
    .exitOverride()
    .option("--design-file <file>", "a module exporting your own AcompCtxDesign (see examples/)")
    .option("--load-timeout <s>", "seconds a --design-file may take to load", "10")
    .option(
      "--jobs <n>",
      "worker threads for the exhaustive search (1: no workers); same verdict, counterexample and coverage",
      String(availableParallelism()),
    )
    .option(
      "--shard <i/N>",
      "run part i of N of one cell's exhaustive search and write a result file (zswap-ts merge combines them)",
    )
    .option(
      "--shard-file <file>",
      "where --shard writes (default shard-<design>-<scenario>-<i>of<N>.json)",
    )
    .addHelpText(
      "after",
      `
Examples:
  zswap-ts check -d D0 -s C1                 the 6.12 use-after-free: KASAN report, trace, token
  zswap-ts check -d D7 -s C1                 verified up to bound 2, exhaustively (exit 0)
  zswap-ts check -d D0 -s C1 --steps-max 20  inconclusive: executions cut at the step bound (exit 3)
  zswap-ts check --matrix                    every design x scenario vs docs/matrix.md
  zswap-ts check -d D2 -s C4 --no-lockdep    is that lockdep report a real deadlock? (no)
  zswap-ts check --design-file examples/d1b_migrate_disable.ts
  zswap-ts check -d D7 -s C4 --jobs 2        the exhaustive search on two worker threads
  zswap-ts check -d D7 -s C4 --shard 0/3     one third of it, into a file; then zswap-ts merge
  zswap-ts replay <token>                    the same report again`,
    )
    .action(async (f: CheckFlags, cmd: Command) => {
      stop = Interrupts.install("check"); // stays until exit: the command is the process's work
      const oneCell = f.scenario !== undefined && !f.matrix && !f.selftest && !f.list;
      if (!oneCell && (f.html !== undefined || f.traceJson !== undefined || f.wide))
        throw new UsageError("--html, --trace-json and --wide go with one cell (--scenario)");
      let jobs = int("jobs", f.jobs, 1, 1024);
      if (f.dpor === true) {
        if (f.por === false) throw new UsageError("--dpor implies --por; drop --no-por");
        // Its sleep sets learn from earlier executions: a unit alone would not search the same.
        if (f.shard !== undefined) throw new UsageError("--dpor does not split: drop --shard");
        if (jobs > 1 && cmd.getOptionValueSource("jobs") !== "default")
          throw new UsageError("--dpor runs on one thread: use --jobs 1");
        jobs = 1;
      }
      if (f.shard !== undefined) {
        process.exitCode = await runShard(f, options(f, undefined));
        return;
      }
      if (f.shardFile !== undefined) throw new UsageError("--shard-file goes with --shard");
      pool = jobs > 1 ? new JobPool(jobs) : null;
      try {
        await checkAction(f);
      } finally {
        await pool?.close();
        pool = null;
      }
    });
}

async function checkAction(f: CheckFlags): Promise<void> {
  if (f.designFile !== undefined) {
    options(f, undefined); // bad numeric options fail before anything is loaded
    const seconds = int("load-timeout", f.loadTimeout, 1, 3600);
    const d = await loadDesignFile(f.designFile, seconds * 1000);
    if (f.design !== undefined && f.design.toLowerCase() !== d.name.toLowerCase()) {
      throw new UsageError(
        `--design ${f.design} does not name the design in ${f.designFile} (${d.name})`,
      );
    }
    if (f.matrix || f.selftest || f.list)
      throw new UsageError("--design-file goes with --scenario, or alone");
    process.exitCode =
      f.scenario === undefined
        ? await runDesignRow(f, d.name)
        : await runOne({ ...f, design: d.name });
    return;
  }
  if (f.matrix && f.iaa === true) {
    throw new UsageError(
      "--matrix compares with expectations for the synchronous (scomp) compressors; check --iaa one cell at a time (docs/matrix.md)",
    );
  }
  const modes = [
    f.matrix,
    f.selftest,
    f.list,
    f.design !== undefined || f.scenario !== undefined,
  ].filter(Boolean).length;
  if (modes > 1)
    throw new UsageError("choose one of --design/--scenario, --matrix, --selftest, --list");
  process.exitCode = f.matrix
    ? await runMatrix(f)
    : f.selftest
      ? runSelf(f)
      : f.list
        ? runList(f)
        : await runOne(f);
}
