import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Coverage } from "../sim/coverage.ts";
import { explore } from "../sim/explore.ts";
import { dfs, dfsUnit, dfsUnits } from "../sim/strategy_dfs.ts";
import { registerDesign } from "../zswap/acomp_ctx/index.ts";
import {
  beginCell,
  type CellResult,
  type CheckOptions,
  checkCell,
  endCell,
  needsVerify,
} from "./checker.ts";
import { combineParts, explorePart, type PartResult, SplitError } from "./split.ts";
import { applyParts, cellProgram, partOptions } from "./split_cell.ts";
import { LIVENESS_VARIANTS } from "./variants/liveness_variants.ts";

for (const d of LIVENESS_VARIANTS) registerDesign(d);

/** A split check whose parts run one after another in this process. */
function split(d: string, s: string, o: CheckOptions, n: number): CellResult {
  const run = beginCell(d, s, o);
  if (!("s" in run)) return run;
  if (!needsVerify(run)) return endCell(run);
  const program = cellProgram(run);
  const po = partOptions(o);
  return endCell(
    applyParts(
      run,
      Array.from({ length: n }, (_, i) => explorePart(program, i, n, po)),
    ),
  );
}

const norm = (r: CellResult) => JSON.stringify({ ...r, timeMs: 0 });

// Verified and bug cells, lockdep, leak, liveness, exact mode, the cap and the step bound.
const CELLS: Array<[string, string, CheckOptions]> = [
  ["D7", "C1", {}],
  ["D7", "C4", {}],
  ["D0", "C1", { strategy: "dfs" }],
  ["D3", "C5", { strategy: "dfs" }],
  ["D5", "C8", { strategy: "dfs" }],
  ["D1", "C4", { strategy: "dfs", lockdep: false }],
  ["D4-hoisted", "C1", { strategy: "dfs" }],
  ["D7", "C9", { strategy: "dfs", dfsExecutionsMax: 40 }],
  ["D7", "C1", { strategy: "dfs", stepsMax: 20 }],
  ["D7", "C6", { strategy: "dfs", bound: 1 }],
  ["D7", "C4", { strategy: "dfs", por: false }],
  ["D1", "C4", { strategy: "dfs", por: false }],
];

describe("a split exhaustive search (check --jobs N, --shard i/N + merge)", () => {
  it("has units that partition the dfs order exactly", () => {
    const run = beginCell("D7", "C4", { strategy: "dfs" });
    assert.ok("s" in run);
    const program = cellProgram(run);
    const whole = explore(program, dfs(2), { executionsMax: 1e6 });
    const first = dfsUnit(2, [], { position: -1, value: 0 });
    explore(program, first, { executionsMax: 1 });
    const units = dfsUnits(first.lastNodes(), 2);
    let sum = 0;
    for (const u of units) sum += explore(program, dfsUnit(2, first.lastNodes(), u)).executions;
    assert.equal(sum, whole.executions);
    assert.ok(units.length > 10);
  });

  for (const n of [2, 3]) {
    it(`gives the unsplit verdict, counterexample and coverage with ${n} parts`, async () => {
      for (const [d, s, o] of CELLS) {
        const a = checkCell(d, s, o);
        const b = split(d, s, o, n);
        assert.equal(norm(b), norm(a), `${d} x ${s} ${JSON.stringify(o)}`);
      }
    });
  }

  it("covers the verdicts the cells are chosen for", () => {
    const verdicts = CELLS.map(([d, s, o]) => checkCell(d, s, o).verdict);
    assert.ok(verdicts.includes("bug") && verdicts.includes("verified"));
    assert.ok(verdicts.includes("inconclusive"));
  });
});

describe("combineParts", () => {
  const unit = (u: number, edges: Array<[string, string]>) => ({
    unit: u,
    executions: 1,
    stepBoundHits: 0,
    bugToken: null,
    coverage: new Coverage().toJSON(),
    edges,
  });

  it("asks for the unsplit search when an inversion's halves are in different units", () => {
    const parts = [
      { index: 0, count: 2, units: 2, results: [unit(0, [["A", "B"]])] },
      { index: 1, count: 2, units: 2, results: [unit(1, [["B", "A"]])] },
    ];
    assert.deepEqual(combineParts(parts, 100), { sequential: true });
    const apart = [parts[0], { ...parts[1], results: [unit(1, [["B", "C"]])] }] as PartResult[];
    const c = combineParts(apart, 100);
    assert.ok(!c.sequential && c.verdict === "exhausted" && c.executions === 2);
  });

  it("refuses parts that leave a unit out", () => {
    const parts = [{ index: 0, count: 2, units: 2, results: [unit(0, [])] }];
    assert.throws(() => combineParts(parts, 100), SplitError);
  });
});
