/**
 * A check whose exhaustive phase is split into parts (src/check/split.ts): the hunt runs as in
 * any check, the parts run wherever the caller puts them (worker threads: checkCellSplit in
 * src/cli/check_jobs.ts; other machines: src/cli/cmd_merge.ts), and the
 * combined result goes through the same verdict and shrinking as an unsplit check, so the
 * verdict, the counterexample after shrinking and the coverage are those of `--jobs 1`.
 */

import { Coverage, type CoverageJson } from "../sim/coverage.ts";
import type { ExploreResult, Program } from "../sim/explore.ts";
import { replayComposite } from "../sim/replay_run.ts";
import {
  afterVerify,
  type CellRun,
  type CheckOptions,
  dfsCap,
  type InconclusiveReason,
  type PhaseResult,
  porOf,
  programOptions,
  type Search,
  verifyPhase,
  verifyResult,
} from "./checker.ts";
import { CHECK_DEFAULTS } from "./defaults.ts";
import { scenarioProgram } from "./harness.ts";
import { combineParts, explorePrefix, type PartOptions, type PartResult } from "./split.ts";

export function cellProgram(run: CellRun): Program {
  return scenarioProgram(run.design, run.scenario, programOptions(run.o));
}

export function partOptions(o: CheckOptions): PartOptions {
  return {
    bound: o.bound ?? CHECK_DEFAULTS.bound,
    cap: dfsCap(o),
    por: porOf(o),
    ...(o.stepsMax !== undefined ? { stepsMax: o.stepsMax } : {}),
  };
}

/**
 * The check after phase 2, from the combined parts (or run unsplit when the parts cannot settle
 * it).
 */
export function applyParts(run: CellRun, parts: readonly PartResult[]): CellRun {
  return afterVerify(run, partsPhase(run, parts));
}

/** Phase 2's result from the parts of a split search. */
function partsPhase(run: CellRun, parts: readonly PartResult[]): PhaseResult {
  const { o, s } = run;
  const c = combineParts(parts, dfsCap(o));
  if (c.sequential) return verifyPhase(run);
  let { stepBoundHits } = c;
  s.coverage.merge(c.coverage);
  if (c.truncated !== null) {
    const r = explorePrefix(cellProgram(run), c.truncated.unit, c.truncated.keep, partOptions(o));
    s.coverage.merge(Coverage.fromJSON(r.coverage));
    stepBoundHits += r.stepBoundHits;
  }
  const found = c.bugToken === null ? null : foundByToken(cellProgram(run), c.bugToken, o);
  return verifyResult(
    o,
    {
      verdict: c.verdict,
      executions: c.executions,
      stepBoundHits,
      ...(found ? { failing: found, token: c.bugToken, message: found.message } : {}),
    },
    s.how,
  );
}

function foundByToken(program: Program, token: string, o: CheckOptions) {
  return replayComposite(program, token, { stepsMax: o.stepsMax ?? CHECK_DEFAULTS.stepsMax });
}

/** The hunt's state as JSON (a shard file carries it to the merge). */
export interface SearchJson {
  readonly how: string;
  readonly executions: number;
  readonly stepBoundHits: number;
  readonly inconclusive: readonly InconclusiveReason[];
  /** The failing execution's explorer token and the exploration's counts, if the hunt found one. */
  readonly found: { token: string; executions: number; stepBoundHits: number } | null;
  readonly coverage: CoverageJson;
}

export function searchToJson(s: Search): SearchJson {
  const f = s.found;
  return {
    how: s.how,
    executions: s.executions,
    stepBoundHits: s.stepBoundHits,
    inconclusive: s.inconclusive,
    found:
      f === null
        ? null
        : { token: f.token as string, executions: f.executions, stepBoundHits: f.stepBoundHits },
    coverage: s.coverage.toJSON(),
  };
}

/** The hunt's state back, replaying its failing execution (the verdict needs its report). */
export function searchFromJson(j: SearchJson, program: Program, o: CheckOptions): Search {
  let found: ExploreResult | null = null;
  if (j.found !== null) {
    const failing = foundByToken(program, j.found.token, o);
    found = {
      verdict: "bug",
      executions: j.found.executions,
      failing,
      token: j.found.token,
      stepBoundHits: j.found.stepBoundHits,
      pruned: 0,
      message: failing.message,
    };
  }
  return {
    found,
    how: j.how,
    executions: j.executions,
    stepBoundHits: j.stepBoundHits,
    inconclusive: [...j.inconclusive],
    coverage: Coverage.fromJSON(j.coverage),
  };
}
