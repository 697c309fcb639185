/**
 * C9. Compress/decompress vs CPU offline in the final design: T keeps using ctx(A) after
 * migrating, T2 uses ctx(B), A goes down and comes back. Nothing may be freed or re-initialized
 * under a user, and mutual exclusion on each ctx must hold.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { offlineOnline, storeAndLoad } from "./bodies.ts";

export const C9: Scenario = {
  id: "C9",
  title: "compress/decompress vs CPU offline and online",
  bad: "use-after-free, lost mutual exclusion, or re-initialized ctx under a user",
  nrCpus: 2,
  actors: (env) => [
    actorOf("T", 0, storeAndLoad(env, 9)),
    actorOf("T2", 1, storeAndLoad(env, 10)),
    actorOf("H", 1, offlineOnline(env.k, 0)),
  ],
};
