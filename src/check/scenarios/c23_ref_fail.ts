/**
 * C23. Creation failure after registration: percpu_ref_init fails after the cpuhp instance was
 * added, while H brings a CPU up. The instance must be removed before the ctxs are freed.
 */
import { cpuUp } from "../../kernel/cpu_updown.ts";
import { actor, type Scenario } from "../harness.ts";
import { faultable, switchCompressor } from "./common.ts";

export const C23: Scenario = {
  id: "C23",
  title: "creation failure after registration (ref_fail ordering)",
  bad: "ctxs freed before remove_instance: a concurrent prepare allocates into them and leaks",
  nrCpus: 3,
  onlineCpus: [0, 1],
  arm: (env) => faultable(env, "zswap_pool ref"),
  actors: (env) => [
    actor("S", 0, function* () {
      yield* switchCompressor(env, "sim-b");
    }),
    actor("H", 1, function* () {
      yield* cpuUp(env.k, 2);
    }),
  ],
};
