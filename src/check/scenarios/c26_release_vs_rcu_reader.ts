/**
 * C26. Pool release against an RCU reader of zswap_pools. The prelude (on the init task) stores
 * page A in P_old ("sim") and switches to "sim-b", so P_old is killed and pinned only by A's
 * entry. Then W stores page B, whose zswap_check_limits() walks zswap_pools under
 * rcu_read_lock() (zswap_total_pages()) and may be preempted at P_old, while R swaps A in,
 * freeing P_old's last entry: the ref reaches zero, __zswap_pool_empty() unlinks P_old and
 * queues its release.
 *
 * __zswap_pool_release() starts with synchronize_rcu(): the release waits until W has left its
 * read-side section, so W never reads a freed pool. Without it (a test variant), W reads
 * pool->zs_pool after zswap_pool_destroy() freed the pool: a KASAN use-after-free.
 *
 * Oracle: KASAN on every pool access; at quiescence the engine's invariants (no released pool
 * on the list, every entry's pool alive) and the data oracle (A and B read back intact).
 */
import type { Op } from "../../kernel/effect.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { storeOnly } from "./bodies.ts";
import { switchCompressor } from "./common.ts";

const state = new WeakMap<object, SwpEntry | null>();

export const C26: Scenario = {
  id: "C26",
  title: "pool release against an RCU reader of zswap_pools",
  bad: "a pool is freed while a zswap_total_pages() walk that found it is still inside its RCU read-side section",
  nrCpus: 2,
  *prelude(env) {
    state.set(env.oracle, yield* env.oracle.swapOut(env.k, testPage(260)));
    yield* switchCompressor(env, "sim-b");
  },
  actors: (env) => [actorOf("W", 0, storeOnly(env, 261)), actorOf("R", 1, loadA(env))],
};

/** R: swaps page A in, freeing the old pool's last entry. */
function* loadA({ k, oracle }: ScenarioEnv): Op<void> {
  const a = state.get(oracle) ?? null;
  if (a !== null) yield* oracle.swapInAndCheck(k, a);
}
