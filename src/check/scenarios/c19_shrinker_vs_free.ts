/**
 * C19. Shrinker vs concurrent free while the lru lock is dropped. The prelude (on the init task,
 * before W and I exist: see docs/checking.md, "Reach") stores pages at slots a and b and ages
 * their entries. W, the shrinker, walks the LRU: for each entry it rotates
 * it to the tail, copies its swpentry and drops the lru lock before writing it back. I frees the
 * same entries meanwhile: slot a is freed (zswap_invalidate) and slot b is swapped in
 * (zswap_load). zswap_entry_free() unlinks an entry from the LRU under the lru lock, wherever it
 * is; W must not touch the entry after unlocking (its writeback revalidates it against the tree
 * and fails: LRU_RETRY), and must not unlink it itself.
 *
 * Oracle: KASAN (no access to a freed entry), engine.ts's invariants (the list_lru links and
 * counts are consistent), the data oracle (b's page).
 */
import type { Op } from "../../kernel/effect.ts";
import { swapFree } from "../../mm/swap.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";

/** Slots a and b, per execution (keyed by the execution's oracle). */
const slots = new WeakMap<object, { a: SwpEntry | null; b: SwpEntry | null }>();

export interface C19Options {
  /** W's walk over the LRU (test-only: a broken shrinker proves the scenario can fail). */
  readonly shrink?: (env: ScenarioEnv) => Op<void>;
}

export function makeC19(o: C19Options = {}): Scenario {
  const shrink = o.shrink ?? shrinkTwo;
  return {
    id: "C19",
    title: "shrinker vs concurrent free while the lru lock is dropped",
    bad: "the shrinker touches a freed entry after dropping the lru lock, or corrupts the LRU by unlinking it itself",
    nrCpus: 2,
    *prelude(env) {
      const { k, oracle } = env;
      const a = yield* oracle.swapOut(k, testPage(190));
      const b = yield* oracle.swapOut(k, testPage(191));
      slots.set(oracle, { a, b });
      yield* shrinkTwo(env); // second chance: clears the referenced bits
    },
    actors: (env) => [actorOf("W", 0, shrink(env)), actorOf("I", 1, freeAndLoad(env))],
  };
}

export const C19 = makeC19();

function* shrinkTwo(env: ScenarioEnv): Op<void> {
  yield* zswapShrinkerScan(env.k, env.z.rootMemcg, 2);
}

/** I: frees slot a (zswap_invalidate), swaps slot b in (zswap_load). */
function* freeAndLoad({ k, oracle }: ScenarioEnv): Op<void> {
  const st = slots.get(oracle);
  if (st === undefined) return;
  if (st.a !== null) {
    yield* swapFree(k, st.a);
    oracle.forget(st.a);
  }
  if (st.b !== null) yield* oracle.swapInAndCheck(k, st.b);
}
