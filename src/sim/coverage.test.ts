import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Coverage, coverageLine, KNOWN_POINTS, pointOf } from "./coverage.ts";

const src = fileURLToPath(new URL("..", import.meta.url));

/**
 * Every `sched("name ...")` / sched(`name ...`) / `sched(pointLabel("name", ...))` in
 * kernel-side code, by point name.
 */
function pointsInSources(): Set<string> {
  const found = new Set<string>();
  for (const dir of ["kernel", "mm", "zswap", "crypto"]) {
    for (const f of readdirSync(join(src, dir), { recursive: true }) as string[]) {
      if (!f.endsWith(".ts") || f.endsWith(".test.ts")) continue;
      const text = readFileSync(join(src, dir, f), "utf8");
      for (const m of text.matchAll(/\bsched\(\s*(?:pointLabel\(\s*)?["`]([a-z_]+)/g))
        found.add(m[1] as string);
    }
  }
  return found;
}

describe("coverage", () => {
  it("knows every preemption point kernel-side code yields, and no other", () => {
    const inSources = pointsInSources();
    const missing = [...inSources].filter((p) => !KNOWN_POINTS.includes(p));
    assert.deepEqual(missing, [], "add these point names to KNOWN_POINTS in src/sim/coverage.ts");
    const stale = KNOWN_POINTS.filter((p) => !inSources.has(p));
    assert.deepEqual(stale, [], "no kernel-side code yields these any more");
  });

  it("names points by the first word of their label", () => {
    assert.equal(pointOf("mutex_lock ctx(zswap0,cpu1)->mutex"), "mutex_lock");
    assert.equal(pointOf("synchronize_rcu"), "synchronize_rcu");
  });

  it("counts distinct schedules, reached and preempted points, and decisions by kind", () => {
    const c = new Coverage();
    c.reach("mutex_lock a");
    c.reach("mutex_lock b");
    c.preempt("mutex_lock b");
    c.choice("schedule", 1);
    c.choice("migrate", 0);
    c.execution([1, 0]);
    c.execution([1, 0]);
    c.execution([0, 0]);
    const s = c.summary();
    assert.equal(s.executions, 3);
    assert.equal(s.distinctSchedules, 2);
    assert.deepEqual(s.pointsReached, { mutex_lock: 2 });
    assert.deepEqual(s.pointsPreempted, ["mutex_lock"]);
    assert.ok(s.pointsUnreached.includes("synchronize_rcu"));
    assert.ok(!s.pointsUnreached.includes("mutex_lock"));
    assert.deepEqual(s.choices.schedule, { offered: 1, taken: 1 });
    assert.deepEqual(s.choices.migrate, { offered: 1, taken: 0 });
    assert.match(
      coverageLine(s),
      /^coverage: 3 executions, 2 distinct schedules; points reached 1/,
    );
    assert.equal(coverageLine(s).includes("\n"), false);
  });
});
