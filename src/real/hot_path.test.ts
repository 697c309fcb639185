/**
 * Fewer generators on the real hot path (issue 17): the primitives that cannot block in real
 * mode finish at the call without a generator, the simulator still gets its effects from them,
 * and the executor recycles the Task of an operation that finished synchronously.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Effect, NO_EFFECTS, type Op, returned } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { GFP_KERNEL, kmalloc, memory } from "../kernel/memory.ts";
import { Mutex, mutexLock, mutexUnlock } from "../kernel/mutex.ts";
import type { Task } from "../kernel/task.ts";
import { RealExecutor } from "./executor.ts";

/** An operation whose body is `f`, run on the task (after an effect-less start). */
function* body(f: () => void): Op<void> {
  yield* NO_EFFECTS;
  f();
}

const isGenerator = (op: Op<unknown>): boolean =>
  Object.prototype.toString.call(op) === "[object Generator]";

/** Runs `op` to its end on a sim kernel's current task, collecting what it yields. */
function effectsOf<T>(op: Op<T>): { effects: Effect[]; value: T } {
  const effects: Effect[] = [];
  let r = op.next();
  while (!r.done) {
    effects.push(r.value);
    r = op.next(r.value.t === "choose" ? 0 : undefined);
  }
  return { effects, value: r.value };
}

describe("returned()", () => {
  it("is an operation that yields nothing and gives its value to yield*", () => {
    function* outer(): Op<number> {
      return (yield* returned(41)) + 1;
    }
    assert.deepEqual(effectsOf(outer()), { effects: [], value: 42 });
  });
});

describe("mutexLock", () => {
  it("in real mode takes a free mutex at the call, without a generator", () => {
    const k = new Kernel({ nrCpus: 1, mode: "real" });
    const ex = new RealExecutor(k);
    const m = new Mutex("m");
    ex.runSync(
      "op",
      0,
      (function* () {
        const op = mutexLock(k, m);
        assert.equal(op, NO_EFFECTS);
        assert.equal(m.owner, k.task, "taken at the call");
        yield* op;
        mutexUnlock(k, m);
      })(),
    );
  });

  it("in the simulator is still a scheduling point before the lock is taken", () => {
    const k = new Kernel({ nrCpus: 1 });
    const m = new Mutex("m");
    k.current = k.spawn("t", 0, (function* () {})());
    const op = mutexLock(k, m);
    assert.ok(isGenerator(op));
    assert.equal(m.owner, null, "not taken before the point");
    const { effects } = effectsOf(op);
    // The default points level has no "lock" point after the acquire.
    assert.deepEqual(effects, [{ t: "sched", label: "mutex_lock m" }]);
    assert.equal(m.owner, k.task);
  });
});

describe("kmalloc", () => {
  it("in real mode allocates at the call unless the policy offers a choice", () => {
    const k = new Kernel({ nrCpus: 1, mode: "real" });
    const ex = new RealExecutor(k);
    ex.runSync(
      "op",
      0,
      (function* () {
        const plain = kmalloc(k, "obj", 64, GFP_KERNEL, () => 7);
        assert.ok(!isGenerator(plain));
        assert.equal((yield* plain)?.data, 7);
        memory(k).policy.faultable.add("obj");
        const faultable = kmalloc(k, "obj", 64, GFP_KERNEL, () => 8);
        assert.ok(isGenerator(faultable), "a fault choice needs the generator");
        assert.equal((yield* faultable)?.data, 8);
      })(),
    );
  });
});

describe("RealExecutor's spare task", () => {
  it("is the Task of the last operation runSync finished, with a new id each time", () => {
    const k = new Kernel({ nrCpus: 1, mode: "real" });
    const ex = new RealExecutor(k);
    const seen: Task[] = [];
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      ex.runSync(
        `op${i}`,
        0,
        body(() => {
          seen.push(k.task);
          ids.push(k.task.id);
        }),
      );
    }
    assert.equal(seen[0], seen[1]);
    assert.equal(seen[1], seen[2]);
    assert.equal(new Set(ids).size, 3);
    assert.equal(seen[2]?.name, "op2");
    assert.equal(k.tasks.length, 0);
  });

  it("is not kept when instrumented, nor when the operation threw", () => {
    const inst = new Kernel({ nrCpus: 1, mode: "real", instrumented: true });
    const ex = new RealExecutor(inst);
    const seen: Task[] = [];
    ex.runSync(
      "a",
      0,
      body(() => seen.push(inst.task)),
    );
    ex.runSync(
      "b",
      0,
      body(() => seen.push(inst.task)),
    );
    assert.notEqual(seen[0], seen[1]);

    const k = new Kernel({ nrCpus: 1, mode: "real" });
    const ex2 = new RealExecutor(k);
    const tasks: Task[] = [];
    assert.throws(() =>
      ex2.runSync(
        "boom",
        0,
        body(() => {
          tasks.push(k.task);
          throw new Error("boom");
        }),
      ),
    );
    ex2.runSync(
      "next",
      0,
      body(() => tasks.push(k.task)),
    );
    assert.notEqual(tasks[0], tasks[1]);
  });
});
