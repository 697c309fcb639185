/**
 * C16. Writeback vs concurrent swap-in (load). A prelude stores page A at slot s and ages its
 * entry E (one shrinker pass clears the referenced bit). Then W, the memcg shrinker, writes E
 * back while L faults s in. The swapcache folio lock arbitrates:
 * - L first: L's locked folio is in the swapcache, W's swap_cache_alloc_folio() sees it
 *   (-EEXIST) and skips E; L's zswap_load() decompresses and frees E;
 * - W first: W's locked folio is in the swapcache, L waits for it and uses the uptodate folio
 *   (no zswap_load), or, if W already finished, reads the page from disk.
 *
 * Oracle: E is freed exactly once (KASAN: double free / use-after-free), L sees A (data
 * oracle), and E was consumed by exactly one of them: zswpwb + zswpin == 1.
 */
import type { Op } from "../../kernel/effect.ts";
import { KernelBug } from "../../kernel/report.ts";
import { queueWork, Work } from "../../kernel/workqueue.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import type { Scenario, ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { afterPrelude } from "./common.ts";

export interface C16Options {
  /** W's writeback of the LRU's head (test-only: a broken writeback proves the scenario can fail). */
  readonly writeback?: (env: ScenarioEnv) => Op<void>;
}

export function makeC16(o: C16Options = {}): Scenario {
  const writeback = o.writeback ?? shrinkOne;
  return {
    id: "C16",
    title: "writeback vs concurrent swap-in (load)",
    bad: "the entry is freed twice (both own it), or the swap-in reads stale data",
    nrCpus: 2,
    arm(env) {
      env.k.finishHooks.push(() => checkConsumedOnce(env));
    },
    actors: (env) => {
      const { k, oracle } = env;
      const st: { a: SwpEntry | null } = { a: null };
      const prelude = new Work("C16 prelude", function* (): Op<void> {
        st.a = yield* oracle.swapOut(k, testPage(160));
        yield* shrinkOne(env); // second chance: clears the referenced bit
      });
      queueWork(k, prelude);
      return [
        afterPrelude(k, prelude, "W", 0, function* () {
          yield* writeback(env);
        }),
        afterPrelude(k, prelude, "L", 1, function* () {
          if (st.a !== null) yield* oracle.swapInAndCheck(k, st.a);
        }),
      ];
    },
  };
}

export const C16 = makeC16();

/** zswap_shrinker_scan() of one entry from the root memcg's LRU. */
function* shrinkOne(env: ScenarioEnv): Op<void> {
  yield* zswapShrinkerScan(env.k, env.z.rootMemcg, 1);
}

function checkConsumedOnce(env: ScenarioEnv): void {
  const e = env.z.events;
  const stored = e.zswpout;
  if (stored === 0 || e.zswpwb + e.zswpin === 1) return;
  throw new KernelBug("assertion", "C16: the entry was not consumed exactly once", [
    `zswpout ${e.zswpout}, zswpwb ${e.zswpwb}, zswpin ${e.zswpin}, pswpin ${e.pswpin}: expected zswpwb + zswpin == 1`,
  ]);
}
