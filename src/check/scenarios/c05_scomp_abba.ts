/**
 * C5. ABBA between the ctx mutex and scomp_lock: the dead callback frees the tfm under the ctx
 * mutex (crypto_free_acomp takes scomp_lock), while scomp_lock is held around an allocation
 * that may reclaim into zswap and take a ctx mutex.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { offline, reclaim } from "./bodies.ts";
import { reclaimIntoZswap } from "./common.ts";

export const C5: Scenario = {
  id: "C5",
  title: "ABBA between ctx mutex and scomp_lock",
  bad: "scomp_lock -> fs_reclaim -> ctx mutex against ctx mutex -> scomp_lock",
  nrCpus: 2,
  arm: (env) => reclaimIntoZswap(env, 50),
  actors: ({ k }) => [actorOf("kswapd0", 0, reclaim(k)), actorOf("H", 1, offline(k, 0))],
};
