/** The random strategy: every decision uniform (faults rare), one PRNG stream per execution. */
import type { ChoiceKind } from "../kernel/effect.ts";
import { deriveSeed, Rng } from "../util/rng.ts";
import {
  type ChoiceContext,
  type ExplorationStrategy,
  FAULT_PROBABILITY,
  randomNonSchedule,
  type Strategy,
} from "./strategy.ts";

export class RandomStrategy implements Strategy {
  readonly name = "random";
  private readonly rng: Rng;

  constructor(
    seed: number,
    private readonly faultProbability = FAULT_PROBABILITY,
  ) {
    this.rng = new Rng(seed);
  }

  choose(n: number, kind: ChoiceKind, _ctx: ChoiceContext): number {
    if (kind === "schedule") return this.rng.below(n);
    return randomNonSchedule(this.rng, n, kind, this.faultProbability);
  }
}

/** Execution i of `random(seed)` uses the derived seed (seed, i), so any execution replays alone. */
export function random(seed: number, faultProbability = FAULT_PROBABILITY): ExplorationStrategy {
  return {
    name: `random(seed=${seed})`,
    next: (i) => new RandomStrategy(deriveSeed(seed, i), faultProbability),
  };
}
