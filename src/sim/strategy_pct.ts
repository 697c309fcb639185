/**
 * PCT: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
 * ASPLOS 2010).
 *
 * Each task gets a random distinct integer priority above depth; the highest-priority runnable
 * task always runs. At d-1 distinct randomly chosen scheduling steps (change points, drawn from
 * 1..k where k is the longest execution seen so far), the running task's priority drops to the
 * change point's index (below every initial priority). A bug of depth d is found with probability at least
 * 1/(n * k^(d-1)) per execution.
 */
import type { ChoiceKind } from "../kernel/effect.ts";
import { deriveSeed, Rng } from "../util/rng.ts";
import {
  type ChoiceContext,
  type DecisionLogView,
  type ExplorationStrategy,
  FAULT_PROBABILITY,
  randomNonSchedule,
  type Strategy,
} from "./strategy.ts";

export class PctStrategy implements Strategy {
  readonly name = "pct";
  private readonly rng: Rng;
  /**
   * Every task's priority, all distinct integers: a task's initial one is depth + 1 + a 32-bit
   * draw (above every change point's), a task at change point j drops to j + 1 (1..depth - 1).
   */
  private readonly priorities = new Map<number, number>();
  /** The schedule steps where the running task's priority drops: distinct, in 1..k. */
  private readonly changePoints: number[];
  private scheduleSteps = 0;

  constructor(
    seed: number,
    private readonly depth: number,
    stepsEstimate: number,
    private readonly faultProbability = FAULT_PROBABILITY,
  ) {
    this.rng = new Rng(seed);
    this.changePoints = changePoints(this.rng, depth - 1, Math.max(1, stepsEstimate));
  }

  private priority(taskId: number): number {
    let p = this.priorities.get(taskId);
    if (p === undefined) {
      // A random integer above every change point's priority; drawn again on a tie (one in 2^32
      // per pair), so that the highest priority is one task.
      const taken = new Set(this.priorities.values());
      do p = this.depth + 1 + this.rng.next32();
      while (taken.has(p));
      this.priorities.set(taskId, p);
    }
    return p;
  }

  /** Change point `priority - 1` reached: the running task drops below every other task. */
  private lower(taskId: number, priority: number): void {
    assertPct(
      priority >= 1 && priority < this.depth && ![...this.priorities.values()].includes(priority),
      `change point priority ${priority} must be in 1..${this.depth - 1} and unused`,
    );
    this.priorities.set(taskId, priority);
  }

  choose(n: number, kind: ChoiceKind, ctx: ChoiceContext): number {
    if (kind !== "schedule" || ctx.taskIds === undefined) {
      return randomNonSchedule(this.rng, n, kind, this.faultProbability);
    }
    this.scheduleSteps++;
    const cp = this.changePoints.indexOf(this.scheduleSteps);
    if (cp >= 0 && ctx.currentTaskId !== null) this.lower(ctx.currentTaskId, cp + 1);
    let best = 0;
    let bestPriority = Number.NEGATIVE_INFINITY;
    ctx.taskIds.forEach((id, i) => {
      const p = this.priority(id);
      if (p > bestPriority) {
        bestPriority = p;
        best = i;
      }
    });
    return best;
  }
}

/**
 * `count` distinct change points drawn from 1..k (fewer when k is smaller): a point drawn twice
 * is drawn again, since a repeat would silently lower the depth. Where the first draws are
 * distinct, the points are those the draws give, in the order drawn.
 */
export function changePoints(rng: Rng, count: number, k: number): number[] {
  const points: number[] = [];
  while (points.length < Math.min(count, k)) {
    const p = 1 + rng.below(k);
    if (!points.includes(p)) points.push(p);
  }
  return points;
}

/** `pct(seed, depth)`: execution i uses seed (seed, i); k adapts to the longest execution. */
export function pct(
  seed: number,
  depth: number,
  faultProbability = FAULT_PROBABILITY,
): ExplorationStrategy {
  if (!Number.isInteger(depth) || depth < 1)
    throw new RangeError(`PCT depth: expected an integer >= 1, got ${depth}`);
  let stepsEstimate = 50;
  return {
    name: `pct(seed=${seed}, depth=${depth})`,
    next: (i) => new PctStrategy(deriveSeed(seed, i), depth, stepsEstimate, faultProbability),
    done: (log: DecisionLogView) => {
      const scheduleSteps = log.kinds.filter((k) => k === "schedule").length;
      stepsEstimate = Math.max(stepsEstimate, scheduleSteps);
    },
  };
}

function assertPct(ok: boolean, what: string): void {
  if (!ok) throw new Error(`PCT invariant broken: ${what}`);
}
