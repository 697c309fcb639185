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
 * Not implemented: partial-order reduction (sleep sets, DPOR). Executions that differ only in
 * the order of independent steps are all run; the bound keeps their number finite.
 */
import type { ChoiceKind } from "../kernel/effect.ts";
import type { ChoiceContext, ExplorationStrategy, Strategy } from "./strategy.ts";

interface Node {
  value: number;
  readonly n: number;
  readonly kind: ChoiceKind;
  /** Whether a non-zero answer here is a departure (costs 1). */
  readonly costly: boolean;
}

export class NondeterminismError extends Error {
  override name = "NondeterminismError";
}

class DfsRun implements Strategy {
  readonly name = "dfs";
  readonly nodes: Node[] = [];
  private pos = 0;

  constructor(private readonly prefix: readonly Node[]) {}

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
    this.nodes.push({ value, n, kind, costly });
    return value;
  }
}

function cost(node: Node, value: number): number {
  return node.costly && value !== 0 ? 1 : 0;
}

/** The next prefix after `nodes` within `bound`, or null when the tree is exhausted. */
function backtrack(nodes: readonly Node[], bound: number): Node[] | null {
  const spent: number[] = [];
  let total = 0;
  for (const node of nodes) {
    spent.push(total);
    total += cost(node, node.value);
  }
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as Node;
    for (let v = node.value + 1; v < node.n; v++) {
      if ((spent[i] as number) + cost(node, v) <= bound) {
        const prefix = nodes.slice(0, i).map((x) => ({ ...x }));
        prefix.push({ ...node, value: v });
        return prefix;
      }
    }
  }
  return null;
}

export interface DfsExploration extends ExplorationStrategy {
  readonly bound: number;
  executions: number;
}

/** `dfs(bound)`: every execution with at most `bound` departures, each once. */
export function dfs(bound: number): DfsExploration {
  if (!Number.isInteger(bound) || bound < 0)
    throw new RangeError(`dfs bound: expected an integer >= 0, got ${bound}`);
  let last: DfsRun | null = null;
  let exhausted = false;
  const self: DfsExploration = {
    name: `dfs(preemption bound ${bound})`,
    bound,
    executions: 0,
    next(i: number): Strategy | null {
      if (i === 0) {
        last = new DfsRun([]);
        self.executions = 1;
        return last;
      }
      if (last === null || exhausted) return null;
      const prefix = backtrack(last.nodes, bound);
      if (prefix === null) {
        exhausted = true;
        return null;
      }
      last = new DfsRun(prefix);
      self.executions++;
      return last;
    },
    coverage: () =>
      `verified up to bound ${bound}: ${self.executions - (exhausted ? 0 : 1)} executions, exhaustive`,
  };
  return self;
}
