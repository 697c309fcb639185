import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import type { Op } from "./effect.ts";
import { Kernel } from "./kernel.ts";
import { GFP_ATOMIC, kfreeAndYield, kmalloc } from "./memory.ts";
import { Mutex, mutexLock, mutexUnlockAndYield } from "./mutex.ts";
import {
  DEFAULT_POINTS,
  isPointsLevel,
  LEVEL_KINDS,
  POINTS_LEVELS,
  type PointsLevel,
  pointMask,
  preemptPoint,
} from "./points.ts";
import { migrateDisable, migrateEnable, preemptDisable, preemptEnable } from "./preempt.ts";
import { Spinlock, spinLock, spinUnlock } from "./spinlock.ts";

/** Runs `body` as one task at `points` and returns the labels of the points it yielded at. */
function pointsOf(points: PointsLevel, body: (k: Kernel) => Op<void>): string[] {
  const labels: string[] = [];
  const k = new Kernel({ nrCpus: 2, points });
  const t = k.spawn("T", 0, body(k));
  k.current = t;
  for (let r = t.body.next(); !r.done; r = t.body.next()) {
    if (r.value.t === "sched") labels.push(r.value.label);
  }
  return labels;
}

describe("preemption points levels", () => {
  it("are nested: each level has every kind of the one before it", () => {
    for (let i = 1; i < POINTS_LEVELS.length; i++) {
      const lower = pointMask(POINTS_LEVELS[i - 1] as PointsLevel);
      const upper = pointMask(POINTS_LEVELS[i] as PointsLevel);
      assert.equal(lower & upper, lower);
      assert.ok(upper > lower);
    }
    assert.deepEqual(LEVEL_KINDS.sleep, []);
    assert.ok(isPointsLevel(DEFAULT_POINTS));
    assert.ok(!isPointsLevel("some"));
  });

  it("yield only for the kinds the level turns on", () => {
    const body = (k: Kernel) =>
      (function* () {
        yield* preemptPoint(k, "rcu", "in reader");
        yield* preemptPoint(k, "lock", "after lock");
      })();
    assert.deepEqual(pointsOf("sleep", body), []);
    assert.deepEqual(pointsOf("access", body), ["in reader"]);
    assert.deepEqual(pointsOf("all", body), ["in reader", "after lock"]);
  });

  it("are passed without yielding under preempt_disable() and spinlocks", () => {
    const s = new Spinlock("test_lock");
    const labels = pointsOf("all", (k) =>
      (function* () {
        preemptDisable(k);
        yield* preemptPoint(k, "free", "preempt off");
        preemptEnable(k);
        spinLock(k, s);
        yield* preemptPoint(k, "ref", "spinlock held");
        spinUnlock(k, s);
        migrateDisable(k);
        // Migration disabled: still preemptible (the executor will not move the task).
        yield* preemptPoint(k, "percpu", "pinned");
        migrateEnable(k);
      })(),
    );
    assert.deepEqual(labels, ["pinned"]);
  });

  it("put one point after mutex acquire and release and after kfree, at level all", () => {
    const m = new Mutex("m");
    const labels = pointsOf("all", (k) =>
      (function* () {
        yield* mutexLock(k, m);
        yield* mutexUnlockAndYield(k, m);
        const o = yield* kmalloc(k, "obj", 8, GFP_ATOMIC, () => ({}));
        yield* kfreeAndYield(k, o);
      })(),
    );
    assert.deepEqual(labels, ["mutex_lock m", "acquired m", "released m", "kfree obj"]);
  });

  it("never yield in real mode", () => {
    const k = new Kernel({ nrCpus: 1, mode: "real", points: "all" });
    assert.equal(k.pointMask, 0);
  });

  it("a migrate-disabled task is preempted at a point but never moved", () => {
    const always1: Strategy = { name: "one", choose: (n) => (n > 1 ? 1 : 0) };
    const cpus: number[] = [];
    runOnce(
      {
        name: "pinned",
        config: { nrCpus: 2, points: "all" },
        setup(k) {
          k.spawn(
            "A",
            0,
            (function* () {
              migrateDisable(k);
              yield* preemptPoint(k, "percpu", "pinned");
              cpus.push(k.cpu);
              migrateEnable(k);
            })(),
          );
          k.spawn("B", 1, (function* () {})());
        },
      },
      always1,
    );
    assert.deepEqual(cpus, [0]);
  });
});
