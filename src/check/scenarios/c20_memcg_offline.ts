/**
 * C20. memcg offline vs the global shrink_worker cursor. The prelude (on the init task, before G
 * and M exist: see docs/checking.md, "Reach") charges pages to two child memcgs A and B; the
 * pool is over its limit, so G, the shrink worker, walks the memcg tree
 * round-robin from its cursor (zswap_next_shrink), writing entries back; meanwhile M takes A
 * offline. zswap_memcg_offline_cleanup() must move the cursor off A: in the kernel the cursor
 * holds a reference, and a cursor left on an offline memcg keeps a zombie alive.
 *
 * Oracle: at quiescence the cursor is null or an online memcg; engine.ts's invariants; the data
 * oracle (every page, A's included, comes back).
 */

import type { Op } from "../../kernel/effect.ts";
import { memory } from "../../kernel/memory.ts";
import { KernelBug } from "../../kernel/report.ts";
import { Memcg, memcgOffline } from "../../mm/memcg.ts";
import { shrinkWorker } from "../../zswap/shrinker.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";

/** Memcg A, which M takes offline, per execution (keyed by the execution's oracle). */
const memcgA = new WeakMap<object, Memcg>();

export interface C20Options {
  /** M's offline (test-only: an offline without zswap's cleanup proves the scenario can fail). */
  readonly offline?: (env: ScenarioEnv, memcg: Memcg) => void;
}

export function makeC20(o: C20Options = {}): Scenario {
  const offline = o.offline ?? ((env: ScenarioEnv, m: Memcg) => memcgOffline(env.k, m));
  return {
    id: "C20",
    title: "memcg offline vs the global shrink_worker cursor",
    bad: "the shrink worker's cursor stays on an offline memcg (a leaked reference keeps the zombie)",
    nrCpus: 2,
    *prelude(env) {
      const { k, oracle, z } = env;
      // A pool this small is over its limit at once: the stores queue the shrink worker, and G
      // has work to do.
      memory(k).totalramPages = 8;
      const a = new Memcg("/A", z.rootMemcg);
      const b = new Memcg("/B", z.rootMemcg);
      memcgA.set(oracle, a);
      yield* oracle.swapOut(k, testPage(200), a);
      yield* oracle.swapOut(k, testPage(201), b);
      yield* oracle.swapOut(k, testPage(202), a);
    },
    arm(env) {
      env.k.finishHooks.push(() => checkCursor(env));
    },
    actors: (env) => [
      actorOf("G", 0, shrinkWorker(env.k)),
      actorOf("M", 1, offlineA(env, offline)),
    ],
  };
}

/** M: takes memcg A offline (mem_cgroup_css_offline() does not sleep here). */
// biome-ignore lint/correctness/useYield: an actor body that completes at once
function* offlineA(env: ScenarioEnv, offline: (env: ScenarioEnv, m: Memcg) => void): Op<void> {
  offline(env, memcgA.get(env.oracle) as Memcg);
}

function checkCursor(env: ScenarioEnv): void {
  const cursor = env.z.nextShrink;
  if (cursor === null || cursor.online) return;
  throw new KernelBug(
    "leak",
    `zswap: shrink_worker's cursor (zswap_next_shrink) holds offline memcg ${cursor.name}`,
    [
      "zswap_memcg_offline_cleanup() must advance the cursor past a memcg going offline; the",
      "reference the cursor holds keeps the zombie memcg from being freed.",
    ],
  );
}

export const C20 = makeC20();
