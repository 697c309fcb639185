/**
 * Splitting the bounded exhaustive search (phase 2 of a check) into parts, for `check --jobs N`
 * (worker threads) and `check --shard i/N` (machines), and combining the parts' results into
 * what one unsplit search gives.
 *
 * The dfs order falls into units (src/sim/strategy_dfs.ts, "Units"): contiguous blocks, listed
 * from the plain execution alone. Part i of N runs the plain execution (to list the units), then
 * the units u with u mod N = i in dfs order, each exactly as the unsplit dfs runs it, and stops
 * at its first bug (later units of the dfs order do not count once a bug is found) or once its
 * own executions reach the cap. Units near the end of the list are the large ones (an early
 * first departure leaves the most of the bound), so dealing them round-robin balances the parts.
 *
 * Combining walks the units in dfs order and adds them up until the first bug: the executions,
 * step-bound hits and coverage before it are those of the unsplit search, and the bug is the one
 * it finds first (the lowest unit, not the part that finished first).
 *
 * Lockdep: the unsplit search shares one lockdep graph across its executions; a part gives each
 * unit a fresh graph, so that a unit's result does not depend on how the units were dealt. The
 * edges each unit added come back with it. If their union (up to the first bug) has a cycle, some
 * lock-order inversion has its halves in different units, which the unsplit search reports and
 * the parts did not see: `combineParts` then says `sequential`, and the caller runs the search
 * unsplit. Otherwise every edge the unsplit search would have checked was in the same unit's
 * graph, and no report fires earlier.
 *
 * The cap: the unsplit search stops after `cap` executions, in the middle of some unit. The
 * parts ran that unit further; `combineParts` leaves it out and names it (`truncated`), and the
 * caller runs its first executions again, up to the cap (`explorePrefix`), so that the coverage
 * is that of the unsplit search too.
 */
import { LockdepGraph } from "../kernel/lockdep.ts";
import { Coverage, type CoverageJson } from "../sim/coverage.ts";
import { type ExploreResult, explore, type Program } from "../sim/explore.ts";
import { type DfsNode, type DfsUnit, dfsUnit, dfsUnits } from "../sim/strategy_dfs.ts";

export interface UnitResult {
  /** Index in the dfs order of units. */
  readonly unit: number;
  readonly executions: number;
  readonly stepBoundHits: number;
  /** The explorer's token of the failing execution, or null. */
  readonly bugToken: string | null;
  readonly coverage: CoverageJson;
  /** Lock-order edges the unit added, [from, to]. */
  readonly edges: ReadonlyArray<readonly [string, string]>;
}

export interface PartResult {
  readonly index: number;
  readonly count: number;
  /** Units in the whole search. */
  readonly units: number;
  /** The part's units it ran, ascending; it stops after a bug or at the cap. */
  readonly results: readonly UnitResult[];
}

export interface PartOptions {
  readonly bound: number;
  readonly cap: number;
  readonly stepsMax?: number;
  /** Partial-order reduction (src/sim/footprint.ts): it decides per execution, so units compose. */
  readonly por?: boolean;
}

/** Runs part `index` of `count` of the dfs search of `program`. */
/** The first `keep` executions of unit `u` (where the cap cut the unsplit search). */
export function explorePrefix(
  program: Program,
  u: number,
  keep: number,
  o: PartOptions,
): UnitResult {
  let plain: readonly DfsNode[] = [];
  const first = runUnit(program, 0, { ...o, cap: keep }, (ex) => {
    plain = ex;
  });
  if (u === 0) return first.result;
  const unit = dfsUnits(plain, o.bound)[u] as DfsUnit;
  return runUnit(program, u, { ...o, cap: keep }, undefined, plain, unit).result;
}

export function explorePart(
  program: Program,
  index: number,
  count: number,
  o: PartOptions,
): PartResult {
  const results: UnitResult[] = [];
  let plain: readonly DfsNode[] = [];
  const first = runUnit(program, 0, o, (ex) => {
    plain = ex;
  });
  const units = dfsUnits(plain, o.bound);
  if (index === 0) results.push(first.result);
  let own = index === 0 ? first.result.executions : 0;
  // A bug in the plain execution ends the search: no other unit counts.
  if (first.result.bugToken !== null) return { index, count, units: units.length, results };
  for (let u = index === 0 ? count : index; u < units.length && own < o.cap; u += count) {
    const { result } = runUnit(program, u, o, undefined, plain, units[u] as DfsUnit);
    results.push(result);
    own += result.executions;
    if (result.bugToken !== null) break;
  }
  return { index, count, units: units.length, results };
}

