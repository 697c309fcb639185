/** The acomp_ctx design each profile's kernel runs. */
import type { Profile } from "../params.ts";
import { D0 } from "./d0.ts";
import { D7 } from "./d7.ts";
import { D7_BATCH } from "./d7_batch.ts";
import type { AcompCtxDesign } from "./design.ts";

export function profileDesign(profile: Profile): AcompCtxDesign {
  if (profile === "6.12") return D0;
  if (profile === "7.3-batching") return D7_BATCH;
  return D7;
}
