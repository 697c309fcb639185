/**
 * Replay tokens of a check: everything that changes an execution (design, claim, scenario, lockdep
 * mode, compressor, points level, step bound) and the decisions of the execution, with a
 * checksum. `zswap-ts replay` gives the same report and trace from one.
 */
import { DEFAULT_POINTS, POINTS_LEVELS, type PointsLevel } from "../kernel/points.ts";
import { type ExecutionResult, STEPS_MAX_DEFAULT } from "../sim/executor.ts";
import { replayComposite } from "../sim/replay_run.ts";
import type { AcompCtxDesign } from "../zswap/acomp_ctx/design.ts";
import { designByName } from "../zswap/acomp_ctx/index.ts";
import { claimByName } from "./claims.ts";
import { type ProgramOptions, type Scenario, scenarioProgram } from "./harness.ts";
import { scenarioById } from "./scenarios/index.ts";

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
