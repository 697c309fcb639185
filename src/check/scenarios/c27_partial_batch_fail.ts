/**
 * C27 (not in the reference's list). A partial batch failure. A prelude stores version 1 of a
 * 9-page folio (two store batches: 8 pages and 1) and ages its entries. T then writes
 * version 2 to the same slots, and an entry allocation may fail (an explored decision, both the
 * bulk allocation and its per-entry fallback): the first store batch may already be in the tree
 * when the second fails. The whole folio must then go to disk, with no entry of either version
 * left in zswap (check_old) and the failed batch's entries and zsmalloc objects freed.
 * Meanwhile W, the shrinker, writes back whatever it finds on the LRU: a stale version-1 entry
 * would be written over version 2 on disk.
 *
 * Oracles: the data oracle (every slot holds version 2) and the engine invariants (no leaked
 * entry or zsmalloc object, counters that match the tree).
 */
import type { Op } from "../../kernel/effect.ts";
import { memory } from "../../kernel/memory.ts";
import { queueWork, Work } from "../../kernel/workqueue.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import type { Scenario } from "../harness.ts";
import { nonBatchingDesigns, rewriteFolio, swapOutFolio, testFolio } from "./batching_common.ts";
import { afterPrelude } from "./common.ts";

/** Two store batches: 8 pages and 1. */
const NR = 9;

const ENTRY_ALLOCS = ["zswap_entry_bulk", "zswap_entry"];

export const C27: Scenario = {
  id: "C27",
  title: "a partial batch failure fails the whole folio",
  bad: "after one store batch fails, entries of the folio (new or stale) stay in zswap, or the failed batch's objects leak",
  nrCpus: 2,
  notApplicable: nonBatchingDesigns(),
  actors: (env) => {
    const { k, z, oracle } = env;
    const st: { s: SwpEntry | null } = { s: null };
    const prelude = new Work("C27 prelude", function* (): Op<void> {
      st.s = yield* swapOutFolio(k, oracle, testFolio(NR, 260));
      yield* zswapShrinkerScan(k, z.rootMemcg, NR); // second chance: clears the referenced bits
    });
    queueWork(k, prelude);
    return [
      afterPrelude(k, prelude, "T", 0, function* () {
        if (st.s === null) return;
        const faultable = memory(k).policy.faultable;
        for (const label of ENTRY_ALLOCS) faultable.add(label);
        yield* rewriteFolio(k, oracle, st.s, testFolio(NR, 280));
        for (const label of ENTRY_ALLOCS) faultable.delete(label);
      }),
      afterPrelude(k, prelude, "W", 1, function* () {
        yield* zswapShrinkerScan(k, z.rootMemcg, 2);
      }),
    ];
  },
};
