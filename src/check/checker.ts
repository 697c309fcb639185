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
import { DEFAULT_POINTS, POINTS_LEVELS, type PointsLevel } from "../kernel/points.ts";
import type { BugKind, KernelBug } from "../kernel/report.ts";
import { Coverage, type CoverageSummary } from "../sim/coverage.ts";
import { type ExecutionResult, STEPS_MAX_DEFAULT } from "../sim/executor.ts";
import { type ExploreResult, explore } from "../sim/explore.ts";
import { replayComposite } from "../sim/replay_run.ts";
import type { ExplorationStrategy } from "../sim/strategy.ts";
import { dfs } from "../sim/strategy_dfs.ts";
import { pct } from "../sim/strategy_pct.ts";
import { random } from "../sim/strategy_random.ts";
import type { AcompCtxDesign } from "../zswap/acomp_ctx/design.ts";
import { designByName } from "../zswap/acomp_ctx/index.ts";
import { claimByName } from "./claims.ts";
import type { BugClass } from "./expected.ts";
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
    points: o.points ?? DEFAULT_POINTS,
  };
}

export function bugClass(kind: BugKind): BugClass {
  switch (kind) {
    case "use-after-free":
    case "invalid-free":
      return "UAF";
    case "double-free":
      return "double-free";
    case "null-deref":
      return "NULL";
    case "uninit-value":
      return "uninit";
    case "circular-locking":
    case "recursive-locking":
      return "lockdep";
    case "deadlock":
      return "deadlock";
    case "hung-task":
    case "soft-lockup":
    case "livelock":
      return kind;
    case "leak":
      return "leak";
    case "data-loss":
      return "data-loss";
    case "sleep-in-atomic":
      return "atomic";
    case "assertion":
    case "warning":
      return "WARN";
  }
}

/**
 * The token format: zt1<flags>.<design>.<scenario>.<decisions>.<checksum>[+<decisions>.<checksum>...]
 * where the flags are "e" for exact mode (lockdep's ordering checks off), "a" for the
 * asynchronous (IAA-like) compressor, "pa" or "px" for the points levels "access" and "all"
 * (none for "sleep"), and "s<n>" (base 36) for a step bound other than the default (the fair
 * continuation starts there): everything that changes the execution is in the token.
 */
export function encodeCheckToken(
  design: string,
  scenario: string,
  token: string,
  p: ProgramOptions = {},
  stepsMax: number = STEPS_MAX_DEFAULT,
): string {
  const steps = stepsMax === STEPS_MAX_DEFAULT ? "" : `s${stepsMax.toString(36)}`;
  const points = POINTS_FLAGS[p.points ?? DEFAULT_POINTS];
  const flags = `${p.lockdep === false ? "e" : ""}${p.compressor === "iaa-sim" ? "a" : ""}${points}${steps}`;
  return `zt1${flags}.${design}.${scenario}.${token}`;
}

/** "D7" or "D7@claim-name" (a design checked against a claim). */
export function designWithClaim(field: string): AcompCtxDesign {
  const [name, claim] = field.split("@") as [string, string | undefined];
  const design = designByName(name);
  return claim === undefined ? design : claimByName(claim).wrap(design);
}

export class CheckTokenError extends Error {
  override name = "CheckTokenError";
}

export function decodeCheckToken(token: string): {
  design: AcompCtxDesign;
  scenario: Scenario;
  inner: string;
  program: ProgramOptions;
  stepsMax: number;
} {
  const parts = token.trim().split(".");
  const flags = /^zt1(e?)(a?)(p[a-z])?(?:s([0-9a-z]+))?$/.exec(parts[0] ?? "");
  if (flags === null || parts.length < 5) {
    throw new CheckTokenError(
      `Invalid replay token '${token}': expected zt1.<design>.<scenario>.<decisions>.<checksum> as printed by 'zswap-ts check'`,
    );
  }
  try {
    return {
      design: designWithClaim(parts[1] as string),
      scenario: scenarioById(parts[2] as string),
      inner: parts.slice(3).join("."),
      program: {
        lockdep: flags[1] !== "e",
        compressor: flags[2] === "a" ? "iaa-sim" : "sim",
        points: pointsFromFlag(flags[3]),
      },
      stepsMax: flags[4] === undefined ? STEPS_MAX_DEFAULT : Number.parseInt(flags[4], 36),
    };
  } catch (e) {
    throw new CheckTokenError(`Invalid replay token: ${(e as Error).message}`);
  }
}

/**
 * The token flag of each points level. A token without one was recorded at "sleep": tokens
 * printed before the levels existed keep replaying.
 */
const POINTS_FLAGS: Readonly<Record<PointsLevel, string>> = { sleep: "", access: "pa", all: "px" };

