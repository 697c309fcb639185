/**
 * C2. Mutex re-initialized while held: T uses ctx(A) while H takes A offline and back online;
 * a design whose prepare calls mutex_init() on every online can re-initialize a held mutex.
 */
import { cpuDown, cpuUp } from "../../kernel/cpu_updown.ts";
import { actor, type Scenario } from "../harness.ts";
import { testPage } from "../oracle.ts";

export const C2: Scenario = {
  id: "C2",
  title: "mutex re-initialized while held (online-offline-online)",
  bad: "mutex_init() on a held ctx mutex, or resources swapped under a user",
  nrCpus: 2,
  actors: ({ k, oracle }) => [
    actor("T", 0, function* () {
      const swp = yield* oracle.swapOut(k, testPage(2));
      if (swp !== null) yield* oracle.swapInAndCheck(k, swp);
    }),
    actor("H", 1, function* () {
      if ((yield* cpuDown(k, 0)) === 0) yield* cpuUp(k, 0);
    }),
  ],
};
