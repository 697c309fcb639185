/**
 * `npx tsx scripts/por_equivalence.ts [--bound k] [--cap n] [--only DxC,...]
 * [--family lifecycle|engine|other] [--json|--markdown]`: the
 * proof obligation of the partial-order reduction on every cell (src/check/por_equivalence.ts):
 * the lifecycle matrix (C1-C12, C23 x every design column), the engine scenarios and C26 on D7,
 * the batching cells, and the broken, correct and liveness variants. Prints, per cell, the
 * verdict and bug classes without and with reduction, the executions of each full dfs tree and
 * the reduction factor; exits 1 if any cell differs.
 */

import { DESIGN_COLUMNS } from "../src/check/expected.ts";
import { type CellCompare, compareCell } from "../src/check/por_equivalence.ts";
import { BATCHING_SCENARIOS } from "../src/check/scenarios/batching.ts";
import { ENGINE_SCENARIOS } from "../src/check/scenarios/engine.ts";
import { LIFECYCLE_SCENARIOS, scenarioById } from "../src/check/scenarios/index.ts";
import { LIVENESS_VARIANTS } from "../src/check/variants/liveness_variants.ts";
import { BROKEN_VARIANTS, CORRECT_VARIANTS } from "../src/check/variants/variants.ts";
import { registerDesign } from "../src/zswap/acomp_ctx/index.ts";

for (const v of [...BROKEN_VARIANTS, ...CORRECT_VARIANTS]) registerDesign(v.design);
for (const d of LIVENESS_VARIANTS) registerDesign(d);

type Cell = readonly [design: string, scenario: string, exact: boolean];
type Family = "lifecycle" | "engine" | "other";

function cells(family: Family | undefined): Cell[] {
  const out: Cell[] = [];
  if (family === undefined || family === "lifecycle")
    for (const s of LIFECYCLE_SCENARIOS)
      for (const d of DESIGN_COLUMNS) if (!s.notApplicable?.includes(d)) out.push([d, s.id, false]);
  if (family === undefined || family === "engine")
    for (const s of [...ENGINE_SCENARIOS, scenarioById("C26")]) out.push(["D7", s.id, false]);
  if (family === "lifecycle" || family === "engine") return out;
  for (const s of BATCHING_SCENARIOS)
    for (const d of ["D7-batch", "D7-batch-v7"])
      if (!s.notApplicable?.includes(d)) out.push([d, s.id, false]);
  for (const v of BROKEN_VARIANTS) out.push([v.design.name, v.scenario, v.exact === true]);
  for (const v of CORRECT_VARIANTS)
    for (const s of v.scenarios) out.push([v.design.name, s, false]);
  for (const d of LIVENESS_VARIANTS)
    for (const s of ["C1", "C6", "C9"]) out.push([d.name, s, false]);
  out.push(["D1", "C4", true], ["D4", "C4", true], ["D7", "C4", true]);
  return out;
}

/** One row of the table in docs/por_cells.md. */
function row(r: CellCompare): string {
  const w = r.without;
  const p = r.with;
  const factor = (w.executions / Math.max(1, p.executions)).toFixed(3);
  const classes = w.classes.length === 0 ? "-" : w.classes.join(" ");
  return `| ${r.cell} | ${w.verdict} | ${classes} | ${w.executions} | ${p.executions} | ${p.pruned} | x${factor} | ${r.ok ? "same" : "DIFFERS"} |`;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const bound = Number(flag("--bound") ?? 2);
const cap = Number(flag("--cap") ?? 100_000);
const only = flag("--only")?.split(",");
const family = flag("--family") as Family | undefined;
const json = process.argv.includes("--json");
// --dpor: without reduction against dynamic partial-order reduction (src/sim/dpor.ts).
const dpor = process.argv.includes("--dpor");
const markdown = process.argv.includes("--markdown");
const clock = () => performance.now();
const results: CellCompare[] = [];
let n0 = 0;
let n1 = 0;
const t0 = clock();
for (const [d, s, exact] of cells(family)) {
  if (only && !only.includes(`${d}x${s}`)) continue;
  const r = compareCell(d, s, { bound, cap, exact, clock, dpor });
  results.push(r);
  n0 += r.without.executions;
  n1 += r.with.executions;
  const factor = (r.without.executions / Math.max(1, r.with.executions)).toFixed(2);
  if (markdown) process.stdout.write(`${row(r)}\n`);
  else if (!json)
    process.stdout.write(
      `${r.ok ? "ok  " : "DIFF"} ${r.cell.padEnd(30)} ${r.without.verdict.padEnd(26)} ${r.with.verdict.padEnd(26)} ${String(r.without.executions).padStart(7)} -> ${String(r.with.executions).padStart(7)} (${r.with.pruned} stopped early) x${factor}  [${r.without.classes.join(" ")}] [${r.with.classes.join(" ")}]  ${r.without.ms} / ${r.with.ms} ms\n`,
    );
}
const bad = results.filter((r) => !r.ok);
const seconds = ((clock() - t0) / 1000).toFixed(1);
if (json) process.stdout.write(`${JSON.stringify({ bound, cap, results }, null, 1)}\n`);
else
  process.stdout.write(
    `${results.length} cells, ${bad.length} differ; executions ${n0} -> ${n1} (x${(n0 / Math.max(1, n1)).toFixed(3)}); ${seconds} s\n`,
  );
process.exit(bad.length === 0 ? 0 : 1);
