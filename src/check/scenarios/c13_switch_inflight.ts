/**
 * C13. Pool switch while stores are in flight. W stores into the current pool P1 (its
 * temporary reference from zswap_pool_current_get() keeps P1 alive while it compresses) while S
 * switches the compressor: P2 becomes current and P1 is killed. P1 must live until its last
 * entry is freed (each entry pins its pool, and load uses entry->pool), and then go.
 *
 * Oracle: KASAN sees any use of P1 or its ctxs after the destroy; at quiescence (the scenario's
 * own check, and engine.ts's invariants) P1 is destroyed, P2 is current, and every pool still on
 * the list is pinned by exactly its entries.
 */

import { liveObjects } from "../../kernel/memory.ts";
import { KernelBug } from "../../kernel/report.ts";
import type { PoolObj } from "../../zswap/types.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { storeAndLoad, storeOnly, switchTo } from "./bodies.ts";

export const C13: Scenario = {
  id: "C13",
  title: "pool switch while stores are in flight",
  bad: "the old pool is destroyed (ctxs freed) while an in-flight store or a later load of one of its entries still uses it",
  nrCpus: 2,
  arm(env) {
    env.k.finishHooks.push(() => checkOldPoolGone(env));
  },
  actors: (env) => [
    actorOf("W", 0, storeAndLoad(env, 130)),
    // Stays stored until the end phase loads it, from whichever pool took it.
    actorOf("W2", 1, storeOnly(env, 131)),
    actorOf("S", 1, switchTo(env, "sim-b")),
  ],
};

/** At quiescence: no "sim" pool lives any more, and "sim-b" is the current pool. */
function checkOldPoolGone(env: ScenarioEnv): void {
  const live = liveObjects(env.k, (o) => o.label === "zswap_pool") as PoolObj[];
  const old = live.filter((p) => p.data.tfmName === "sim");
  const head = env.z.pools[0];
  if (old.length === 0 && head !== undefined && head.data.tfmName === "sim-b") return;
  throw new KernelBug(
    "assertion",
    "C13: the old pool outlived its last entry, or the switch did not take",
    [
      `live pools: ${live.map((p) => `${p.data.name}(${p.data.tfmName})`).join(", ") || "none"}`,
      `current pool: ${head === undefined ? "none" : `${head.data.name}(${head.data.tfmName})`}`,
    ],
  );
}
