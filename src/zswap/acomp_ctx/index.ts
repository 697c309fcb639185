/** Every lifecycle design, selectable by name. */
import { UnknownNameError } from "../../util/unknown_name_error.ts";
import { D0, D1 } from "./d0.ts";
import { D2, D3, D4 } from "./d2_d4.ts";
import { D5 } from "./d5.ts";
import { D7, D7_V14 } from "./d7.ts";
import { D7_BATCH, D7_BATCH_V7 } from "./d7_batch.ts";
import type { AcompCtxDesign } from "./design.ts";

export const DESIGNS: readonly AcompCtxDesign[] = [
  D0,
  D1,
  D2,
  D3,
  D4,
  D5,
  D7,
  D7_V14,
  D7_BATCH,
  D7_BATCH_V7,
];

/** Designs registered at run time (a reviewer's design file), after the built-in ones. */
const registered: AcompCtxDesign[] = [];

const HOOKS = [
  "allocCtxs",
  "prepare",
  "dead",
  "acquire",
  "release",
  "createFailed",
  "destroyCtxs",
] as const;

/** Throws a RangeError when `d` lacks a hook or has an unusable name. */
export function validateDesign(d: AcompCtxDesign): void {
  const missing = HOOKS.filter(
    (h) => typeof (d as unknown as Record<string, unknown>)[h] !== "function",
  );
  if (typeof d.name !== "string" || d.name === "" || /[.+\s]/.test(d.name)) {
    throw new RangeError(
      `Invalid design: expected a name without dots, '+' or spaces, got '${String(d.name)}'`,
    );
  }
  if (missing.length > 0)
    throw new RangeError(`Invalid design '${d.name}': missing ${missing.join(", ")}`);
}

/** Adds a design (from `check --design-file`); its name must not be taken. */
export function registerDesign(d: AcompCtxDesign): void {
  validateDesign(d);
  const same = allDesigns().find((x) => x.name.toLowerCase() === d.name.toLowerCase());
  if (same === d) return;
  if (same !== undefined) throw new RangeError(`Invalid design: the name '${d.name}' is taken`);
  registered.push(d);
}

export function allDesigns(): readonly AcompCtxDesign[] {
  return [...DESIGNS, ...registered];
}

/**
 * Designs found by name (check --design, replay tokens) but left out of the listings and the
 * matrix: the counterfactual designs of the claims ledger (src/check/claims/designs.ts).
 */
const hidden: AcompCtxDesign[] = [];

export function registerHiddenDesign(d: AcompCtxDesign): void {
  validateDesign(d);
  if (!hidden.includes(d)) hidden.push(d);
}

export function designByName(name: string): AcompCtxDesign {
  const all = allDesigns();
  const d = [...all, ...hidden].find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (d === undefined) {
    throw new UnknownNameError(
      "design",
      name,
      `Unknown design '${name}'; available: ${all.map((x) => x.name).join(", ")}`,
    );
  }
  return d;
}

export type { AcompCtxDesign };
