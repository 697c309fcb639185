/**
 * `npx tsx scripts/prelude_gate.ts [--bound k] [--cap n] [--only DxC,...]`: for each scenario
 * whose prelude runs on the init task, the exhaustive dfs (no reduction) of its old form (the
 * prelude in a work every actor flushes first: src/check/scenarios/prelude_gate.ts) and of its
 * form now; prints the executions and the distinct final states of each, and the final states
 * only the old form reaches (exit 1 if there is one, or if the verdicts differ). The old forms of
 * C14, C18 and C20 take 330,000-720,000 executions each (minutes): leave them out with --only
 * unless that is what you want (docs/checking.md, "Reach").
 */

import type { Scenario } from "../src/check/harness.ts";
import { scenarioProgram } from "../src/check/harness.ts";
import { BATCHING_SCENARIOS } from "../src/check/scenarios/batching.ts";
import { ENGINE_SCENARIOS } from "../src/check/scenarios/engine.ts";
import { gatedPrelude, recordingFinalStates } from "../src/check/scenarios/prelude_gate.ts";
import { explore } from "../src/sim/explore.ts";
import { dfs } from "../src/sim/strategy_dfs.ts";
import { designByName } from "../src/zswap/acomp_ctx/index.ts";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const bound = Number(flag("--bound") ?? 2);
const cap = Number(flag("--cap") ?? 1_000_000);
const only = flag("--only")?.split(",");

const CELLS: Array<[string, Scenario]> = [
  ...ENGINE_SCENARIOS.filter((s) => s.prelude !== undefined).map((s): [string, Scenario] => [
    "D7",
    s,
  ]),
  ...BATCHING_SCENARIOS.flatMap(
    (s): Array<[string, Scenario]> => [
      ["D7-batch", s],
      ["D7-batch-v7", s],
    ],
  ),
];

function walk(design: string, scenario: Scenario) {
  const states = new Set<string>();
  const program = recordingFinalStates(scenarioProgram(designByName(design), scenario), states);
  const t0 = performance.now();
  const r = explore(program, dfs(bound), { executionsMax: cap });
  const verdict = r.verdict === "bug" ? `bug (${r.failing?.bug?.kind})` : r.verdict;
  return { verdict, executions: r.executions, states, s: (performance.now() - t0) / 1000 };
}

let bad = 0;
console.log(
  "| cell | verdict old / new | executions old | new | final states old | new | old only |",
);
console.log("|---|---|---:|---:|---:|---:|---:|");
for (const [design, scenario] of CELLS) {
  const cell = `${design}x${scenario.id}`;
  if (only && !only.includes(cell)) continue;
  const old = walk(design, gatedPrelude(scenario));
  const now = walk(design, scenario);
  const oldOnly = [...old.states].filter((x) => !now.states.has(x));
  if (oldOnly.length > 0 || old.verdict !== now.verdict) bad++;
  console.log(
    `| ${design} x ${scenario.id} | ${old.verdict} / ${now.verdict} | ${old.executions} | ${now.executions} | ${old.states.size} | ${now.states.size} | ${oldOnly.length} |`,
  );
  for (const x of oldOnly.slice(0, 3)) console.log(`  only old: ${x}`);
}
process.exitCode = bad === 0 ? 0 : 1;