function pointsFromFlag(flag: string | undefined): PointsLevel {
  const level = POINTS_LEVELS.find((l) => POINTS_FLAGS[l] === (flag ?? ""));
  if (level === undefined) throw new Error(`unknown points level flag '${flag}'`);
  return level;
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

/** Looks for the same class of bug with the fewest departures: dfs with bound 0, 1, 2, 3. */
function shrink(
  design: AcompCtxDesign,
  scenario: Scenario,
  cls: BugClass,
  o: CheckOptions,
): ExploreResult | null {
  for (let b = 0; b <= 3; b++) {
    const r = hunt(design, scenario, dfs(b), 3_000, o, `shrink(bound ${b})`);
    if (r.verdict === "bug" && r.failing?.bug && bugClass(r.failing.bug.kind) === cls) return r;
    if (r.verdict === "bug") continue;
  }
  return null;
}

/** What the hunt and verification phases found: a failing exploration, or how far they got. */
export interface Search {
  found: ExploreResult | null;
  how: string;
  executions: number;
  stepBoundHits: number;
  inconclusive: InconclusiveReason[];
  readonly coverage: Coverage;
}

/** Phase 1 (unless --strategy dfs): a randomized hunt. It never verifies anything by itself. */
function huntPhase(design: AcompCtxDesign, scenario: Scenario, o: CheckOptions, s: Search): void {
  const seed = o.seed ?? 1;
  const ex = o.strategy === "pct" ? pct(seed, o.pctDepth ?? 3) : random(seed);
  const r = hunt(design, scenario, ex, o.executions ?? 300, o, ex.name, s.coverage);
  s.executions += r.executions;
  s.stepBoundHits += r.stepBoundHits;
  if (r.verdict === "bug") {
    s.found = r;
    s.how = `found by ${ex.name} after ${r.executions} executions`;
    return;
  }
  s.how = `${r.executions} ${ex.name} executions`;
  if (o.strategy === "random" || o.strategy === "pct") {
    s.inconclusive.push({
      bound: "strategy",
      text: `${ex.name} is not exhaustive: ${r.executions} executions found no bug (raise --executions to hunt longer, or use --strategy auto or dfs to verify)`,
      flag: "--strategy",
    });
  }
}

/** Phase 2 (auto and dfs, when nothing was found): bounded exhaustive search. */
export function verifyPhase(
  design: AcompCtxDesign,
  scenario: Scenario,
  o: CheckOptions,
  s: Search,
): void {
  const d = dfs(o.bound ?? 2);
  recordVerify(s, o, hunt(design, scenario, d, dfsCap(o), o, d.name, s.coverage));
}

export function dfsCap(o: CheckOptions): number {
  return o.dfsExecutionsMax ?? DFS_EXECUTIONS_DEFAULT;
}

/** What phase 2 found, from one exploration or from the combined parts of a split one. */
export function recordVerify(
  s: Search,
  o: CheckOptions,
  r: Pick<ExploreResult, "verdict" | "executions" | "stepBoundHits"> & Partial<ExploreResult>,
): void {
  const bound = o.bound ?? 2;
  const name = dfs(bound).name;
  const cap = dfsCap(o);
  s.executions += r.executions;
  s.stepBoundHits += r.stepBoundHits;
  const before = s.how ? ` (+ ${s.how})` : "";
  if (r.verdict === "bug") {
    s.found = r as ExploreResult;
    s.how = `found by ${name} after ${r.executions} executions`;
  } else if (r.verdict === "exhausted") {
    s.how = `searched up to bound ${bound}: ${r.executions} executions, exhaustive${before}`;
  } else {
    s.how = `searched up to bound ${bound}: stopped at the cap of ${cap} executions${before}`;
    s.inconclusive.push({
      bound: "dfs-executions",
      text: `the dfs execution cap was hit: ${cap} executions did not cover every schedule with at most ${bound} preemption(s) (raise --dfs-executions, or lower --bound)`,
      flag: "--dfs-executions",
    });
  }
}

/** Step-bound hits make a check without a bug inconclusive: nothing beyond the bound was searched. */
function stepBoundReason(s: Search, o: CheckOptions): void {
  if (s.found !== null || s.stepBoundHits === 0) return;
  const stepsMax = o.stepsMax ?? STEPS_MAX_DEFAULT;
  s.inconclusive.push({
    bound: "steps-max",
    text: `${s.stepBoundHits} execution(s) reached the step bound of ${stepsMax} steps; a fair continuation ran them on without finding a liveness bug, but the search did not branch beyond the bound (raise --steps-max)`,
    flag: "--steps-max",
  });
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
  if (needsVerify(run)) verifyPhase(run.design, run.scenario, o, run.s);
  return endCell(run);
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
    points: o.points ?? DEFAULT_POINTS,
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
  const s: Search = after ?? {
    found: null,
    how: "",
    executions: 0,
    stepBoundHits: 0,
    inconclusive: [],
    coverage: new Coverage(),
  };
  if (after === undefined && (o.strategy ?? "auto") !== "dfs") huntPhase(design, scenario, o, s);
  return { plain, design, scenario, o, s, base, clock, t0 };
}

/** Whether phase 2 (the bounded exhaustive search) runs: auto and dfs, when nothing was found. */
export function needsVerify(run: CellRun): boolean {
  const strategy = run.o.strategy ?? "auto";
  return run.s.found === null && (strategy === "auto" || strategy === "dfs");
}

/** The verdict, after shrinking a bug. */
export function endCell(run: CellRun): CellResult {
  const { plain, design, scenario, o, s, clock, t0 } = run;
  stepBoundReason(s, o);
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
      o.stepsMax ?? STEPS_MAX_DEFAULT,
    ),
    timeMs: Math.round(clock() - t0),
  };
}

/** Replays a check token with tracing; the result carries the bug and the trace. */
export function replayCheckToken(token: string): {
  design: AcompCtxDesign;
  scenario: Scenario;
  result: ExecutionResult;
  points: PointsLevel;
} {
  const { design, scenario, inner, program, stepsMax } = decodeCheckToken(token);
  const result = replayComposite(scenarioProgram(design, scenario, program), inner, {
    trace: true,
    stepsMax,
  });
  return { design, scenario, result, points: program.points ?? DEFAULT_POINTS };
}
