/**
 * C7. Partial failure of cpuhp_state_add_instance: creating a pool, prepare may fail on any
 * CPU (tfm or request allocation), and percpu_ref_init may fail after registration. The cpuhp
 * core rolls back only with a teardown and never registers a failed instance; zswap must free
 * exactly what was allocated, once, and not remove an instance that was never added.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { switchTo } from "./bodies.ts";
import { faultable } from "./common.ts";

export const C7: Scenario = {
  id: "C7",
  title: "partial failure of cpuhp_state_add_instance",
  bad: "leak, double free, or cpuhp_state_remove_instance() on a node never added",
  nrCpus: 4,
  onlineCpus: [0, 1, 2],
  arm: (env) => faultable(env, "crypto_acomp", "acomp_req"),
  actors: (env) => [actorOf("S", 0, switchTo(env, "sim-b"))],
};
