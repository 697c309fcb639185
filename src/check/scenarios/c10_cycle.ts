/**
 * C10. Online-offline-online cycles while a task stores: every online runs prepare again.
 * Designs must neither leak the first allocation nor re-initialize a mutex in use.
 */
import { actorOf, type Scenario } from "../harness.ts";
import { offlineOnline, storeOnly } from "./bodies.ts";

export const C10: Scenario = {
  id: "C10",
  title: "online-offline-online cycles",
  bad: "leak of the first allocation, or mutex re-init under a user",
  nrCpus: 2,
  actors: (env) => [
    actorOf("T", 0, storeOnly(env, 11)),
    actorOf("H", 1, offlineOnline(env.k, 0, 2)),
  ],
};
