/**
 * C6. The retry loop at offline: a task that locked ctx(A) after A died must move on to its
 * current CPU's ctx and finish (liveness); the step bound catches a loop that never ends.
 */
import type { Op } from "../../kernel/effect.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { offline } from "./bodies.ts";

export const C6: Scenario = {
  id: "C6",
  title: "retry loop at offline terminates",
  bad: "a user spins on a dead CPU's ctx, or uses its freed resources",
  nrCpus: 3,
  actors: (env) => [actorOf("T", 0, twoPages(env)), actorOf("H", 2, offline(env.k, 0, 1))],
};

/** T: two pages out, then both in (top-level: see bodies.ts). */
function* twoPages({ k, oracle }: ScenarioEnv): Op<void> {
  const a = yield* oracle.swapOut(k, testPage(6));
  const b = yield* oracle.swapOut(k, testPage(7));
  if (a !== null) yield* oracle.swapInAndCheck(k, a);
  if (b !== null) yield* oracle.swapInAndCheck(k, b);
}
