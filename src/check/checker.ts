/**
 * Checking one design against one scenario: hunt for a bug with a randomized strategy, verify
 * with bounded exhaustive search when nothing is found, and shrink a failure to the fewest
 * departures from the plain schedule that still show the same kind of bug.
 *
 * Three verdicts, and a verdict never claims more than the search showed:
 * - "bug": a detector fired (including the liveness reports of src/sim/liveness.ts);
 * - "verified": the bounded exhaustive search covered its whole space for the stated bounds,
 *   and every execution ended within the step bound;
 * - "inconclusive": no bug, but a cap was hit (dfs executions), an execution reached the step
 *   bound, or the strategy is not exhaustive (random, pct). Each reason names its flag.
 */
import type { PointsLevel } from "../kernel/points.ts";
import type { KernelBug } from "../kernel/report.ts";
import { Coverage, type CoverageSummary } from "../sim/coverage.ts";
import type { ExecutionResult } from "../sim/executor.ts";
import { type ExploreResult, explore } from "../sim/explore.ts";
import type { ExplorationStrategy } from "../sim/strategy.ts";
import { dfs, dfsName } from "../sim/strategy_dfs.ts";
import { pct } from "../sim/strategy_pct.ts";
import { random } from "../sim/strategy_random.ts";
import type { AcompCtxDesign } from "../zswap/acomp_ctx/design.ts";
import { designByName } from "../zswap/acomp_ctx/index.ts";
import { encodeCheckToken } from "./check_token.ts";
import { claimByName } from "./claims.ts";
import { CHECK_DEFAULTS } from "./defaults.ts";
import { type BugClass, bugClass } from "./expected.ts";
import { type ProgramOptions, type Scenario, scenarioProgram } from "./harness.ts";
import { scenarioById } from "./scenarios/index.ts";

export type StrategyName = "auto" | "random" | "pct" | "dfs";

export interface CheckOptions {
  readonly strategy?: StrategyName;
  readonly seed?: number;
  /** Executions for the randomized hunt (default 300). */
  readonly executions?: number;
  /** Preemption bound for dfs (default 2). */
  readonly bound?: number;
  /** Cap on dfs executions (default 100,000; `--dfs-executions`). */
  readonly dfsExecutionsMax?: number;
  /**
   * Partial-order reduction in the exhaustive search and shrinking (default on; `--no-por`):
   * src/sim/footprint.ts. The hunt is not affected.
   */
  readonly por?: boolean;
  /**
   * Dynamic partial-order reduction (`--dpor`, implies por; default off): sleep sets over step
   * footprints, src/sim/dpor.ts. Not with a split search (jobs, shards).
   */
  readonly dpor?: boolean;
  readonly pctDepth?: number;
  readonly stepsMax?: number;
  /** Shrink a failure (default true). */
  readonly shrink?: boolean;
  readonly onProgress?: (phase: string, executions: number) => void;
  /**
   * Lockdep's ordering checks (default true). False is exact mode: only deadlocks that can
   * happen are reported, which settles whether a lockdep report is a real deadlock.
   */
  readonly lockdep?: boolean;
  /** Compress with an IAA-like asynchronous accelerator: crypto_wait_req() sleeps (default false). */
  readonly accelerator?: boolean;
  /** Preemption points level (src/kernel/points.ts; default DEFAULT_POINTS). */
  readonly points?: PointsLevel;
  /** A mailing-list claim to check as an oracle (src/check/claims.ts). */
  readonly claim?: string;
  /** Milliseconds now, for the time a check took (the caller's clock: kernel-side code has none). */
  readonly clock?: () => number;
}

export type Verdict = "bug" | "verified" | "inconclusive" | "n/a";

/** Why a check without a bug is not a verification, and the flag that would change it. */
export interface InconclusiveReason {
  readonly bound: "strategy" | "dfs-executions" | "steps-max";
  readonly text: string;
  /** The command-line flag that raises the bound (or changes the strategy). */
  readonly flag: string;
}

export const DFS_EXECUTIONS_DEFAULT = 100_000;

