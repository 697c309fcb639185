/**
 * The decision log of one execution and its replay token.
 *
 * A token is a compact printable string: the chosen values in base 36, runs of zeros
 * compressed, and a checksum over the shape of the log (each decision's option count and kind),
 * so a replay that takes a different path is detected rather than silently accepted.
 *
 *   body  := item*
 *   item  := [0-9a-z]              one value below 36
 *          | "_" base36 "_"        one value of 36 or more
 *          | "-" base36 "-"        a run of that many zeros (runs of 3 or more)
 *   token := body "." checksum     (checksum: base 36)
 */
import type { ChoiceKind } from "../kernel/effect.ts";
import type { DecisionLogView } from "./strategy.ts";

const KIND_CODES: Record<ChoiceKind, number> = {
  schedule: 1,
  migrate: 2,
  fault: 3,
  reclaim: 4,
  pick: 5,
};

export class DecisionLog implements DecisionLogView {
  readonly values: number[] = [];
  readonly ns: number[] = [];
  readonly kinds: ChoiceKind[] = [];

  record(value: number, n: number, kind: ChoiceKind): void {
    this.values.push(value);
    this.ns.push(n);
    this.kinds.push(kind);
  }

  get length(): number {
    return this.values.length;
  }

  /** Checksum of the log's shape: (n, kind) of every decision, FNV-1a 32. */
  shapeChecksum(): number {
    return shapeChecksum(this.ns, this.kinds);
  }

  token(): string {
    return `${encodeValues(this.values)}.${this.shapeChecksum().toString(36)}`;
  }
}

export function shapeChecksum(ns: readonly number[], kinds: readonly ChoiceKind[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ns.length; i++) {
    h = Math.imul(h ^ (ns[i] as number), 0x01000193);
    h = Math.imul(h ^ KIND_CODES[kinds[i] as ChoiceKind], 0x01000193);
  }
  return h >>> 0;
}

export function encodeValues(values: readonly number[]): string {
  let out = "";
  let i = 0;
  while (i < values.length) {
    const v = values[i] as number;
    if (v === 0) {
      let j = i;
      while (j < values.length && values[j] === 0) j++;
      const run = j - i;
      out += run >= 3 ? `-${run.toString(36)}-` : "0".repeat(run);
      i = j;
      continue;
    }
    out += v < 36 ? v.toString(36) : `_${v.toString(36)}_`;
    i++;
  }
  return out;
}

export class TokenError extends Error {
  override name = "TokenError";
}

/** Parses a token into its values and checksum; throws TokenError with the position on bad input. */
export function decodeToken(token: string): { values: number[]; checksum: number } {
  const dot = token.lastIndexOf(".");
  if (dot < 0)
    throw new TokenError(
      `Invalid replay token: expected '<decisions>.<checksum>', found no '.' in '${token}'`,
    );
  const body = token.slice(0, dot);
  const sumText = token.slice(dot + 1);
  if (!/^[0-9a-z]+$/.test(sumText))
    throw new TokenError(`Invalid replay token: checksum '${sumText}' is not base 36`);
  const values: number[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c === "-" || c === "_") {
      const end = body.indexOf(c, i + 1);
      const digits = end < 0 ? "" : body.slice(i + 1, end);
      if (!/^[0-9a-z]+$/.test(digits)) {
        throw new TokenError(
          `Invalid replay token: unterminated or empty '${c}' group at position ${i}`,
        );
      }
      const n = Number.parseInt(digits, 36);
      if (c === "-") for (let k = 0; k < n; k++) values.push(0);
      else values.push(n);
      i = end + 1;
      continue;
    }
    if (!/[0-9a-z]/.test(c))
      throw new TokenError(`Invalid replay token: unexpected '${c}' at position ${i}`);
    values.push(Number.parseInt(c, 36));
    i++;
  }
  return { values, checksum: Number.parseInt(sumText, 36) };
}
