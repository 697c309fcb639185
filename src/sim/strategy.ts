/**
 * The Strategy interface: who answers the executor's decisions.
 *
 * Every nondeterministic choice of an execution (which task runs, whether a task migrates,
 * whether an allocation fails or reclaims) goes through `choose`. Option 0 always means "keep
 * going, stay on this CPU, no fault", so a decision log of zeros is the plainest execution and
 * shrinking moves logs toward zeros.
 */
import type { ChoiceKind } from "../kernel/effect.ts";
import type { Rng } from "../util/rng.ts";
import type { DporNodeInfo } from "./dpor.ts";

/** With dynamic partial-order reduction, at a "schedule" decision (src/sim/dpor.ts). */
export interface SleepingOptions {
  /** The options whose task is asleep: choosing one stops the execution... */
  readonly asleep: readonly number[];
  /**
   * ...unless the task switched away from then migrates: its migrate decision's option count,
   * 0 when there is none or a move would be redundant (then the whole subtree is stopped).
   */
  readonly moveOptions: number;
}

export interface ChoiceContext {
  /** For "schedule": the candidate task ids, in option order (option 0 first). */
  readonly taskIds?: readonly number[];
  /** The task running when the decision is made, if any. */
  readonly currentTaskId: number | null;
  /** The executor's step counter. */
  readonly step: number;
  /** What the decision is about, for traces. */
  readonly label: string;
  /**
   * For "migrate", with partial-order reduction (src/sim/footprint.ts): a non-zero answer
   * is redundant (an equivalent, cheaper execution is searched anyway).
   */
  readonly redundant?: boolean;
  readonly asleep?: readonly number[];
  readonly moveOptions?: number;
}

export interface Strategy {
  readonly name: string;
  /** Answers one decision with an index in 0..n-1 (n >= 2). */
  choose(n: number, kind: ChoiceKind, ctx: ChoiceContext): number;
  /**
   * The dynamic partial-order reduction's record of the schedule decision just answered (the dfs
   * keeps one per node of its tree, src/sim/dpor.ts); absent in strategies that do not reduce.
   */
  dporInfo?(): DporNodeInfo | null;
}

/**
 * An exploration strategy hands out one Strategy per execution, and learns from its end.
 * `next` returns null when the strategy has nothing more to explore (exhaustive search).
 */
export interface ExplorationStrategy {
  readonly name: string;
  /** Whether executions run with partial-order reduction (src/sim/footprint.ts). */
  readonly por?: boolean;
  /** Whether they also run with dynamic partial-order reduction (src/sim/dpor.ts). */
  readonly dpor?: boolean;
  next(executionIndex: number): Strategy | null;
  /** Called after each execution with its decision log and step count. */
  done?(log: DecisionLogView, steps: number): void;
  /** A one-line description of how much was covered (for "verified up to ..." messages). */
  coverage?(): string;
}

export interface DecisionLogView {
  readonly values: readonly number[];
  readonly ns: readonly number[];
  readonly kinds: readonly ChoiceKind[];
}

/** Default fault and reclaim probability for randomized strategies. */
export const FAULT_PROBABILITY = 0.15;

/**
 * How randomized strategies answer non-scheduling decisions: migrations are uniform (they are
 * cheap and often decisive), faults and reclaim are rare so that executions mostly make progress.
 */
export function randomNonSchedule(
  rng: Rng,
  n: number,
  kind: ChoiceKind,
  faultProbability: number,
): number {
  if (kind === "fault" || kind === "reclaim") {
    return rng.chance(faultProbability) ? 1 + rng.below(n - 1) : 0;
  }
  return rng.below(n);
}
