/**
 * Actor bodies the lifecycle scenarios share, as top-level generator functions that take what
 * they use as arguments (`actorOf("T", 0, storeAndLoad(env, 1))`), not generator closures
 * written in `actors(env)`. The checker runs a scenario tens of thousands of times, and V8 gives
 * every generator function object that is called its own hidden class in the old generation,
 * which points back at the closure: a closure per execution kept each execution's kernel alive
 * through the young-generation GCs until the next full one (the collector was 38% of a C1
 * check; docs/checking.md, "Speed"). Top-level functions are created once.
 */
import { cpuDown, cpuUp } from "../../kernel/cpu_updown.ts";
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { directReclaim } from "../../kernel/memory.ts";
import type { ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";
import { switchCompressor } from "./common.ts";

/** Swaps test page `tag` out, then in again, checking its bytes. */
export function* storeAndLoad({ k, oracle }: ScenarioEnv, tag: number): Op<void> {
  const swp = yield* oracle.swapOut(k, testPage(tag));
  if (swp !== null) yield* oracle.swapInAndCheck(k, swp);
}

/** Swaps test page `tag` out (the data oracle checks it at the end). */
export function* storeOnly({ k, oracle }: ScenarioEnv, tag: number): Op<void> {
  yield* oracle.swapOut(k, testPage(tag));
}

/** Takes each CPU of `cpus` offline in turn (whatever each cpu_down returns). */
export function* offline(k: Kernel, ...cpus: number[]): Op<void> {
  for (const cpu of cpus) yield* cpuDown(k, cpu);
}

/** Brings `cpu` online. */
export function* online(k: Kernel, cpu: number): Op<void> {
  yield* cpuUp(k, cpu);
}

/** `cycles` times: `cpu` offline, then online again; stops at the first failure. */
export function* offlineOnline(k: Kernel, cpu: number, cycles = 1): Op<void> {
  for (let i = 0; i < cycles; i++) {
    if ((yield* cpuDown(k, cpu)) !== 0) return;
    if ((yield* cpuUp(k, cpu)) !== 0) return;
  }
}

/** Switches zswap's compressor to `name` (a new pool, or back to a live old one). */
export function* switchTo(env: ScenarioEnv, name: string): Op<void> {
  yield* switchCompressor(env, name);
}

/** Direct reclaim on the actor's task (kswapd's role in the scenarios). */
export function* reclaim(k: Kernel): Op<void> {
  yield* directReclaim(k);
}
