import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../util/rng.ts";
import { changePoints, PctStrategy } from "./strategy_pct.ts";

describe("PCT", () => {
  it("draws distinct change points, as many as fit in 1..k", () => {
    for (let seed = 0; seed < 200; seed++) {
      // With k = 2 and two points, half the seeds drew the same point twice before.
      assert.deepEqual([...changePoints(new Rng(seed), 2, 2)].sort(), [1, 2]);
      assert.deepEqual([...changePoints(new Rng(seed), 5, 3)].sort(), [1, 2, 3]);
      const pts = changePoints(new Rng(seed), 4, 50);
      assert.equal(new Set(pts).size, 4);
      assert.ok(pts.every((p) => Number.isInteger(p) && p >= 1 && p <= 50));
    }
  });

  it("keeps the points the draws give when they are distinct (old schedules unchanged)", () => {
    let same = 0;
    for (let seed = 0; seed < 200; seed++) {
      const old = new Rng(seed);
      const drawn = [1 + (old.next32() % 50), 1 + (old.next32() % 50)];
      if (drawn[0] === drawn[1]) continue;
      assert.deepEqual(changePoints(new Rng(seed), 2, 50), drawn);
      same++;
    }
    assert.ok(same > 180, `${same} of 200 seeds without a repeat`);
  });

  it("gives every task a distinct integer priority above the change points' and runs the highest", () => {
    const s = new PctStrategy(7, 3, 50);
    const ctx = { taskIds: [1, 2, 3, 4], currentTaskId: null, step: 0, label: "test" };
    const first = s.choose(4, "schedule", ctx);
    const p = (s as unknown as { priorities: Map<number, number> }).priorities;
    const values = [...p.values()];
    assert.equal(new Set(values).size, 4);
    assert.ok(values.every((v) => Number.isInteger(v) && v > 3));
    assert.equal(p.get(ctx.taskIds[first] as number), Math.max(...values));
  });
});
