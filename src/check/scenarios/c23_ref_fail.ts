/**
 * C23. Creation failure after registration: percpu_ref_init fails after the cpuhp instance was
 * added, while H brings a CPU up. The instance must be removed before the ctxs are freed.
 */
import { cpuUp } from "../../kernel/cpuhp.ts";
import type { Scenario } from "../harness.ts";
import { faultable, switchCompressor } from "./common.ts";

export const C23: Scenario = {
  id: "C23",
  title: "creation failure after registration (ref_fail ordering)",
  bad: "ctxs freed before remove_instance: a concurrent prepare allocates into them and leaks",
  nrCpus: 3,
  onlineCpus: [0, 1],
  arm: (env) => faultable(env, "zswap_pool ref"),
  actors: (env) => [
    {
      name: "S",
      cpu: 0,
      body: (function* () {
        yield* switchCompressor(env, "sim-b");
      })(),
    },
    {
      name: "H",
      cpu: 1,
      body: (function* () {
        yield* cpuUp(env.k, 2);
      })(),
    },
  ],
};
