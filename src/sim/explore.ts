/**
 * Exploration: runs a program many times under an exploration strategy until a bug is found or
 * the strategy or the execution bound is exhausted.
 *
 * One lockdep graph serves every execution of an exploration (as lockdep's graph outlives one
 * syscall), so a lock-order inversion whose two halves happen in different executions is still
 * reported, even when no execution deadlocks.
 */
import { Kernel, type KernelConfig } from "../kernel/kernel.ts";
import { LockdepGraph } from "../kernel/lockdep.ts";
import { type ExecutionResult, type ExecutorOptions, SimExecutor } from "./executor.ts";
import type { ExplorationStrategy, Strategy } from "./strategy.ts";

/** A program under test: builds its tasks on a fresh kernel (no effects may run here). */
export interface Program {
  readonly name: string;
  readonly config: KernelConfig;
  setup(k: Kernel): void;
}

export interface ExploreOptions extends ExecutorOptions {
  /** Bound on executions (default 10,000). */
  readonly executionsMax?: number;
  /** Called every `progressEvery` executions (default 1,000). */
  readonly onProgress?: (executions: number) => void;
  readonly progressEvery?: number;
}

export interface ExploreResult {
  /** "bug": a detector fired; "exhausted": the strategy covered its space; "bound": executionsMax hit. */
  readonly verdict: "bug" | "exhausted" | "bound";
  readonly executions: number;
  readonly failing: ExecutionResult | null;
  readonly token: string | null;
  readonly message: string;
  /**
   * Executions that reached the step bound and were not classified as a liveness bug (long but
   * finite, or unclassified): the search did not branch beyond the bound.
   */
  readonly stepBoundHits: number;
  /**
   * Executions the partial-order reduction stopped early as redundant (src/sim/footprint.ts);
   * they are counted in `executions` too.
   */
  readonly pruned: number;
  /**
   * The lockdep graph shared by the executions. A circular-locking report can depend on edges
   * from earlier executions (`lockdep.contributing`): replay the token with this graph in the
   * program's config to reproduce it.
   */
  readonly lockdep?: LockdepGraph;
}

/** Runs one execution of `program` under `strategy`. */
export function runOnce(
  program: Program,
  strategy: Strategy,
  options: ExecutorOptions = {},
): ExecutionResult {
  return runWithConfig(program, program.config, strategy, options);
}

function runWithConfig(
  program: Program,
  config: KernelConfig,
  strategy: Strategy,
  options: ExecutorOptions,
): ExecutionResult {
  const k = new Kernel(config);
  program.setup(k);
  return new SimExecutor(k, strategy, options).run();
}

export function explore(
  program: Program,
  exploration: ExplorationStrategy,
  options: ExploreOptions = {},
): ExploreResult {
  const executionsMax = options.executionsMax ?? 10_000;
  const every = options.progressEvery ?? 1_000;
  const lockdep = program.config.lockdep ?? new LockdepGraph();
  const config: KernelConfig = { ...program.config, lockdep };
  let stepBoundHits = 0;
  let pruned = 0;
  const por = exploration.por === true;
  const dpor = exploration.dpor === true;
  // Tokens of the executions that added lock-order edges: a circular-locking report may rest on
  // them, and its replay runs them first (see replayComposite).
  const contributed = new Map<number, string>();
  let i = 0;
  for (; i < executionsMax; i++) {
    const strategy = exploration.next(i);
    if (strategy === null) {
      const cover = exploration.coverage?.() ?? `${i} executions`;
      return {
        verdict: "exhausted",
        executions: i,
        failing: null,
        token: null,
        stepBoundHits,
        pruned,
        message: `verified: ${cover}`,
      };
    }
    lockdep.execution = i;
    const r = runWithConfig(program, config, strategy, { ...options, trace: false, por, dpor });
    exploration.done?.(r.log, r.steps);
    options.coverage?.execution(r.log.values);
    if (r.outcome === "step-bound") stepBoundHits++;
    if (r.outcome === "pruned") {
      // Its twin adds the same lock-order edges; a report must not cite a cut-short execution.
      pruned++;
      lockdep.forget(i);
    }
    if (lockdep.contributing.has(i) && r.outcome !== "bug") contributed.set(i, r.log.token());
    if (r.outcome === "bug") {
      const prior = r.bug?.kind === "circular-locking" ? [...contributed.values()] : [];
      const token = [...prior, r.log.token()].join("+");
      return {
        verdict: "bug",
        executions: i + 1,
        failing: r,
        token,
        stepBoundHits,
        pruned,
        message: r.message,
        lockdep,
      };
    }
    if (options.onProgress && (i + 1) % every === 0) options.onProgress(i + 1);
  }
  return {
    verdict: "bound",
    executions: i,
    failing: null,
    token: null,
    stepBoundHits,
    pruned,
    message: `Execution bound hit: ${executionsMax} executions of ${program.name} under ${exploration.name} found no bug`,
  };
}
