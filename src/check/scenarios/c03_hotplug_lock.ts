/**
 * C3. cpus_read_lock in the store path: kswapd reclaims (holding fs_reclaim) into zswap while
 * H brings a CPU up, which allocates under cpu_hotplug_lock (workqueue_prepare_cpu).
 */
import { actorOf, type Scenario } from "../harness.ts";
import { online, reclaim } from "./bodies.ts";
import { reclaimIntoZswap } from "./common.ts";

export const C3: Scenario = {
  id: "C3",
  title: "hotplug lock taken in the reclaim path (D1)",
  bad: "fs_reclaim -> cpu_hotplug_lock against cpu_hotplug_lock -> fs_reclaim: deadlock",
  nrCpus: 3,
  onlineCpus: [0, 1],
  arm: (env) => reclaimIntoZswap(env, 30),
  actors: ({ k }) => [actorOf("kswapd0", 0, reclaim(k)), actorOf("H", 1, online(k, 2))],
};
