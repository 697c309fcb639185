/**
 * PCT: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
 * ASPLOS 2010).
 *
 * Each task gets a random distinct priority >= depth; the highest-priority runnable task always
 * runs. At d-1 randomly chosen scheduling steps (change points, drawn from 1..k where k is the
 * longest execution seen so far), the running task's priority drops to the change point's
 * index (below every initial priority). A bug of depth d is found with probability at least
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
  private readonly priorities = new Map<number, number>();
  private readonly changePoints: number[];
  private scheduleSteps = 0;

  constructor(
    seed: number,
    private readonly depth: number,
    stepsEstimate: number,
    private readonly faultProbability = FAULT_PROBABILITY,
  ) {
    this.rng = new Rng(seed);
    this.changePoints = [];
    for (let i = 0; i < depth - 1; i++)
      this.changePoints.push(1 + this.rng.below(Math.max(1, stepsEstimate)));
  }

  private priority(taskId: number): number {
    let p = this.priorities.get(taskId);
    if (p === undefined) {
      // Random distinct priorities above `depth`: a random real offset keeps them distinct.
      p = this.depth + 1 + this.rng.next32() / 0x100000000;
      while ([...this.priorities.values()].includes(p)) p += 1e-9;
      this.priorities.set(taskId, p);
    }
    return p;
  }

  choose(n: number, kind: ChoiceKind, ctx: ChoiceContext): number {
    if (kind !== "schedule" || ctx.taskIds === undefined) {
      return randomNonSchedule(this.rng, n, kind, this.faultProbability);
    }
    this.scheduleSteps++;
    const cp = this.changePoints.indexOf(this.scheduleSteps);
    if (cp >= 0 && ctx.currentTaskId !== null) this.priorities.set(ctx.currentTaskId, cp + 1);
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
