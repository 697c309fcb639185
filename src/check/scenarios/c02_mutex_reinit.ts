/**
 * C2. Mutex re-initialized while held: T uses ctx(A) while H takes A offline and back online;
 * a design whose prepare calls mutex_init() on every online can re-initialize a held mutex.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { offlineOnline, storeAndLoad } from "./bodies.ts";

export const C2: Scenario = {
  id: "C2",
  title: "mutex re-initialized while held (online-offline-online)",
  bad: "mutex_init() on a held ctx mutex, or resources swapped under a user",
  nrCpus: 2,
  actors: (env) => [
    actorOf("T", 0, storeAndLoad(env, 2)),
    actorOf("H", 1, offlineOnline(env.k, 0)),
  ],
};
