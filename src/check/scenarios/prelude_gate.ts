/**
 * The old form of a scenario with a prelude, for comparisons only (scripts/prelude_gate.ts and
 * its test): the prelude runs in a *work* that the actors queue, and every actor waits for it
 * with flush_work() before its body, as C14-C27 did before their preludes moved to the init
 * task (docs/checking.md, "Reach"). The search then also explores the orders of the gate's
 * steps against the prelude's and the actors' moves while asleep in flush_work(); comparing
 * the final states both forms reach shows that those extra executions reach none of their own.
 *
 * Not on the checker's path: the generator closures here are made per execution, which is what
 * the converted scenarios avoid (src/check/scenarios/bodies.ts).
 */
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { flushWork, queueWork, Work } from "../../kernel/workqueue.ts";
import { swapState } from "../../mm/swap.ts";
import type { Program } from "../../sim/explore.ts";
import { zswapState } from "../../zswap/state.ts";
import { type Actor, actor, type Scenario, type ScenarioEnv } from "../harness.ts";

/**
 * `scenario` with its prelude moved into a work that every actor flushes first (an empty work
 * if it has none: C22's old form).
 */
export function gatedPrelude(scenario: Scenario): Scenario {
  const { prelude, ...rest } = scenario;
  return {
    ...rest,
    actors(env: ScenarioEnv): Actor[] {
      const work = new Work(`${scenario.id} prelude`, () =>
        prelude === undefined ? nothing() : prelude.call(scenario, env),
      );
      queueWork(env.k, work);
      return scenario.actors(env).map((a) =>
        actor(a.name, a.cpu, function* (): Op<void> {
          yield* flushWork(env.k, work);
          yield* a.body;
        }),
      );
    },
  };
}

function* nothing(): Op<void> {}

/**
 * What an execution did, as zswap and the swap layer's counters show it once every task (the
 * end phase's swap-ins included) is done: debugfs counters, vm events, the pools (compressor,
 * killed, references), memcg charges, the shrink cursor and free swap slots. Where tasks ran is
 * left out on purpose: that is what the gate changes.
 */
export function finalState(k: Kernel): string {
  const z = zswapState(k);
  const pools = z.pools.map((p) => `${p.data.tfmName}:${p.data.ref?.killed}:${p.data.ref?.count}`);
  const memcgs = [...z.rootMemcg.walk()].map((m) => `${m.name}:${m.zswapped}:${m.zswapBytes}`);
  const free = swapState(k).devices.map((d) => d.nrFree);
  return JSON.stringify([z.stats, z.events, pools, memcgs, z.nextShrink?.name ?? null, free]);
}

/** `program`, adding each finished execution's finalState() to `into`. */
export function recordingFinalStates(program: Program, into: Set<string>): Program {
  return {
    ...program,
    setup(k) {
      program.setup(k);
      k.finishHooks.push(() => into.add(finalState(k)));
    },
  };
}
