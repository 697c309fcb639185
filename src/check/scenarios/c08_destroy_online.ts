/**
 * C8. Pool destroy racing CPU online: the old pool, empty after a compressor switch, is
 * released by a worker while H brings a CPU up. Freeing the ctxs before removing the cpuhp
 * instance lets prepare allocate into a pool that is being destroyed.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { online, switchTo } from "./bodies.ts";

export const C8: Scenario = {
  id: "C8",
  title: "pool destroy racing CPU online",
  bad: "prepare allocates between dealloc and remove_instance: leak",
  nrCpus: 3,
  onlineCpus: [0, 1],
  actors: (env) => [actorOf("S", 0, switchTo(env, "sim-b")), actorOf("H", 1, online(env.k, 2))],
};
