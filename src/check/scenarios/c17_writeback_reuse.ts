/**
 * C17. Writeback vs invalidate and slot reuse (ABA on the entry pointer). The prelude (on the
 * init task, before W and F exist: see docs/checking.md, "Reach") stores page A at slot s and
 * ages its entry E. W, the shrinker, takes E from the LRU, copies its swpentry
 * and drops the lru lock. Meanwhile F frees s (zswap_invalidate() erases and frees E) and, if s
 * is free again at once, reuses it for a new page N (a new entry E' at s). W must validate
 * tree[s] == E under the swapcache folio lock before it touches E: the check fails and W aborts,
 * so s keeps N.
 *
 * Oracle: KASAN (W must not dereference E before validation), the data oracle (s holds N, never
 * A written back over it).
 */
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { Folio, folioUnlock } from "../../mm/folio.ts";
import {
  swapcacheAdd,
  swapcacheDelete,
  swapDevice,
  swapFree,
  swapWriteout,
} from "../../mm/swap.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";

/** Slot s, per execution (keyed by the execution's oracle). */
const slotS = new WeakMap<object, SwpEntry | null>();

export interface C17Options {
  /** W's writeback of the LRU's head (test-only: a broken writeback proves the scenario can fail). */
  readonly writeback?: (env: ScenarioEnv) => Op<void>;
}

export function makeC17(o: C17Options = {}): Scenario {
  const writeback = o.writeback ?? shrinkOne;
  return {
    id: "C17",
    title: "writeback vs invalidate and slot reuse (ABA on the entry pointer)",
    bad: "writeback dereferences the freed entry before validating it, or writes the old page over the slot's new content",
    nrCpus: 2,
    *prelude(env) {
      slotS.set(env.oracle, yield* env.oracle.swapOut(env.k, testPage(170)));
      yield* shrinkOne(env); // second chance: clears the referenced bit
    },
    actors: (env) => [actorOf("W", 0, writeback(env)), actorOf("F", 1, freeAndReuse(env))],
  };
}

export const C17 = makeC17();

function* shrinkOne(env: ScenarioEnv): Op<void> {
  yield* zswapShrinkerScan(env.k, env.z.rootMemcg, 1);
}

/** F: frees slot s, then reuses it at once for page N if nobody holds it. */
function* freeAndReuse({ k, oracle }: ScenarioEnv): Op<void> {
  const s = slotS.get(oracle) ?? null;
  if (s === null) return;
  yield* swapFree(k, s);
  oracle.forget(s);
  // Reuse the slot at once if nobody holds it (W's swapcache folio may).
  const page = testPage(171);
  if ((yield* swapOutAt(k, s, page)) === 0) oracle.record(s, page);
  else yield* oracle.swapOut(k, page);
}

/**
 * swapOut() into a chosen free slot (get_swap_page() handing out a just-freed slot): 0, or -1 if
 * the slot is still in use.
 */
function* swapOutAt(k: Kernel, swp: SwpEntry, data: Uint8Array): Op<number> {
  const dev = swapDevice(k, swp.type);
  if (dev.inUse(swp.offset)) return -1;
  dev.count[swp.offset] = 1;
  dev.nrFree--;
  const folio = new Folio(swp, 1, null, data.slice());
  folio.dirty = true;
  swapcacheAdd(k, dev, folio);
  const ret = yield* swapWriteout(k, folio);
  folioUnlock(k, folio);
  if (ret < 0) dev.count[swp.offset] = 0;
  yield* swapcacheDelete(k, dev, folio);
  return ret < 0 ? -1 : 0;
}
