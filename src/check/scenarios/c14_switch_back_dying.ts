/**
 * C14. Switching back to a pool that is dying (find_get vs release). The prelude (on the init
 * task, before S and R exist: see docs/checking.md, "Reach") stores page A in P_old ("sim") and
 * switches to "sim-b", so P_old is killed and pinned only by A's entry. Then
 * S switches back to "sim" while R swaps A in, freeing P_old's last entry:
 * - R first: P_old's ref reaches zero, __zswap_pool_empty() unlinks it and queues its release;
 *   S's find_get no longer sees it and creates a new pool;
 * - S first: find_get's tryget succeeds on the killed-but-live ref, S unlinks it, resurrects it
 *   and makes it current again; R's free then leaves it alive.
 *
 * Oracle: a pool whose release work is queued must never be resurrected (__zswap_pool_release's
 * WARN_ON(!percpu_ref_is_zero) fires, or KASAN sees the destroyed pool used); at quiescence the
 * current pool is "sim" and engine.ts's invariants hold (no released pool on the list).
 */
import type { Op } from "../../kernel/effect.ts";
import { KernelBug } from "../../kernel/report.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { switchCompressor } from "./common.ts";

/** Page A's slot, per execution (keyed by the execution's oracle). */
const slotA = new WeakMap<object, SwpEntry | null>();

export interface C14Options {
  /** S's switch back to "sim" (test-only: a broken switch proves the scenario can fail). */
  readonly switchBack?: (env: ScenarioEnv, compressor: string) => Op<number>;
}

export function makeC14(o: C14Options = {}): Scenario {
  const switchBack = o.switchBack ?? switchCompressor;
  return {
    id: "C14",
    title: "switching back to a pool that is dying (find_get vs release)",
    bad: "a pool whose release work is already queued is resurrected and made current",
    nrCpus: 2,
    *prelude(env) {
      slotA.set(env.oracle, yield* env.oracle.swapOut(env.k, testPage(140)));
      yield* switchCompressor(env, "sim-b");
    },
    arm(env) {
      env.k.finishHooks.push(() => checkCurrentIsSim(env));
    },
    actors: (env) => [
      actorOf("S", 0, switchBackAndStore(env, switchBack)),
      actorOf("R", 1, loadA(env)),
    ],
  };
}

/** S: switches back to "sim", then stores through whichever pool is current (it must work). */
function* switchBackAndStore(
  env: ScenarioEnv,
  switchBack: (env: ScenarioEnv, compressor: string) => Op<number>,
): Op<void> {
  yield* switchBack(env, "sim");
  yield* env.oracle.swapOut(env.k, testPage(141));
}

/** R: swaps page A in, freeing the old pool's last entry. */
function* loadA({ k, oracle }: ScenarioEnv): Op<void> {
  const a = slotA.get(oracle) ?? null;
  if (a !== null) yield* oracle.swapInAndCheck(k, a);
}

export const C14 = makeC14();

function checkCurrentIsSim(env: ScenarioEnv): void {
  const head = env.z.pools[0];
  if (head !== undefined && !head.freed && head.data.tfmName === "sim") return;
  throw new KernelBug(
    "assertion",
    "C14: after switching back, the current pool is not a live 'sim' pool",
    [
      `current pool: ${head === undefined ? "none" : `${head.data.name}(${head.data.tfmName})${head.freed ? " [freed]" : ""}`}`,
    ],
  );
}