function runUnit(
  program: Program,
  u: number,
  o: PartOptions,
  onPlain?: (nodes: readonly DfsNode[]) => void,
  plain: readonly DfsNode[] = [],
  unit: DfsUnit = { position: -1, value: 0 },
): { result: UnitResult } {
  const lockdep = new LockdepGraph();
  const coverage = new Coverage();
  const ex = dfsUnit(o.bound, plain, unit, { por: o.por === true });
  const r = explore({ ...program, config: { ...program.config, lockdep } }, ex, {
    executionsMax: o.cap,
    coverage,
    ...(o.stepsMax !== undefined ? { stepsMax: o.stepsMax } : {}),
  });
  onPlain?.(ex.lastNodes());
  return {
    result: {
      unit: u,
      executions: r.executions,
      stepBoundHits: r.stepBoundHits,
      bugToken: r.verdict === "bug" ? r.token : null,
      coverage: coverage.toJSON(),
      edges: lockdep.edgeList(),
    },
  };
}

export class SplitError extends Error {
  override name = "SplitError";
}

/** The unsplit search's result, from its parts (or `sequential`: see the lockdep note above). */
export type Combined =
  | { readonly sequential: true }
  | {
      readonly sequential: false;
      readonly verdict: ExploreResult["verdict"];
      readonly executions: number;
      readonly stepBoundHits: number;
      readonly bugToken: string | null;
      readonly coverage: Coverage;
      /** The unit the cap cut, left out of the figures: run its first `keep` executions. */
      readonly truncated: { readonly unit: number; readonly keep: number } | null;
    };

export function combineParts(parts: readonly PartResult[], cap: number): Combined {
  const byUnit = new Map<number, UnitResult>();
  const units = parts[0]?.units ?? 0;
  for (const p of parts) {
    if (p.units !== units)
      throw new SplitError(`parts disagree on the number of units (${p.units} vs ${units})`);
    for (const r of p.results) byUnit.set(r.unit, r);
  }
  const coverage = new Coverage();
  const edges: Array<readonly [string, string]> = [];
  let executions = 0;
  let stepBoundHits = 0;
  for (let u = 0; u < units; u++) {
    const r = byUnit.get(u);
    if (r === undefined) {
      // Its part stopped at the cap before reaching it: so did the unsplit search.
      if (executions >= cap) break;
      throw new SplitError(`unit ${u} of ${units} is in no part: a part is missing`);
    }
    edges.push(...r.edges);
    if (r.edges.length > 0 && hasCycle(edges)) return { sequential: true };
    const before = executions;
    executions += r.executions;
    if (executions > cap) {
      // The unsplit search stops inside this unit (before its bug, if it has one).
      const truncated = { unit: u, keep: cap - before };
      return { ...figures("bound", cap, stepBoundHits, null, coverage), truncated };
    }
    coverage.merge(Coverage.fromJSON(r.coverage));
    stepBoundHits += r.stepBoundHits;
    if (r.bugToken !== null)
      return {
        ...figures("bug", executions, stepBoundHits, r.bugToken, coverage),
        truncated: null,
      };
    if (executions >= cap) break;
  }
  const verdict = executions >= cap ? "bound" : "exhausted";
  return { ...figures(verdict, executions, stepBoundHits, null, coverage), truncated: null };
}

function figures(
  verdict: ExploreResult["verdict"],
  executions: number,
  stepBoundHits: number,
  bugToken: string | null,
  coverage: Coverage,
) {
  return { sequential: false as const, verdict, executions, stepBoundHits, bugToken, coverage };
}

/** Whether the lock-class graph has a cycle (iterative three-colour depth-first search). */
function hasCycle(edges: ReadonlyArray<readonly [string, string]>): boolean {
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) {
    const list = next.get(from) ?? [];
    list.push(to);
    next.set(from, list);
  }
  const colour = new Map<string, 1 | 2>();
  for (const root of next.keys()) {
    if (colour.has(root)) continue;
    const stack: Array<[string, number]> = [[root, 0]];
    colour.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [string, number];
      const succ = next.get(top[0]) ?? [];
      if (top[1] >= succ.length) {
        colour.set(top[0], 2);
        stack.pop();
        continue;
      }
      const n = succ[top[1]++] as string;
      const c = colour.get(n);
      if (c === 1) return true;
      if (c === undefined) {
        colour.set(n, 1);
        stack.push([n, 0]);
      }
    }
  }
  return false;
}
