/** Every lifecycle design, selectable by name. */
import { D0, D1 } from "./d0.ts";
import { D2, D3, D4 } from "./d2_d4.ts";
import { D5 } from "./d5.ts";
import { D7, D7_V14 } from "./d7.ts";
import type { AcompCtxDesign } from "./design.ts";

export const DESIGNS: readonly AcompCtxDesign[] = [D0, D1, D2, D3, D4, D5, D7, D7_V14];

export function designByName(name: string): AcompCtxDesign {
  const d = DESIGNS.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (d === undefined) {
    throw new RangeError(
      `Unknown design '${name}'; available: ${DESIGNS.map((x) => x.name).join(", ")}`,
    );
  }
  return d;
}

export type { AcompCtxDesign };
