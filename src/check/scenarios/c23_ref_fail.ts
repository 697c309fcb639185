/**
 * C23. Creation failure after registration: percpu_ref_init fails after the cpuhp instance was
 * added, while H brings a CPU up. The instance must be removed before the ctxs are freed.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { online, switchTo } from "./bodies.ts";
import { faultable } from "./common.ts";

export const C23: Scenario = {
  id: "C23",
  title: "creation failure after registration (ref_fail ordering)",
  bad: "ctxs freed before remove_instance: a concurrent prepare allocates into them and leaks",
  nrCpus: 3,
  onlineCpus: [0, 1],
  arm: (env) => faultable(env, "zswap_pool ref"),
  actors: (env) => [actorOf("S", 0, switchTo(env, "sim-b")), actorOf("H", 1, online(env.k, 2))],
};
