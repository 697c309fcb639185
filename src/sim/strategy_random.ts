/** The random strategy: every decision uniform (faults rare), one PRNG stream per execution. */
import type { ChoiceKind } from "../kernel/effect.ts";
import { Rng } from "./rng.ts";
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

export function deriveSeed(seed: number, index: number): number {
  // splitmix-style mixing, kept within 32 bits so it stays a safe integer.
  let z = (seed * 0x9e3779b1 + index * 0x85ebca6b + 0x27d4eb2f) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
