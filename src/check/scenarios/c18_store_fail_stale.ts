/**
 * C18. Store failure must erase the stale entry. A prelude stores pages at slots a, b and c and
 * ages their entries. Then T writes a new version of each page to the slot it already has (the
 * folio was redirtied and stayed in the swapcache: swapRewrite), and each of these stores fails,
 * three different ways: zswap disabled (a), the pool limit hit (b: max_pool_percent 0), and an
 * injected zswap_entry allocation failure (c: an explored decision). The new versions go to
 * disk. Meanwhile W, the shrinker, writes back whatever it finds on the LRU.
 *
 * Without check_old, the old entry would survive the failed store: a later load would return
 * the old page, or W would write the old page over the new one on disk. Oracle: the data oracle
 * (every slot holds its newest version).
 */
import type { Op } from "../../kernel/effect.ts";
import { memory } from "../../kernel/memory.ts";
import { queueWork, Work } from "../../kernel/workqueue.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import { zswapParamSet } from "../../zswap/zswap.ts";
import type { Scenario } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { afterPrelude } from "./common.ts";

export const C18: Scenario = {
  id: "C18",
  title: "store failure must erase the stale entry",
  bad: "a failed store leaves the older entry for the slot: a load returns it, or writeback writes it over the newer page on disk",
  nrCpus: 2,
  actors: (env) => {
    const { k, z, oracle } = env;
    const st: { slots: Array<SwpEntry | null> } = { slots: [] };
    const prelude = new Work("C18 prelude", function* (): Op<void> {
      for (const tag of [180, 182, 184]) st.slots.push(yield* oracle.swapOut(k, testPage(tag)));
      yield* zswapShrinkerScan(k, z.rootMemcg, 3); // second chance: clears the referenced bits
    });
    queueWork(k, prelude);
    return [
      afterPrelude(k, prelude, "T", 0, function* () {
        const [a, b, c] = st.slots;
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
      }),
      afterPrelude(k, prelude, "W", 1, function* () {
        yield* zswapShrinkerScan(k, z.rootMemcg, 3);
        yield* zswapShrinkerScan(k, z.rootMemcg, 3);
      }),
    ];
  },
};