export interface CellResult {
  readonly design: string;
  readonly scenario: string;
  readonly verdict: Verdict;
  /** Empty unless the verdict is "inconclusive". */
  readonly inconclusive: readonly InconclusiveReason[];
  /** What the search covered (null for "n/a"). */
  readonly coverage: CoverageSummary | null;
  readonly bug: KernelBug | null;
  readonly bugClass: BugClass | null;
  /** How it was found or verified, one line. */
  readonly how: string;
  readonly executions: number;
  /** Preemptions in the reported execution (after shrinking). */
  readonly preemptions: number | null;
  readonly token: string | null;
  readonly timeMs: number;
  readonly stepBoundHits: number;
  /** The preemption points level the search used. */
  readonly points?: PointsLevel;
}

export function programOptions(o: CheckOptions): ProgramOptions {
  return {
    lockdep: o.lockdep !== false,
    compressor: o.accelerator ? "iaa-sim" : "sim",
    points: o.points ?? CHECK_DEFAULTS.points,
  };
}

function hunt(
  design: AcompCtxDesign,
  scenario: Scenario,
  exploration: ExplorationStrategy,
  max: number,
  o: CheckOptions,
  phase: string,
  coverage?: Coverage,
): ExploreResult {
  return explore(scenarioProgram(design, scenario, programOptions(o)), exploration, {
    executionsMax: max,
    ...(coverage ? { coverage } : {}),
    ...(o.stepsMax !== undefined ? { stepsMax: o.stepsMax } : {}),
    ...(o.onProgress
      ? { onProgress: (n: number) => o.onProgress?.(phase, n), progressEvery: 500 }
      : {}),
  });
}

/**
 * Looks for the same class of bug with the fewest departures: dfs with bound 0, 1, ... up to
 * CHECK_DEFAULTS.shrinkBoundMax.
 */
function shrink(
  design: AcompCtxDesign,
  scenario: Scenario,
  cls: BugClass,
  o: CheckOptions,
): ExploreResult | null {
  const { shrinkBoundMax, shrinkExecutionsMax } = CHECK_DEFAULTS;
  for (let b = 0; b <= shrinkBoundMax; b++) {
    const d = dfs(b, { por: porOf(o), dpor: o.dpor === true });
    const r = hunt(design, scenario, d, shrinkExecutionsMax, o, `shrink(bound ${b})`);
    if (r.verdict === "bug" && r.failing?.bug && bugClass(r.failing.bug.kind) === cls) return r;
  }
  return null;
}

/** What one search phase (the hunt, or the exhaustive search) found. */
export interface PhaseResult {
  /** The failing exploration, if the phase found a bug. */
  readonly found: ExploreResult | null;
  /** One line: how the bug was found, or what was searched. */
  readonly how: string;
  readonly executions: number;
  readonly stepBoundHits: number;
  readonly inconclusive: readonly InconclusiveReason[];
}

/**
 * The search so far: the phases' results added up (`afterPhase`), and what they covered. The
 * coverage is the one accumulator the explorations write into as they run.
 */
export interface Search extends PhaseResult {
  readonly coverage: Coverage;
}

/** A search that has not started. */
export function emptySearch(): Search {
  return {
    found: null,
    how: "",
    executions: 0,
    stepBoundHits: 0,
    inconclusive: [],
    coverage: new Coverage(),
  };
}

/** The search `s` followed by phase `p`: counts add up, `p` says how, a bug found stays found. */
export function afterPhase(s: Search, p: PhaseResult): Search {
  return {
    found: p.found ?? s.found,
    how: p.how,
    executions: s.executions + p.executions,
    stepBoundHits: s.stepBoundHits + p.stepBoundHits,
    inconclusive: [...s.inconclusive, ...p.inconclusive],
    coverage: s.coverage,
  };
}

/** Phase 1 (unless --strategy dfs): a randomized hunt. It never verifies anything by itself. */
function huntPhase(
  design: AcompCtxDesign,
  scenario: Scenario,
  o: CheckOptions,
  coverage: Coverage,
): PhaseResult {
  const seed = o.seed ?? CHECK_DEFAULTS.seed;
  const ex = o.strategy === "pct" ? pct(seed, o.pctDepth ?? CHECK_DEFAULTS.pctDepth) : random(seed);
  const executionsMax = o.executions ?? CHECK_DEFAULTS.executions;
  const r = hunt(design, scenario, ex, executionsMax, o, ex.name, coverage);
  const counts = { executions: r.executions, stepBoundHits: r.stepBoundHits };
  if (r.verdict === "bug") {
    return {
      ...counts,
      found: r,
      how: `found by ${ex.name} after ${r.executions} executions`,
      inconclusive: [],
    };
  }
  const notExhaustive = o.strategy === "random" || o.strategy === "pct";
  return {
    ...counts,
    found: null,
    how: `${r.executions} ${ex.name} executions`,
    inconclusive: notExhaustive
      ? [
          {
            bound: "strategy",
            text: `${ex.name} is not exhaustive: ${r.executions} executions found no bug (raise --executions to hunt longer, or use --strategy auto or dfs to verify)`,
            flag: "--strategy",
          },
        ]
      : [],
  };
}

