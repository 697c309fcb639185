/**
 * Bounded exhaustive search: depth-first over the decision tree, with a preemption bound
 * (iterative context bounding, Musuvathi and Qadeer, PLDI 2007).
 *
 * Each execution follows the previous one's decisions up to the deepest decision that still
 * has an untried option within the bound, takes that option, and answers 0 ("keep going") to
 * every decision after it. A decision costs 1 when it departs from the plain execution while
 * the running task could have gone on: a preemption (switching away from a runnable task), a
 * migration, an injected allocation failure, or entering reclaim. Switching after a task
 * blocked or finished is free. With bound k, every execution with at most k such departures is
 * run exactly once; when the tree is exhausted the result is "verified up to bound k".
 *
 * Partial-order reduction (`dfs(bound, { por: true })`, src/sim/footprint.ts): a migration that
 * nothing observes before the task's next migration or end has a cheaper twin execution, so the
 * search never answers a migrate decision with a move while the task's last move is unobserved,
 * and the executor stops an execution whose task ends with one. Scheduling decisions are not
 * reduced (see docs/checking.md, "Partial-order reduction", for why).
 *
 * Units (for splitting the search across workers and machines, src/check/split.ts): the tree
 * falls into contiguous blocks of the dfs order. Unit 0 is the plain execution (all zeros);
 * every other execution has a first non-zero decision, at position p with value v, and the
 * executions sharing (p, v) are a subtree that the dfs runs in one block (zeros before p, so
 * nothing is spent before p). The blocks come in the order: plain, then p from the deepest
 * decision of the plain execution up to 0, v ascending. `dfsUnits` lists them from the plain
 * execution's decisions, and `dfsUnit` runs one block exactly as `dfs` runs it.
 */
import type { ChoiceKind } from "../kernel/effect.ts";
import { DporNodeInfo } from "./dpor.ts";
import type { ChoiceContext, ExplorationStrategy, Strategy } from "./strategy.ts";

export interface DfsNode {
  value: number;
  readonly n: number;
  readonly kind: ChoiceKind;
  /** Whether a non-zero answer here is a departure (costs 1). */
  readonly costly: boolean;
  /** With reduction: a non-zero answer here is redundant, never tried. */
  readonly redundant: boolean;
  /** With dpor, at "schedule" decisions: the options explored here (shared by the copies). */
  readonly info?: DporNodeInfo;
  /** With dpor: the options asleep here, and the option count of the migrate decision after. */
  readonly asleep?: readonly number[];
  readonly moveOptions?: number;
}

export interface DfsOptions {
  /** Partial-order reduction (src/sim/footprint.ts; default false). */
  readonly por?: boolean;
  /** Dynamic partial-order reduction (src/sim/dpor.ts; implies por; default false). */
  readonly dpor?: boolean;
}

export class NondeterminismError extends Error {
  override name = "NondeterminismError";
}

class DfsRun implements Strategy {
  readonly name = "dfs";
  readonly nodes: DfsNode[] = [];
  private pos = 0;
  private lastInfo: DporNodeInfo | null = null;

  constructor(
    private readonly prefix: readonly DfsNode[],
    private readonly dpor = false,
  ) {}

  dporInfo(): DporNodeInfo | null {
    return this.lastInfo;
  }

  choose(n: number, kind: ChoiceKind, ctx: ChoiceContext): number {
    const i = this.pos++;
    const costly = kind !== "schedule" || ctx.taskIds?.[0] === ctx.currentTaskId;
    const p = this.prefix[i];
    let value = 0;
    if (p !== undefined) {
      if (p.n !== n || p.kind !== kind) {
        throw new NondeterminismError(
          `dfs: decision ${i} had ${p.n} ${p.kind} options before and ${n} ${kind} options now; the program under test is not deterministic`,
        );
      }
      value = p.value;
    }
    const redundant = ctx.redundant === true;
    if (this.dpor && kind === "schedule") {
      const info = p?.info ?? new DporNodeInfo();
      this.lastInfo = info;
      const asleep = ctx.asleep ?? [];
      const moveOptions = ctx.moveOptions ?? 0;
      // A new decision whose option 0 is asleep with nothing to explore under it: the first
      // option awake instead (option 0 is not the running task then, so none costs anything).
      if (p === undefined && moveOptions === 0 && asleep.includes(0)) {
        while (value + 1 < n && asleep.includes(value)) value++;
      }
      this.nodes.push({ value, n, kind, costly, redundant, info, asleep, moveOptions });
    } else this.nodes.push({ value, n, kind, costly, redundant });
    return value;
  }
}

function cost(node: DfsNode, value: number): number {
  return node.costly && value !== 0 ? 1 : 0;
}

/**
 * The next prefix after `nodes` within `bound`, or null when the tree is exhausted. Only
 * positions after `floor` are changed (a unit's block ends when they are exhausted).
 */
