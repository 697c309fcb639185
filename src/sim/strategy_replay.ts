/**
 * The replay strategy: answers each decision from a token's log. A replay that diverges (a
 * value out of range, the log running out, values left over, or a different log shape) fails
 * loudly with ReplayDivergedError: a replay either reproduces its run exactly or says so.
 */
import type { ChoiceKind } from "../kernel/effect.ts";
import { DecisionLog, decodeToken } from "./decisions.ts";
import type { ChoiceContext, ExplorationStrategy, Strategy } from "./strategy.ts";

export class ReplayDivergedError extends Error {
  override name = "ReplayDivergedError";
}

export class ReplayStrategy implements Strategy {
  readonly name = "replay";
  private index = 0;
  private readonly shape = new DecisionLog();
  private readonly values: number[];
  private readonly checksum: number;

  constructor(token: string) {
    ({ values: this.values, checksum: this.checksum } = decodeToken(token));
  }

  choose(n: number, kind: ChoiceKind, ctx: ChoiceContext): number {
    const i = this.index++;
    if (i >= this.values.length) {
      throw new ReplayDivergedError(
        `Replay diverged: the token holds ${this.values.length} decisions, but the execution asked for decision ${i} (${kind}, ${ctx.label})`,
      );
    }
    const v = this.values[i] as number;
    if (v >= n) {
      throw new ReplayDivergedError(
        `Replay diverged at decision ${i} (${kind}, ${ctx.label}): the token chooses ${v}, but only ${n} options exist`,
      );
    }
    this.shape.record(v, n, kind);
    return v;
  }

  /** Called when the execution ends: every decision must have been used, with the same shape. */
  finish(): void {
    if (this.index !== this.values.length) {
      throw new ReplayDivergedError(
        `Replay diverged: the execution ended after ${this.index} decisions, but the token holds ${this.values.length}`,
      );
    }
    if (this.shape.shapeChecksum() !== this.checksum) {
      throw new ReplayDivergedError(
        "Replay diverged: the decisions were taken at different points than when the token was recorded (checksum mismatch); was the token recorded with another program or version?",
      );
    }
  }
}

/** A one-execution exploration that replays `token`. */
export function replay(token: string): ExplorationStrategy {
  decodeToken(token); // validate eagerly: a corrupted token fails before anything runs
  return { name: "replay", next: (i) => (i === 0 ? new ReplayStrategy(token) : null) };
}
