/**
 * C16. Writeback vs concurrent swap-in (load). The prelude (on the init task, before W and L
 * exist: see docs/checking.md, "Reach") stores page A at slot s and ages its entry E (one
 * shrinker pass clears the referenced bit). Then W, the memcg shrinker, writes E back while L
 * faults s in. The swapcache folio lock arbitrates:
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
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";

/** Slot s, per execution (keyed by the execution's oracle). */
const slotA = new WeakMap<object, SwpEntry | null>();

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
    *prelude(env) {
      slotA.set(env.oracle, yield* env.oracle.swapOut(env.k, testPage(160)));
      yield* shrinkOne(env); // second chance: clears the referenced bit
    },
    arm(env) {
      env.k.finishHooks.push(() => checkConsumedOnce(env));
    },
    actors: (env) => [actorOf("W", 0, writeback(env)), actorOf("L", 1, loadA(env))],
  };
}

export const C16 = makeC16();

/** zswap_shrinker_scan() of one entry from the root memcg's LRU. */
function* shrinkOne(env: ScenarioEnv): Op<void> {
  yield* zswapShrinkerScan(env.k, env.z.rootMemcg, 1);
}

/** L: faults slot s in. */
function* loadA({ k, oracle }: ScenarioEnv): Op<void> {
  const a = slotA.get(oracle) ?? null;
  if (a !== null) yield* oracle.swapInAndCheck(k, a);
}

function checkConsumedOnce(env: ScenarioEnv): void {
  const e = env.z.events;
  const stored = e.zswpout;
  if (stored === 0 || e.zswpwb + e.zswpin === 1) return;
  throw new KernelBug("assertion", "C16: the entry was not consumed exactly once", [
    `zswpout ${e.zswpout}, zswpwb ${e.zswpwb}, zswpin ${e.zswpin}, pswpin ${e.pswpin}: expected zswpwb + zswpin == 1`,
  ]);
}
