/**
 * C10. Online-offline-online cycles while a task stores: every online runs prepare again.
 * Designs must neither leak the first allocation nor re-initialize a mutex in use.
 */
import { cpuDown, cpuUp } from "../../kernel/cpu_updown.ts";
import { actor, type Scenario } from "../harness.ts";
import { testPage } from "../oracle.ts";

export const C10: Scenario = {
  id: "C10",
  title: "online-offline-online cycles",
  bad: "leak of the first allocation, or mutex re-init under a user",
  nrCpus: 2,
  actors: ({ k, oracle }) => [
    actor("T", 0, function* () {
      yield* oracle.swapOut(k, testPage(11));
    }),
    actor("H", 1, function* () {
      for (let i = 0; i < 2; i++) {
        if ((yield* cpuDown(k, 0)) !== 0) return;
        if ((yield* cpuUp(k, 0)) !== 0) return;
      }
    }),
  ],
};
