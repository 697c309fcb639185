/**
 * Every default and bound of a check, in one place: the checker falls back to these, the CLI
 * shows them as its flags' defaults, shard files fill them in. A bound that is hit makes a check
 * inconclusive and names the flag that raises it (checker.ts).
 */
import { DEFAULT_POINTS, type PointsLevel } from "../kernel/points.ts";
import { STEPS_MAX_DEFAULT } from "../sim/executor.ts";

export interface CheckDefaults {
  /** --strategy: auto hunts at random, then verifies by dfs. */
  readonly strategy: "auto";
  /** --seed: the seed of the random and pct hunts. */
  readonly seed: number;
  /** --executions: executions of the random or pct hunt. */
  readonly executions: number;
  /** --bound: the preemption bound of the exhaustive (dfs) search. */
  readonly bound: number;
  /** --dfs-executions: the cap on the exhaustive search (hit: inconclusive). */
  readonly dfsExecutionsMax: number;
  /** --steps-max: steps a strategy decides per execution (hit: inconclusive). */
  readonly stepsMax: number;
  /** PCT's depth: the bugs it aims at need at most depth - 1 priority changes (no flag). */
  readonly pctDepth: number;
  /** Shrinking tries dfs with bounds 0 ..= shrinkBoundMax ... */
  readonly shrinkBoundMax: number;
  /** ... each with at most this many executions. */
  readonly shrinkExecutionsMax: number;
  /** --no-shrink turns it off. */
  readonly shrink: boolean;
  /** --no-lockdep: exact mode. */
  readonly lockdep: boolean;
  /** --iaa: the asynchronous accelerator. */
  readonly accelerator: boolean;
  /** --points: the preemption points level (src/kernel/points.ts). */
  readonly points: PointsLevel;
  /**
   * --no-por: partial-order reduction in the exhaustive search and shrinking (src/sim/footprint.ts).
   * On: scripts/por_equivalence.ts showed the same verdict and bug classes with and without it
   * on every cell (docs/checking.md, "Partial-order reduction").
   */
  readonly por: boolean;
}

export const CHECK_DEFAULTS: CheckDefaults = Object.freeze({
  strategy: "auto",
  seed: 1,
  executions: 300,
  bound: 2,
  dfsExecutionsMax: 100_000,
  stepsMax: STEPS_MAX_DEFAULT,
  pctDepth: 3,
  shrinkBoundMax: 3,
  shrinkExecutionsMax: 3_000,
  shrink: true,
  lockdep: true,
  accelerator: false,
  points: DEFAULT_POINTS,
  por: true,
});
