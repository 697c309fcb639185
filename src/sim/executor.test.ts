import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecisionLog, decodeToken, encodeValues, TokenError } from "./decisions.ts";
import { explore, runOnce } from "./explore.ts";
import { lostUpdate, stepper } from "./programs_test_util.ts";
import { PctStrategy, pct } from "./strategy_pct.ts";
import { RandomStrategy, random } from "./strategy_random.ts";
import { ReplayDivergedError, ReplayStrategy, replay } from "./strategy_replay.ts";

describe("determinism", () => {
  it("same seed gives the same trace hash, for 100 seeds", () => {
    const hashes = new Set<string>();
    for (let seed = 0; seed < 100; seed++) {
      const a = runOnce(stepper(3, 6), new RandomStrategy(seed), { trace: true });
      const b = runOnce(stepper(3, 6), new RandomStrategy(seed), { trace: true });
      assert.equal(a.trace?.hash(), b.trace?.hash());
      assert.equal(a.trace?.render(2), b.trace?.render(2));
      hashes.add(a.trace?.hash() ?? "");
    }
    assert.ok(
      hashes.size > 50,
      `expected different seeds to give different traces, got ${hashes.size} distinct`,
    );
  });

  it("a replay token reproduces its run exactly", () => {
    for (let seed = 0; seed < 50; seed++) {
      const a = runOnce(stepper(3, 5), new PctStrategy(seed, 3, 30), { trace: true });
      const rs = new ReplayStrategy(a.log.token());
      const b = runOnce(stepper(3, 5), rs, { trace: true });
      rs.finish();
      assert.equal(b.trace?.canonical(), a.trace?.canonical());
    }
  });
});

describe("replay tokens", () => {
  it("round-trips values, including zero runs and large values", () => {
    const values = [0, 0, 0, 0, 1, 35, 36, 1000, 0, 2, 0, 0, 0];
    assert.deepEqual(decodeToken(`${encodeValues(values)}.0`).values, values);
    assert.equal(encodeValues([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), "-a-");
  });

  it("rejects corrupted tokens with a clear error", () => {
    assert.throws(() => replay("01-3"), TokenError);
    assert.throws(() => replay("01-3.1"), /unterminated/);
    assert.throws(() => replay("01!.1"), /unexpected '!' at position 2/);
    assert.throws(() => replay("012.%"), /checksum/);
  });

  it("a replay on another program, or with an edited token, diverges loudly", () => {
    const a = runOnce(stepper(2, 6), new RandomStrategy(7));
    const token = a.log.token();
    const rs = new ReplayStrategy(token);
    assert.throws(() => {
      runOnce(stepper(3, 6), rs);
      rs.finish();
    }, ReplayDivergedError);
    const log = new DecisionLog();
    for (const [i, v] of a.log.values.entries()) {
      log.record(v === 0 ? 1 : 0, a.log.ns[i] as number, a.log.kinds[i] as never);
    }
    const edited = `${encodeValues(log.values)}.${token.split(".")[1]}`;
    const rs2 = new ReplayStrategy(edited);
    assert.throws(() => {
      runOnce(stepper(2, 6), rs2);
      rs2.finish();
    }, ReplayDivergedError);
  });
});

describe("finding a lost update", () => {
  for (const [name, make] of [
    ["random", () => random(1)],
    ["pct", () => pct(1, 2)],
  ] as const) {
    it(`${name} finds it within 1,000 executions and the token replays it`, () => {
      const r = explore(lostUpdate(true), make(), { executionsMax: 1_000 });
      assert.equal(r.verdict, "bug");
      assert.match(r.failing?.bug?.title ?? "", /lost update/);
      const again = explore(lostUpdate(true), replay(r.token as string));
      assert.equal(again.verdict, "bug");
      assert.equal(again.failing?.bug?.title, r.failing?.bug?.title);
    });

    it(`${name} never fails when the increment has no yield inside`, () => {
      const r = explore(lostUpdate(false), make(), { executionsMax: 1_000 });
      assert.equal(r.verdict, "bound");
    });
  }
});

describe("interleavings", () => {
  for (const [name, make] of [
    ["random", (s: number) => new RandomStrategy(s)],
    ["pct", (s: number) => new PctStrategy(s, 5, 12)],
  ] as const) {
    it(`${name} produces many distinct interleavings of a 2-task program`, () => {
      const seen = new Set<string>();
      for (let seed = 0; seed < 300; seed++) {
        const r = runOnce(stepper(2, 5), make(seed), { trace: true });
        const order =
          r.trace?.events
            .filter((e) => e.effect === "sched")
            .map((e) => e.taskId)
            .join("") ?? "";
        seen.add(order);
      }
      assert.ok(seen.size >= 20, `${name}: only ${seen.size} distinct interleavings in 300 runs`);
    });
  }
});

describe("bounds", () => {
  it("a step bound gives a clear message", () => {
    const r = runOnce(stepper(2, 50), new RandomStrategy(1), { stepsMax: 10 });
    assert.equal(r.outcome, "step-bound");
    assert.equal(r.stepBoundHit, true);
    assert.match(
      r.message,
      /Step bound hit: the strategy decided 10 steps; a fair continuation finished/,
    );
  });

  it("an execution bound gives a clear message", () => {
    const r = explore(stepper(2, 3), random(1), { executionsMax: 5 });
    assert.equal(r.verdict, "bound");
    assert.match(r.message, /Execution bound hit: 5 executions/);
  });
});
