/**
 * C20. memcg offline vs the global shrink_worker cursor. A prelude charges pages to two child
 * memcgs A and B; the pool is over its limit, so G, the shrink worker, walks the memcg tree
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
import { queueWork, Work } from "../../kernel/workqueue.ts";
import { Memcg, memcgOffline } from "../../mm/memcg.ts";
import { shrinkWorker } from "../../zswap/shrinker.ts";
import type { Scenario, ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { afterPrelude } from "./common.ts";

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
    arm(env) {
      // A pool this small is over its limit at once: the shrink worker has work to do.
      memory(env.k).totalramPages = 8;
      env.k.finishHooks.push(() => checkCursor(env));
    },
    actors: (env) => {
      const { k, oracle, z } = env;
      const a = new Memcg("/A", z.rootMemcg);
      const b = new Memcg("/B", z.rootMemcg);
      const prelude = new Work("C20 prelude", function* (): Op<void> {
        yield* oracle.swapOut(k, testPage(200), a);
        yield* oracle.swapOut(k, testPage(201), b);
        yield* oracle.swapOut(k, testPage(202), a);
      });
      queueWork(k, prelude);
      return [
        afterPrelude(k, prelude, "G", 0, function* () {
          yield* shrinkWorker(k);
        }),
        // biome-ignore lint/correctness/useYield: mem_cgroup_css_offline() does not sleep here
        afterPrelude(k, prelude, "M", 1, function* () {
          offline(env, a);
        }),
      ];
    },
  };
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
