/**
 * The proof obligation of the partial-order reduction (src/sim/footprint.ts), cell by cell:
 * the exhaustive search of a design x scenario cell with reduction gives the same verdict as
 * without it, and every bug class an execution shows without it is shown by one with it.
 *
 * `compareCell` walks the whole dfs tree of a cell twice (without and with reduction), not
 * stopping at the first bug, and collects the bug classes of every execution; the verdict is
 * the one the check's search would give (the first bug, or exhausted, or the cap, and whether
 * an execution reached the step bound). scripts/por_equivalence.ts runs it on every cell and
 * prints the reduction factor; por_equivalence.test.ts runs a representative subset.
 */
import { Kernel } from "../kernel/kernel.ts";
import { LockdepGraph } from "../kernel/lockdep.ts";
import type { BugKind } from "../kernel/report.ts";
import { SimExecutor } from "../sim/executor.ts";
import { dfs } from "../sim/strategy_dfs.ts";
import { designByName } from "../zswap/acomp_ctx/index.ts";
import { type BugClass, bugClass } from "./expected.ts";
import { scenarioProgram } from "./harness.ts";
import { scenarioById } from "./scenarios/index.ts";

export interface TreeWalk {
  /** "bug" (first bug class), "exhausted", "exhausted, step bound hit", or "cap". */
  readonly verdict: string;
  readonly firstBug: BugClass | null;
  /** Every bug class some execution showed, sorted. */
  readonly classes: readonly BugClass[];
  /** Executions run (with reduction: complete ones plus those stopped early). */
  readonly executions: number;
  readonly pruned: number;
  readonly ms: number;
}

export interface CellCompare {
  readonly cell: string;
  readonly without: TreeWalk;
  readonly with: TreeWalk;
  /** Same verdict, and every class found without is found with. */
  readonly ok: boolean;
}

export interface CompareOptions {
  readonly bound?: number;
  /** Executions per walk before it gives up ("cap"; default 100,000). */
  readonly cap?: number;
  /** Exact mode (lockdep's ordering checks off). */
  readonly exact?: boolean;
  readonly clock?: () => number;
  /** Compare without reduction against dynamic partial-order reduction (`--dpor`), not `--por`. */
  readonly dpor?: boolean;
}

/** Which reduction a walk uses. */
export type Reduction = "none" | "por" | "dpor";

/** Walks the whole dfs tree of `design` x `scenario` (see the file comment). */
export function walkTree(
  design: string,
  scenario: string,
  reduction: boolean | Reduction,
  o: CompareOptions = {},
): TreeWalk {
  const dpor = reduction === "dpor";
  const por = reduction === true || reduction === "por" || dpor;
  const clock = o.clock ?? (() => 0);
  const t0 = clock();
  const program = scenarioProgram(designByName(design), scenarioById(scenario), {
    lockdep: o.exact !== true,
  });
  const lockdep = new LockdepGraph();
  const config = { ...program.config, lockdep };
  const ex = dfs(o.bound ?? 2, { por, dpor });
  const cap = o.cap ?? 100_000;
  const classes = new Set<BugClass>();
  let firstBug: BugClass | null = null;
  let stepBound = false;
  let pruned = 0;
  let i = 0;
  for (; i < cap; i++) {
    const strategy = ex.next(i);
    if (strategy === null) break;
    lockdep.execution = i;
    const k = new Kernel(config);
    program.setup(k);
    const r = new SimExecutor(k, strategy, { por, dpor }).run();
    ex.done?.(r.log, r.steps);
    if (r.outcome === "pruned") {
      pruned++;
      lockdep.forget(i);
    }
    if (r.outcome === "step-bound") stepBound = true;
    if (r.bug !== null) {
      const cls = bugClass(r.bug.kind as BugKind);
      classes.add(cls);
      firstBug ??= cls;
    }
  }
  const capped = i >= cap && ex.next(i) !== null;
  const verdict =
    firstBug !== null
      ? `bug (${firstBug})`
      : capped
        ? "cap"
        : stepBound
          ? "exhausted, step bound hit"
          : "exhausted";
  const ms = Math.round(clock() - t0);
  return { verdict, firstBug, classes: [...classes].sort(), executions: i, pruned, ms };
}

/**
 * Both walks of one cell. Verdicts agree when both found a bug (its class may differ: the first
 * bug in dfs order may lie in a skipped execution, whose twin comes later), or neither did and
 * they ended the same way; every class of the walk without reduction must be in the other's.
 */
export function compareCell(design: string, scenario: string, o: CompareOptions = {}): CellCompare {
  const without = walkTree(design, scenario, false, o);
  const withPor = walkTree(design, scenario, o.dpor ? "dpor" : "por", o);
  const sameVerdict =
    without.firstBug !== null
      ? withPor.firstBug !== null
      : withPor.firstBug === null && withPor.verdict === without.verdict;
  const covered = without.classes.every((c) => withPor.classes.includes(c));
  const cell = `${design} x ${scenario}${o.exact ? " (exact)" : ""}`;
  return { cell, without, with: withPor, ok: sameVerdict && covered };
}
