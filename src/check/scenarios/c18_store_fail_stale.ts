/**
 * C18. Store failure must erase the stale entry. The prelude (on the init task, before T and W
 * exist: see docs/checking.md, "Reach") stores pages at slots a, b and c and ages their
 * entries. Then T writes a new version of each page to the slot it already has (the folio was
 * redirtied and stayed in the swapcache: swapRewrite), and each of these stores fails, three
 * different ways: zswap disabled (a), the pool limit hit (b: max_pool_percent 0), and an
 * injected zswap_entry allocation failure (c: an explored decision). The new versions go to
 * disk. Meanwhile W, the shrinker, writes back whatever it finds on the LRU.
 *
 * Without check_old, the old entry would survive the failed store: a later load would return
 * the old page, or W would write the old page over the new one on disk. Oracle: the data oracle
 * (every slot holds its newest version).
 */

import type { Op } from "../../kernel/effect.ts";
import { memory } from "../../kernel/memory.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import { zswapParamSet } from "../../zswap/zswap.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";

/** The slots of pages a, b and c, per execution (keyed by the execution's oracle). */
const slots = new WeakMap<object, Array<SwpEntry | null>>();

export const C18: Scenario = {
  id: "C18",
  title: "store failure must erase the stale entry",
  bad: "a failed store leaves the older entry for the slot: a load returns it, or writeback writes it over the newer page on disk",
  nrCpus: 2,
  *prelude(env) {
    const { k, z, oracle } = env;
    const st: Array<SwpEntry | null> = [];
    for (const tag of [180, 182, 184]) st.push(yield* oracle.swapOut(k, testPage(tag)));
    slots.set(oracle, st);
    yield* zswapShrinkerScan(k, z.rootMemcg, 3); // second chance: clears the referenced bits
  },
  actors: (env) => [actorOf("T", 0, rewriteFailing(env)), actorOf("W", 1, scanTwice(env))],
};

/** T: a new version of each page to its slot; each store fails a different way. */
function* rewriteFailing({ k, oracle }: ScenarioEnv): Op<void> {
  const [a, b, c] = slots.get(oracle) ?? [];
  if (a) {
    yield* zswapParamSet(k, "enabled", "N");
    yield* oracle.rewrite(k, a, testPage(181));
    yield* zswapParamSet(k, "enabled", "Y");
  }
  if (b) {
    yield* zswapParamSet(k, "max_pool_percent", "0");
    yield* oracle.rewrite(k, b, testPage(183));
    yield* zswapParamSet(k, "max_pool_percent", "20");
  }
  if (c) {
    const faultable = memory(k).policy.faultable;
    faultable.add("zswap_entry");
    yield* oracle.rewrite(k, c, testPage(185));
    faultable.delete("zswap_entry");
  }
}

/** W: the shrinker, twice over the LRU. */
function* scanTwice({ k, z }: ScenarioEnv): Op<void> {
  yield* zswapShrinkerScan(k, z.rootMemcg, 3);
  yield* zswapShrinkerScan(k, z.rootMemcg, 3);
}
