/**
 * C12. Reclaim recursion during pool creation: prepare's allocations for a new pool may reclaim
 * into zswap_store, which must find the old (current) pool, never the one being created.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { switchTo } from "./bodies.ts";
import { PREPARE_ALLOCS, reclaimable, reclaimIntoZswap } from "./common.ts";

export const C12: Scenario = {
  id: "C12",
  title: "reclaim recursion during pool creation (visibility)",
  bad: "a store sees a pool whose creation has not completed",
  nrCpus: 2,
  arm(env) {
    reclaimIntoZswap(env, 60);
    reclaimable(env, ...PREPARE_ALLOCS);
  },
  actors: (env) => [actorOf("S", 0, switchTo(env, "sim-b"))],
};
