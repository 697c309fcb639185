/**
 * C4. Reclaim recursion from prepare onto the ctx mutex: prepare's allocations may reclaim into
 * zswap_store, which takes a ctx mutex. A design that allocates under its ctx mutex gives
 * lockdep the chain ctx mutex -> fs_reclaim -> ctx mutex (one lock class).
 */
import { actorOf, type Scenario } from "../harness.ts";
import { online, switchTo } from "./bodies.ts";
import { PREPARE_ALLOCS, reclaimable, reclaimIntoZswap } from "./common.ts";

export const C4: Scenario = {
  id: "C4",
  title: "reclaim recursion from prepare onto the ctx mutex",
  bad: "a ctx mutex held across a GFP_KERNEL allocation that can recurse into zswap",
  nrCpus: 3,
  onlineCpus: [0, 1],
  arm(env) {
    reclaimIntoZswap(env, 40);
    reclaimable(env, ...PREPARE_ALLOCS);
  },
  actors: (env) => [actorOf("S", 0, switchTo(env, "sim-b")), actorOf("H", 1, online(env.k, 2))],
};
