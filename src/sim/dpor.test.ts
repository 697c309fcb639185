/**
 * Dynamic partial-order reduction (src/sim/dpor.ts) on synthetic programs whose interleavings
 * are known: independent tasks, and two tasks racing on one variable.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Kernel } from "../kernel/kernel.ts";
import { SimExecutor } from "./executor.ts";
import type { Program } from "./explore.ts";
import { lostUpdate, stepper } from "./programs_test_util.ts";
import { dfs } from "./strategy_dfs.ts";

interface Walk {
  readonly executions: number;
  /** Executions run to their end (not stopped as redundant). */
  readonly complete: number;
  readonly bugs: number;
  readonly tokens: readonly string[];
}

function walk(p: Program, bound: number, dpor: boolean): Walk {
  const ex = dfs(bound, { por: true, dpor });
  let complete = 0;
  let bugs = 0;
  const tokens: string[] = [];
  let i = 0;
  for (; ; i++) {
    const s = ex.next(i);
    if (s === null) break;
    const k = new Kernel(p.config);
    p.setup(k);
    const r = new SimExecutor(k, s, { por: true, dpor }).run();
    tokens.push(`${r.outcome}:${r.log.token()}`);
    if (r.outcome !== "pruned") complete++;
    if (r.outcome === "bug") bugs++;
  }
  return { executions: i, complete, bugs, tokens };
}

describe("dpor: sleep sets under the preemption bound", () => {
  it("independent tasks: one complete execution per first task (the free first choice)", () => {
    // Optimal DPOR would run one; under the bound, starting with B costs nothing while the
    // equivalent A-first execution pays a preemption to let B in, so B-first must run too.
    for (const bound of [1, 2, 3]) {
      assert.equal(walk(stepper(2, 3), bound, true).complete, 2);
      assert.equal(walk(stepper(3, 2), bound, true).complete, 6);
    }
    assert.equal(walk(stepper(3, 2), 2, false).complete, 192);
  });

  it("two tasks racing on one variable: every order of the conflicting steps, the bug found", () => {
    for (const bound of [1, 2, 3]) {
      const full = walk(lostUpdate(true), bound, false);
      const reduced = walk(lostUpdate(true), bound, true);
      assert.ok(full.bugs > 0 && reduced.bugs > 0, `bound ${bound}`);
      assert.ok(reduced.complete <= full.complete);
      if (bound >= 2) assert.ok(reduced.complete < full.complete);
      assert.equal(reduced.executions <= full.executions, true);
    }
  });

  it("an access left out of the footprints loses the race (why they must be complete)", () => {
    assert.equal(walk(lostUpdate(true, 2, true), 2, true).bugs, 0);
    assert.ok(walk(lostUpdate(true, 2, true), 2, false).bugs > 0);
  });

  it("is deterministic: the same executions in the same order", () => {
    const a = walk(lostUpdate(true), 2, true);
    const b = walk(lostUpdate(true), 2, true);
    assert.deepEqual(a.tokens, b.tokens);
  });
});
