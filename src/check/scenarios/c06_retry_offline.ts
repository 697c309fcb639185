/**
 * C6. The retry loop at offline: a task that locked ctx(A) after A died must move on to its
 * current CPU's ctx and finish (liveness); the step bound catches a loop that never ends.
 */
import { cpuDown } from "../../kernel/cpu_updown.ts";
import { actor, type Scenario } from "../harness.ts";
import { testPage } from "../oracle.ts";

export const C6: Scenario = {
  id: "C6",
  title: "retry loop at offline terminates",
  bad: "a user spins on a dead CPU's ctx, or uses its freed resources",
  nrCpus: 3,
  actors: ({ k, oracle }) => [
    actor("T", 0, function* () {
      const a = yield* oracle.swapOut(k, testPage(6));
      const b = yield* oracle.swapOut(k, testPage(7));
      if (a !== null) yield* oracle.swapInAndCheck(k, a);
      if (b !== null) yield* oracle.swapInAndCheck(k, b);
    }),
    actor("H", 2, function* () {
      yield* cpuDown(k, 0);
      yield* cpuDown(k, 1);
    }),
  ],
};
