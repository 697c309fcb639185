/**
 * C9. Compress/decompress vs CPU offline in the final design: T keeps using ctx(A) after
 * migrating, T2 uses ctx(B), A goes down and comes back. Nothing may be freed or re-initialized
 * under a user, and mutual exclusion on each ctx must hold.
 */
import { cpuDown, cpuUp } from "../../kernel/cpu_updown.ts";
import { actor, type Scenario } from "../harness.ts";
import { testPage } from "../oracle.ts";

export const C9: Scenario = {
  id: "C9",
  title: "compress/decompress vs CPU offline and online",
  bad: "use-after-free, lost mutual exclusion, or re-initialized ctx under a user",
  nrCpus: 2,
  actors: ({ k, oracle }) => [
    actor("T", 0, function* () {
      const swp = yield* oracle.swapOut(k, testPage(9));
      if (swp !== null) yield* oracle.swapInAndCheck(k, swp);
    }),
    actor("T2", 1, function* () {
      const swp = yield* oracle.swapOut(k, testPage(10));
      if (swp !== null) yield* oracle.swapInAndCheck(k, swp);
    }),
    actor("H", 1, function* () {
      if ((yield* cpuDown(k, 0)) === 0) yield* cpuUp(k, 0);
    }),
  ],
};
