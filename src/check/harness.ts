/**
 * The harness that turns (design, scenario) into a Program for the explorer: a kernel with the
 * simulator's compressors, zswap on the chosen design, an in-memory swap device, the scenario's
 * actors, and the oracles that run when they are done (data integrity, ctx-resource leaks).
 *
 * Setup (the first pool) runs in an init task before any actor exists, so exploration spends
 * its decisions on the scenario, not on boot.
 */

import { setCryptoAlgorithms } from "../crypto/acomp.ts";
import { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import { iaaSimCompressorFactory, simCompressorFactory } from "../crypto/algorithms/sim.ts";
import type { CompressorFactory } from "../crypto/algorithms/types.ts";
import { iaaSimBatchCompressorFactory } from "../crypto/iaa_crypto.ts";
import type { Op } from "../kernel/effect.ts";
import type { Kernel, KernelConfig } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import type { PointsLevel } from "../kernel/points.ts";
import { KernelBug } from "../kernel/report.ts";
import { swapon } from "../mm/swap.ts";
import { MemoryStorage } from "../mm/swap_storage.ts";
import type { Program } from "../sim/explore.ts";
import { isBatchingDesign } from "../zswap/acomp_ctx/d7_batch.ts";
import type { AcompCtxDesign } from "../zswap/acomp_ctx/design.ts";
import type { ZswapState } from "../zswap/state.ts";
import { zswapInit, zswapSetup } from "../zswap/zswap.ts";
import { checkCtxLeaks } from "./leaks.ts";
import { DataOracle } from "./oracle.ts";

/** A second name for the sim compressor, so scenarios can switch pools. */
export const SIM_B: CompressorFactory = { ...simCompressorFactory, name: "sim-b" };

export interface ScenarioEnv {
  readonly k: Kernel;
  readonly z: ZswapState;
  readonly oracle: DataOracle;
  readonly design: AcompCtxDesign;
}

export interface Actor {
  readonly name: string;
  readonly cpu: number;
  readonly body: Op<void>;
}

/**
 * An actor running `body` as task `name`, starting on `cpu`. `body` is usually a generator
 * closure written in `actors(env)`: simple, but each execution then calls a new generator
 * function object, which V8 keeps reachable from the old generation until a full GC (see
 * `actorTask`). Scenarios on the hot path use `actorOf` with a top-level generator.
 */
export function actor(name: string, cpu: number, body: () => Op<void>): Actor {
  return { name, cpu, body: body() };
}

/** An actor running `op` (made by calling a top-level generator function) as task `name`. */
export function actorOf(name: string, cpu: number, op: Op<void>): Actor {
  return { name, cpu, body: op };
}

export interface Scenario {
  /** "C1". */
  readonly id: string;
  readonly title: string;
  /** What can go wrong, for reports. */
  readonly bad: string;
  readonly nrCpus: number;
  /** CPUs online at boot (default: all). */
  readonly onlineCpus?: readonly number[];
  /** Designs the scenario does not apply to ("–" in the matrix). */
  readonly notApplicable?: readonly string[];
  /**
   * Runs on the init task after setup, before the actors exist: state the scenario starts from
   * (its steps have no alternative to explore, so they cost no search).
   */
  prelude?(env: ScenarioEnv): Op<void>;
  /** Extra algorithms the scenario's pool needs (registered beside the sim ones). */
  readonly algorithms?: readonly CompressorFactory[];
  /** The compressor of the first pool (default: the check's, "sim" or "iaa-sim"). */
  readonly compressor?: string;
  /** Called after setup, before the actors start: fault and reclaim policy. */
  arm?(env: ScenarioEnv): void;
  actors(env: ScenarioEnv): Actor[];
  /** Runs after every actor finished, before the oracle verifies the data. */
  finish?(env: ScenarioEnv): Op<void>;
}

export interface ProgramOptions {
  /** False: exact mode, only deadlocks that happen are reported, not lock orders. */
  readonly lockdep?: boolean;
  /** The pool's compressor: "sim" (synchronous, default) or "iaa-sim" (completes from an interrupt). */
  readonly compressor?: "sim" | "iaa-sim";
  /** Preemption points besides the sleeping calls (src/kernel/points.ts; default DEFAULT_POINTS). */
  readonly points?: PointsLevel;
}

export function scenarioProgram(
  design: AcompCtxDesign,
  scenario: Scenario,
  opts: ProgramOptions = {},
): Program {
  const compressor = opts.compressor ?? "sim";
  const config: KernelConfig = {
    nrCpus: scenario.nrCpus,
    ...(scenario.onlineCpus ? { onlineCpus: scenario.onlineCpus } : {}),
    ...(opts.lockdep === false ? { lockdepChecks: false } : {}),
    ...(opts.points !== undefined ? { points: opts.points } : {}),
  };
  // A registry is immutable: one serves every execution of the program.
  const registry = new CompressorRegistry([
    simCompressorFactory,
    SIM_B,
    iaaSimCompressorFactory,
    iaaSimBatchCompressorFactory,
    ...(scenario.algorithms ?? []),
  ]);
  return {
    name: `${design.name} x ${scenario.id}${opts.lockdep === false ? " (exact mode)" : ""}${compressor === "sim" ? "" : ` (${compressor})`}${opts.points === undefined ? "" : ` (points ${opts.points})`}`,
    config,
    setup(k: Kernel) {
      setCryptoAlgorithms(k, registry);
      const z = zswapInit(k, {
        design,
        ...(isBatchingDesign(design) ? { profile: design.profile } : {}),
        params: {
          compressor: scenario.compressor ?? compressor,
          enabled: true,
          shrinker_enabled: true,
        },
      });
      memory(k).totalramPages = 1 << 16;
      swapon(k, new MemoryStorage(256));
      const env: ScenarioEnv = { k, z, oracle: new DataOracle(), design };
      const bootCpu = k.cpus.onlineList()[0] as number;
      k.spawn("init", bootCpu, init(env, scenario));
      k.finishHooks.push(() => checkCtxLeaks(k));
    },
  };
}

function* init(env: ScenarioEnv, scenario: Scenario): Op<void> {
  const ret = yield* zswapSetup(env.k);
  if (ret !== 0)
    throw new KernelBug("assertion", `zswap setup failed with ${ret} before the scenario started`);
  if (scenario.prelude) yield* scenario.prelude(env);
  scenario.arm?.(env);
  const actors = scenario.actors(env);
  const left = { actors: actors.length };
  for (const a of actors) env.k.spawn(a.name, a.cpu, actorTask(env, scenario, a, left));
}

/**
 * An actor's task: its body, then, for the last actor to finish, the end phase on its own task.
 * A top-level generator on purpose, as are the bodies of `actorOf`: V8 gives every generator
 * *function object* that is called its own hidden class (map), allocated in the old
 * generation, which points back at the function and its closure; a generator closure created
 * and called per execution therefore keeps that execution's objects (the whole kernel) alive
 * through every young-generation GC until the next full one. Measured on C1 x D7, see
 * docs/checking.md, "Speed".
 */
function* actorTask(
  env: ScenarioEnv,
  scenario: Scenario,
  a: Actor,
  left: { actors: number },
): Op<void> {
  yield* a.body;
  if (--left.actors === 0) {
    if (scenario.finish) yield* scenario.finish(env);
    yield* env.oracle.verify(env.k);
  }
}
