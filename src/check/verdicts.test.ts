import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KNOWN_POINTS } from "../sim/coverage.ts";
import { decodeCheckToken, replayCheckToken } from "./check_token.ts";
import { checkCell } from "./checker.ts";
import { formatCell } from "./report.ts";

describe("verdicts: never more than the search showed", () => {
  it("bug: D0 x C1 at the default bounds", () => {
    const r = checkCell("D0", "C1");
    assert.equal(r.verdict, "bug");
    assert.equal(r.bugClass, "UAF");
    assert.deepEqual(r.inconclusive, []);
  });

  it("inconclusive, not verified, when executions reach a tiny step bound (D7 x C1)", () => {
    const r = checkCell("D7", "C1", { stepsMax: 20 });
    assert.equal(r.verdict, "inconclusive");
    assert.deepEqual(
      r.inconclusive.map((x) => x.flag),
      ["--steps-max"],
    );
    assert.ok(r.stepBoundHits > 0);
    assert.match(
      formatCell(r, null),
      /: INCONCLUSIVE, .*\n {2}- \d+ execution\(s\) reached the step bound of 20 steps.*raise --steps-max/,
    );
  });

  it("never verified for D0 x C1 at a tiny step bound: the fair continuation still finds the UAF", () => {
    const r = checkCell("D0", "C1", { stepsMax: 20 });
    assert.notEqual(r.verdict, "verified");
    assert.equal(r.bugClass, "UAF");
    assert.match(r.how, /past the step bound in the fair continuation/);
    // The token carries the step bound, so the replay starts its fair continuation there too.
    assert.equal(decodeCheckToken(r.token as string).stepsMax, 20);
    assert.equal(replayCheckToken(r.token as string).result.bug?.text, r.bug?.text);
  });

  it("inconclusive when the dfs execution cap is hit, naming --dfs-executions", () => {
    const r = checkCell("D7", "C1", { dfsExecutionsMax: 5 });
    assert.equal(r.verdict, "inconclusive");
    assert.equal(r.inconclusive[0]?.bound, "dfs-executions");
    assert.match(
      r.inconclusive[0]?.text ?? "",
      /cap was hit: 5 executions.*raise --dfs-executions/,
    );
  });

  it("inconclusive for a strategy that is not exhaustive", () => {
    for (const strategy of ["random", "pct"] as const) {
      const r = checkCell("D7", "C1", { strategy, executions: 20 });
      assert.equal(r.verdict, "inconclusive");
      assert.equal(r.inconclusive[0]?.bound, "strategy");
    }
  });

  it("verified with coverage: executions, schedules, points, and choice kinds", () => {
    const r = checkCell("D7", "C1");
    assert.equal(r.verdict, "verified");
    const c = r.coverage;
    assert.ok(c);
    assert.equal(c.executions, r.executions);
    assert.ok(c.distinctSchedules > 1 && c.distinctSchedules <= c.executions);
    assert.ok((c.pointsReached.mutex_lock ?? 0) > 0);
    assert.ok(c.pointsPreempted.includes("mutex_lock"));
    assert.ok(c.choices.schedule.taken > 0 && c.choices.migrate.taken > 0);
    const all = new Set([...Object.keys(c.pointsReached), ...c.pointsUnreached]);
    for (const p of KNOWN_POINTS) assert.ok(all.has(p), p);
    assert.match(
      formatCell(r, null),
      /^zswap-ts check: D7 x C1: verified up to bound 2 with partial-order reduction: \d+ executions, exhaustive.*\ncoverage: /,
    );
  });
});