/** Phase 2 (auto and dfs, when nothing was found): bounded exhaustive search. */
export function verifyPhase(run: CellRun): PhaseResult {
  const { design, scenario, o, s } = run;
  const d = dfs(o.bound ?? CHECK_DEFAULTS.bound, { por: porOf(o), dpor: o.dpor === true });
  return verifyResult(o, hunt(design, scenario, d, dfsCap(o), o, d.name, s.coverage), s.how);
}

export function dfsCap(o: CheckOptions): number {
  return o.dfsExecutionsMax ?? CHECK_DEFAULTS.dfsExecutionsMax;
}

export function porOf(o: CheckOptions): boolean {
  return o.dpor === true || (o.por ?? CHECK_DEFAULTS.por);
}

/**
 * What phase 2 found, from one exploration or from the combined parts of a split one;
 * `huntHow` is how the hunt before it went ("" without one).
 */
export function verifyResult(
  o: CheckOptions,
  r: Pick<ExploreResult, "verdict" | "executions" | "stepBoundHits"> & Partial<ExploreResult>,
  huntHow: string,
): PhaseResult {
  const bound = o.bound ?? CHECK_DEFAULTS.bound;
  const por = porOf(o);
  const dpor = o.dpor === true;
  const name = dfsName(bound, { por, dpor });
  // What the search was: the reduction is named, so the verdict never claims more.
  const reduction = dpor
    ? " with dynamic partial-order reduction"
    : por
      ? " with partial-order reduction"
      : "";
  const upTo = `up to bound ${bound}${reduction}`;
  const cap = dfsCap(o);
  const counts = { executions: r.executions, stepBoundHits: r.stepBoundHits };
  const before = huntHow ? ` (+ ${huntHow})` : "";
  if (r.verdict === "bug") {
    const how = `found by ${name} after ${r.executions} executions`;
    return { ...counts, found: r as ExploreResult, how, inconclusive: [] };
  }
  if (r.verdict === "exhausted") {
    const how = `searched ${upTo}: ${r.executions} executions, exhaustive${before}`;
    return { ...counts, found: null, how, inconclusive: [] };
  }
  return {
    ...counts,
    found: null,
    how: `searched ${upTo}: stopped at the cap of ${cap} executions${before}`,
    inconclusive: [
      {
        bound: "dfs-executions",
        text: `the dfs execution cap was hit: ${cap} executions did not cover every schedule with at most ${bound} preemption(s) (raise --dfs-executions, or lower --bound)`,
        flag: "--dfs-executions",
      },
    ],
  };
}

/** Step-bound hits make a check without a bug inconclusive: nothing beyond the bound was searched. */
function stepBoundReason(s: Search, o: CheckOptions): InconclusiveReason[] {
  if (s.found !== null || s.stepBoundHits === 0) return [];
  const stepsMax = o.stepsMax ?? CHECK_DEFAULTS.stepsMax;
  return [
    {
      bound: "steps-max",
      text: `${s.stepBoundHits} execution(s) reached the step bound of ${stepsMax} steps; a fair continuation ran them on without finding a liveness bug, but the search did not branch beyond the bound (raise --steps-max)`,
      flag: "--steps-max",
    },
  ];
}

/** A check in progress: what `beginCell` set up, the search so far, and the clock. */
export interface CellRun {
  readonly plain: AcompCtxDesign;
  readonly design: AcompCtxDesign;
  readonly scenario: Scenario;
  readonly o: CheckOptions;
  readonly s: Search;
  readonly base: Omit<
    CellResult,
    "verdict" | "inconclusive" | "how" | "timeMs" | "coverage" | "executions" | "stepBoundHits"
  >;
  readonly clock: () => number;
  readonly t0: number;
}

