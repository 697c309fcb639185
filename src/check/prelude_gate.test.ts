/**
 * The preludes moved to the init task (docs/checking.md, "Reach") lose no outcome: every final
 * state the old form (the prelude in a work the actors flush first) reaches in its exhaustive
 * search at bound 2, the new form reaches too. And the comparison can fail: a "conversion"
 * that serialises the race (W's writeback moved into the prelude) loses final states.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explore } from "../sim/explore.ts";
import { dfs } from "../sim/strategy_dfs.ts";
import { D7 } from "../zswap/acomp_ctx/d7.ts";
import { zswapShrinkerScan } from "../zswap/shrinker.ts";
import { type Scenario, scenarioProgram } from "./harness.ts";
import { engineScenarioById } from "./scenarios/engine.ts";
import { gatedPrelude, recordingFinalStates } from "./scenarios/prelude_gate.ts";

/** The final states of `scenario`'s exhaustive dfs at bound 2 (no reduction), and its executions. */
function finalStates(scenario: Scenario): { states: Set<string>; executions: number } {
  const states = new Set<string>();
  const program = recordingFinalStates(scenarioProgram(D7, scenario), states);
  const r = explore(program, dfs(2), { executionsMax: 10_000 });
  assert.equal(r.verdict, "exhausted", r.message);
  return { states, executions: r.executions };
}

function lost(old: Set<string>, now: Set<string>): string[] {
  return [...old].filter((s) => !now.has(s));
}

describe("preludes on the init task", () => {
  for (const id of ["C16", "C24"]) {
    it(`${id}: every final state of the gated form is reached, in fewer executions`, () => {
      const scenario = engineScenarioById(id);
      const old = finalStates(gatedPrelude(scenario));
      const now = finalStates(scenario);
      assert.deepEqual(lost(old.states, now.states), []);
      assert.ok(old.states.size >= 3, `${id}: the race has outcomes (${old.states.size})`);
      assert.ok(now.executions * 10 < old.executions, `${now.executions} vs ${old.executions}`);
    });
  }

  it("a conversion that runs W's writeback in the prelude loses outcomes (the check can fail)", () => {
    const c16 = engineScenarioById("C16");
    const serialised: Scenario = {
      ...c16,
      *prelude(env) {
        yield* (c16.prelude as NonNullable<Scenario["prelude"]>)(env);
        yield* zswapShrinkerScan(env.k, env.z.rootMemcg, 1); // W, before L exists
      },
      actors: (env) => c16.actors(env).filter((a) => a.name === "L"),
    };
    const old = finalStates(gatedPrelude(c16));
    const now = finalStates(serialised);
    assert.ok(lost(old.states, now.states).length > 0, "the lost outcomes are seen");
  });
});