function backtrack(nodes: readonly DfsNode[], bound: number, floor = -1): DfsNode[] | null {
  const spent: number[] = [];
  let total = 0;
  for (const node of nodes) {
    spent.push(total);
    total += cost(node, node.value);
  }
  for (let i = nodes.length - 1; i > floor; i--) {
    const node = nodes[i] as DfsNode;
    if (node.redundant) continue;
    for (let v = node.value + 1; v < node.n; v++) {
      if (node.asleep?.includes(v)) {
        const next = sleepingBranch(nodes, i, v, (spent[i] as number) + cost(node, v), bound);
        if (next !== null) return next;
        continue;
      }
      if ((spent[i] as number) + cost(node, v) <= bound) {
        const prefix = nodes.slice(0, i).map((x) => ({ ...x }));
        prefix.push({ ...node, value: v });
        return prefix;
      }
    }
  }
  return null;
}

/**
 * Option v of schedule decision i is asleep (src/sim/dpor.ts): its executions are stopped unless
 * the task switched away from migrates right after, so the search goes straight to the first
 * move (value 1 of the migrate decision that follows), or skips v when no move is possible or
 * the bound has no room for one.
 */
function sleepingBranch(
  nodes: readonly DfsNode[],
  i: number,
  v: number,
  spent: number,
  bound: number,
): DfsNode[] | null {
  const node = nodes[i] as DfsNode;
  const moves = node.moveOptions ?? 0;
  if (moves === 0 || spent + 1 > bound) return null;
  const prefix = nodes.slice(0, i).map((x) => ({ ...x }));
  prefix.push({ ...node, value: v });
  prefix.push({ value: 1, n: moves, kind: "migrate", costly: true, redundant: false });
  return prefix;
}

export interface DfsExploration extends ExplorationStrategy {
  readonly bound: number;
  executions: number;
  /** The decisions of the last execution handed out (the plain one, after the first). */
  lastNodes(): readonly DfsNode[];
}

/**
 * `dfs(bound)`: every execution with at most `bound` departures, each once; with `por`, only
 * those without an unobserved migration (each of the others has a twin among them).
 */
export function dfs(bound: number, o: DfsOptions = {}): DfsExploration {
  return dfsFrom(bound, [], -1, o);
}

/** The exploration's name, which reports print. */
export function dfsName(bound: number, o: DfsOptions = {}): string {
  const reduction = o.dpor
    ? ", dynamic partial-order reduction"
    : o.por
      ? ", partial-order reduction"
      : "";
  return `dfs(preemption bound ${bound}${reduction})`;
}

/** One block of the dfs order: see "Units" above. */
export interface DfsUnit {
  /** The first non-zero decision's position; -1 for the plain execution. */
  readonly position: number;
  readonly value: number;
}

/** The units of the dfs tree in dfs order, from the plain execution's decisions. */
export function dfsUnits(plain: readonly DfsNode[], bound: number): DfsUnit[] {
  const units: DfsUnit[] = [{ position: -1, value: 0 }];
  for (let p = plain.length - 1; p >= 0; p--) {
    const node = plain[p] as DfsNode;
    if (node.redundant) continue;
    for (let v = 1; v < node.n; v++)
      if (cost(node, v) <= bound) units.push({ position: p, value: v });
  }
  return units;
}

/** The executions of one unit, in the order `dfs(bound)` runs them. */
export function dfsUnit(
  bound: number,
  plain: readonly DfsNode[],
  unit: DfsUnit,
  o: DfsOptions = {},
): DfsExploration {
  const p = unit.position;
  if (p < 0) return dfsFrom(bound, [], Number.POSITIVE_INFINITY, o);
  const start = plain.slice(0, p).map((x) => ({ ...x }));
  start.push({ ...(plain[p] as DfsNode), value: unit.value });
  return dfsFrom(bound, start, p, o);
}

function dfsFrom(bound: number, start: DfsNode[], floor: number, o: DfsOptions): DfsExploration {
  if (!Number.isInteger(bound) || bound < 0)
    throw new RangeError(`dfs bound: expected an integer >= 0, got ${bound}`);
  let last: DfsRun | null = null;
  let exhausted = false;
  const dpor = o.dpor === true;
  const por = o.por === true || dpor;
  const self: DfsExploration = {
    name: dfsName(bound, o),
    por,
    dpor,
    bound,
    executions: 0,
    next(i: number): Strategy | null {
      if (i === 0) {
        last = new DfsRun(start, dpor);
        self.executions = 1;
        return last;
      }
      if (last === null || exhausted) return null;
      const prefix = backtrack(last.nodes, bound, floor);
      if (prefix === null) {
        exhausted = true;
        return null;
      }
      last = new DfsRun(prefix, dpor);
      self.executions++;
      return last;
    },
    lastNodes: () => last?.nodes ?? [],
    coverage: () =>
      `verified up to bound ${bound}${dpor ? " with dynamic partial-order reduction" : por ? " with partial-order reduction" : ""}: ${self.executions - (exhausted ? 0 : 1)} executions, exhaustive`,
  };
  return self;
}