export function checkCell(
  designName: string,
  scenarioId: string,
  o: CheckOptions = {},
): CellResult {
  const run = beginCell(designName, scenarioId, o);
  if (!("s" in run)) return run;
  return endCell(needsVerify(run) ? afterVerify(run, verifyPhase(run)) : run);
}

/** The check after phase 2 has given `p`. */
export function afterVerify(run: CellRun, p: PhaseResult): CellRun {
  return { ...run, s: afterPhase(run.s, p) };
}

/** Sets a check up and runs its hunt (phase 1); an n/a cell is its own result. */
export function beginCell(
  designName: string,
  scenarioId: string,
  o: CheckOptions = {},
  after?: Search,
): CellRun | CellResult {
  const clock = o.clock ?? (() => 0);
  const t0 = clock();
  const plain = designByName(designName);
  const design = o.claim === undefined ? plain : claimByName(o.claim).wrap(plain);
  const scenario = scenarioById(scenarioId);
  const base = {
    design: design.name,
    scenario: scenario.id,
    bug: null,
    bugClass: null,
    preemptions: null,
    token: null,
    points: o.points ?? CHECK_DEFAULTS.points,
  };
  if (scenario.notApplicable?.includes(design.name)) {
    return {
      ...base,
      verdict: "n/a",
      inconclusive: [],
      coverage: null,
      how: "not applicable",
      executions: 0,
      timeMs: 0,
      stepBoundHits: 0,
    };
  }
  // `after`: the hunt already ran (a shard file carries it to the merge).
  let s = after ?? emptySearch();
  if (after === undefined && (o.strategy ?? CHECK_DEFAULTS.strategy) !== "dfs")
    s = afterPhase(s, huntPhase(design, scenario, o, s.coverage));
  return { plain, design, scenario, o, s, base, clock, t0 };
}

/** Whether phase 2 (the bounded exhaustive search) runs: auto and dfs, when nothing was found. */
export function needsVerify(run: CellRun): boolean {
  const strategy = run.o.strategy ?? CHECK_DEFAULTS.strategy;
  return run.s.found === null && (strategy === "auto" || strategy === "dfs");
}

/** The verdict, after shrinking a bug. */
export function endCell(run: CellRun): CellResult {
  const { plain, design, scenario, o, clock, t0 } = run;
  const s: Search = {
    ...run.s,
    inconclusive: [...run.s.inconclusive, ...stepBoundReason(run.s, o)],
  };
  const counts = {
    executions: s.executions,
    stepBoundHits: s.stepBoundHits,
    coverage: s.coverage.summary(),
  };
  const bug = s.found?.failing?.bug ?? null;
  if (s.found === null || bug === null) {
    const verdict = s.inconclusive.length > 0 ? "inconclusive" : "verified";
    const how = verdict === "verified" ? s.how.replace(/^searched/, "verified") : s.how;
    return {
      ...run.base,
      ...counts,
      verdict,
      inconclusive: s.inconclusive,
      how,
      timeMs: Math.round(clock() - t0),
    };
  }
  return bugResult(plain, design, scenario, s, bug, o, { ...run.base, ...counts }, clock, t0);
}

function bugResult(
  plain: AcompCtxDesign,
  design: AcompCtxDesign,
  scenario: Scenario,
  s: Search,
  bug: KernelBug,
  o: CheckOptions,
  base: Omit<CellResult, "verdict" | "inconclusive" | "how" | "timeMs">,
  clock: () => number,
  t0: number,
): CellResult {
  const cls = bugClass(bug.kind);
  const small = o.shrink === false ? null : shrink(design, scenario, cls, o);
  const best = small ?? (s.found as ExploreResult);
  const failing = best.failing as ExecutionResult;
  return {
    ...base,
    verdict: "bug",
    inconclusive: [],
    bug: failing.bug,
    bugClass: cls,
    how: `${small ? `${s.how}; shrunk by dfs to ${failing.preemptions} preemption(s)` : s.how}${failing.stepBoundHit ? ", then past the step bound in the fair continuation" : ""}`,
    preemptions: failing.preemptions,
    token: encodeCheckToken(
      o.claim === undefined ? plain.name : `${plain.name}@${o.claim}`,
      scenario.id,
      best.token as string,
      programOptions(o),
      o.stepsMax ?? CHECK_DEFAULTS.stepsMax,
    ),
    timeMs: Math.round(clock() - t0),
  };
}
