/**
 * The partial-order reduction's proof obligation on a representative subset of cells (the
 * whole matrix: `npx tsx scripts/por_equivalence.ts`, docs/checking.md): the verdict with
 * reduction equals the verdict without, and every bug class found without is found with.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registerDesign } from "../zswap/acomp_ctx/index.ts";
import { checkCell } from "./checker.ts";
import { compareCell } from "./por_equivalence.ts";
import { LIVENESS_VARIANTS } from "./variants/liveness_variants.ts";
import { BROKEN_VARIANTS } from "./variants/variants.ts";

for (const d of LIVENESS_VARIANTS) registerDesign(d);
for (const v of BROKEN_VARIANTS) registerDesign(v.design);

// Bug cells (UAF, WARN, lockdep, double-free, leak, hung task), verified cells (one with many
// executions stopped early), exact mode.
const CELLS: Array<[string, string, boolean]> = [
  ["D0", "C1", false],
  ["D0", "C2", false],
  ["D1", "C3", false],
  ["D3", "C5", false],
  ["V-D7-free-no-buffer-reset", "C7", false],
  ["D5", "C8", false],
  ["D4-nounlock", "C1", false],
  ["D7", "C3", false],
  ["D7", "C4", false],
  ["D1", "C1", true],
];

describe("partial-order reduction: the same verdicts and bug classes", () => {
  for (const [d, s, exact] of CELLS) {
    it(`${d} x ${s}${exact ? " (exact)" : ""}`, () => {
      const r = compareCell(d, s, { exact });
      assert.ok(r.ok, JSON.stringify(r));
      assert.ok(r.with.executions <= r.without.executions);
    });
  }

  // Dynamic partial-order reduction (src/sim/dpor.ts): UAF, WARN, lockdep, leak, hung task,
  // verified cells.
  for (const [d, s] of [
    ["D0", "C1"],
    ["D0", "C2"],
    ["D1", "C3"],
    ["D5", "C8"],
    ["D4-nounlock", "C1"],
    ["D7", "C1"],
    ["D7", "C11"],
  ] as const) {
    it(`${d} x ${s} with --dpor`, () => {
      const r = compareCell(d, s, { dpor: true });
      assert.ok(r.ok, JSON.stringify(r));
      assert.ok(r.with.executions <= r.without.executions);
    });
  }

  it("a check says when its search was reduced", () => {
    const on = checkCell("D7", "C1", { strategy: "dfs" });
    assert.match(
      on.how,
      /^verified up to bound 2 with partial-order reduction: \d+ executions, exhaustive/,
    );
    const dyn = checkCell("D7", "C1", { strategy: "dfs", dpor: true });
    assert.match(
      dyn.how,
      /^verified up to bound 2 with dynamic partial-order reduction: \d+ executions, exhaustive/,
    );
    const off = checkCell("D7", "C1", { strategy: "dfs", por: false });
    assert.match(off.how, /^verified up to bound 2: \d+ executions, exhaustive/);
    const bug = checkCell("D0", "C1", { strategy: "dfs" });
    assert.equal(bug.bugClass, checkCell("D0", "C1", { strategy: "dfs", por: false }).bugClass);
  });
});
