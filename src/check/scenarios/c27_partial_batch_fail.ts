/**
 * C27 (not in the reference's list). A partial batch failure. The prelude (on the init task,
 * before T and W exist: see docs/checking.md, "Reach") stores version 1 of a 9-page folio (two store batches: 8 pages and 1) and ages its entries. T then writes
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
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { nonBatchingDesigns, rewriteFolio, swapOutFolio, testFolio } from "./batching_common.ts";

/** Two store batches: 8 pages and 1. */
const NR = 9;

const ENTRY_ALLOCS = ["zswap_entry_bulk", "zswap_entry"];

/** The folio's first slot, per execution (keyed by the execution's oracle). */
const slotS = new WeakMap<object, SwpEntry | null>();

export const C27: Scenario = {
  id: "C27",
  title: "a partial batch failure fails the whole folio",
  bad: "after one store batch fails, entries of the folio (new or stale) stay in zswap, or the failed batch's objects leak",
  nrCpus: 2,
  notApplicable: nonBatchingDesigns(),
  *prelude({ k, z, oracle }) {
    slotS.set(oracle, yield* swapOutFolio(k, oracle, testFolio(NR, 260)));
    yield* zswapShrinkerScan(k, z.rootMemcg, NR); // second chance: clears the referenced bits
  },
  actors: (env) => [actorOf("T", 0, rewriteFailing(env)), actorOf("W", 1, shrinkTwo(env))],
};

/** T: version 2 to the folio's slots, with entry allocations allowed to fail. */
function* rewriteFailing({ k, oracle }: ScenarioEnv): Op<void> {
  const s = slotS.get(oracle) ?? null;
  if (s === null) return;
  const faultable = memory(k).policy.faultable;
  for (const label of ENTRY_ALLOCS) faultable.add(label);
  yield* rewriteFolio(k, oracle, s, testFolio(NR, 280));
  for (const label of ENTRY_ALLOCS) faultable.delete(label);
}

/** W: the shrinker, two entries. */
function* shrinkTwo({ k, z }: ScenarioEnv): Op<void> {
  yield* zswapShrinkerScan(k, z.rootMemcg, 2);
}
