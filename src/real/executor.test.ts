import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { choose, type Op, sched } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { Mutex, mutexLock, mutexUnlock } from "../kernel/mutex.ts";
import { KernelBug } from "../kernel/report.ts";
import { queueWork, Work } from "../kernel/workqueue.ts";
import { RealExecutor } from "./executor.ts";
import { WouldBlockError } from "./would_block.ts";

function realKernel(nrCpus = 2): Kernel {
  return new Kernel({ nrCpus, mode: "real" });
}

/** An io effect whose asynchronous side resolves with `value` after `ms` milliseconds. */
function* ioAfter<T>(ms: number, value: T, label = "io"): Op<T> {
  return (yield {
    t: "io",
    label,
    sync: () => value,
    async: () => sleep(ms, value),
  }) as T;
}

/** An io effect that completes on the next turn of the event loop. */
function* ioImmediate<T>(value: T): Op<T> {
  return (yield {
    t: "io",
    label: "immediate",
    sync: () => value,
    async: () => new Promise<T>((resolve) => setImmediate(resolve, value)),
  }) as T;
}

describe("RealExecutor", () => {
  it("returns results from run and runSync, answering sched and choose", async () => {
    const k = realKernel();
    const ex = new RealExecutor(k);
    function* op(x: number): Op<number> {
      yield* sched("a");
      const c = yield* choose(4, "fault", "fail alloc?");
      yield* sched("b");
      return x * 2 + c + k.cpu;
    }
    assert.equal(ex.runSync("sync", 1, op(20)), 41);
    assert.equal(await ex.run("async", 0, op(5)), 10);
    assert.equal(await ex.run("io", 1, ioAfter(1, "done")), "done");
    assert.equal(ex.inFlight, 0);
    assert.equal(k.current, null);
    assert.equal(k.tasks.length, 0, "the real executor must not keep tasks in k.tasks");
  });

  it("interleaves two operations contending on a mutex whose holder awaits I/O", async () => {
    const k = realKernel();
    const ex = new RealExecutor(k);
    const m = new Mutex("test_mutex");
    const events: string[] = [];
    function* holder(): Op<string> {
      yield* mutexLock(k, m);
      events.push(`${k.task.name} locked`);
      const v = yield* ioAfter(20, "written");
      events.push(`${k.task.name} io ${v}`);
      mutexUnlock(k, m);
      events.push(`${k.task.name} unlocked`);
      return "A ok";
    }
    function* waiter(): Op<string> {
      events.push(`${k.task.name} wants`);
      yield* mutexLock(k, m);
      assert.equal(m.owner, k.task);
      events.push(`${k.task.name} locked on cpu ${k.cpu}`);
      mutexUnlock(k, m);
      return "B ok";
    }
    const a = ex.run("A", 0, holder());
    const b = ex.run("B", 1, waiter());
    assert.equal(ex.inFlight, 2);
    assert.equal(ex.blocked, 1, "B waits for the mutex while A awaits its I/O");
    assert.equal(k.current, null, "k.current is restored between operations");
    assert.deepEqual(await Promise.all([a, b]), ["A ok", "B ok"]);
    assert.deepEqual(events, [
      "A locked",
      "B wants",
      "A io written",
      "A unlocked",
      "B locked on cpu 1",
    ]);
    assert.equal(m.owner, null);
    assert.equal(ex.inFlight, 0);
    assert.equal(ex.blocked, 0);
  });

  it("rejects with the KernelBug an operation throws, and keeps going", async () => {
    const k = realKernel();
    const ex = new RealExecutor(k);
    const m = new Mutex("m");
    function* unlockNotOwned(): Op<void> {
      yield* sched("x");
      mutexUnlock(k, m);
    }
    await assert.rejects(ex.run("bad", 0, unlockNotOwned()), (e: unknown) => {
      assert.ok(e instanceof KernelBug);
      assert.match(e.title, /DEBUG_LOCKS_WARN_ON/);
      return true;
    });
    function* bugAfterIo(): Op<void> {
      yield* ioAfter(1, 0);
      throw new KernelBug("use-after-free", "BUG: KASAN: slab-use-after-free in test");
    }
    await assert.rejects(ex.run("uaf", 1, bugAfterIo()), /KASAN/);
    assert.throws(() => ex.runSync("bad", 0, unlockNotOwned()), KernelBug);
    assert.equal(ex.inFlight, 0);
    assert.equal(await ex.run("after", 0, ioAfter(1, 7)), 7);
  });

  it("throws a rejected io into the operation, so its finally blocks run", async () => {
    const k = realKernel();
    const ex = new RealExecutor(k);
    const m = new Mutex("m");
    function* op(): Op<void> {
      yield* mutexLock(k, m);
      try {
        yield {
          t: "io",
          label: "broken",
          sync: () => 0,
          async: () => Promise.reject(new Error("EIO")),
        };
      } finally {
        mutexUnlock(k, m);
      }
    }
    await assert.rejects(ex.run("op", 0, op()), /EIO/);
    assert.equal(m.owner, null);
  });

  it("runSync throws a clear WouldBlockError on I/O and on a contended mutex", async () => {
    const k = realKernel();
    const ex = new RealExecutor(k);
    let thrown: unknown;
    try {
      ex.runSync("store", 0, ioAfter(1, 42, "swap write slot 3"));
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof WouldBlockError);
    assert.match(
      thrown.message,
      /^runSync: operation 'store' on CPU 0 does asynchronous I\/O \(swap write slot 3\); use run\(\)/,
    );
    assert.equal(await thrown.pending, 42, "the operation goes on asynchronously");

    const m = new Mutex("ctx->mutex");
    function* locked(hold: number): Op<number> {
      yield* mutexLock(k, m);
      yield* ioAfter(hold, 0);
      mutexUnlock(k, m);
      return hold;
    }
    const holder = ex.run("holder", 0, locked(10));
    assert.throws(
      () => ex.runSync("store", 1, locked(0)),
      (e: unknown) => {
        assert.ok(e instanceof WouldBlockError);
        assert.match(
          e.message,
          /blocks \(wait ctx->mutex, contended by another in-flight operation\)/,
        );
        thrown = e;
        return true;
      },
    );
    assert.equal(k.current, null);
    assert.equal(await holder, 10);
    assert.equal(await (thrown as WouldBlockError).pending, 0);
    assert.equal(m.owner, null);
    assert.equal(ex.inFlight, 0);
  });

  it("completes 1,000 concurrent operations contending on one mutex", async () => {
    const k = realKernel(4);
    const ex = new RealExecutor(k);
    const m = new Mutex("shared");
    let inside = 0;
    let counter = 0;
    function* op(i: number): Op<number> {
      yield* mutexLock(k, m);
      inside++;
      assert.equal(inside, 1, "mutual exclusion");
      const v = counter;
      if (i % 3 === 0) yield* ioImmediate(i);
      yield* sched("between read and write");
      counter = v + 1;
      inside--;
      mutexUnlock(k, m);
      return i;
    }
    const all = Array.from({ length: 1000 }, (_, i) => ex.run(`op${i}`, i % 4, op(i)));
    assert.equal(ex.inFlight, 1000);
    const results = await Promise.all(all);
    assert.deepEqual(
      results,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.equal(counter, 1000);
    assert.equal(ex.inFlight, 0);
    assert.equal(ex.blocked, 0);
    assert.equal(k.tasks.length, 0);
  });

  it("refuses offline CPUs, simulated kernels and a second executor", async () => {
    const k = new Kernel({ nrCpus: 2, onlineCpus: [0], mode: "real" });
    const ex = new RealExecutor(k);
    await assert.rejects(ex.run("x", 1, ioAfter(0, 0)), /CPU 1: it is not online/);
    assert.throws(() => ex.runSync("x", 1, ioAfter(0, 0)), RangeError);
    assert.throws(() => new RealExecutor(k), /already has a wake handler/);
    assert.throws(() => new RealExecutor(new Kernel({ nrCpus: 1 })), /mode "real", got "sim"/);
  });

  it("bounds the effects of one operation", () => {
    const k = realKernel();
    const ex = new RealExecutor(k, { stepsMax: 1000 });
    function* forever(): Op<void> {
      for (;;) yield* sched("spin");
    }
    assert.throws(() => ex.runSync("spin", 0, forever()), /exceeded 1000 effects/);
  });

  it("runs spawned work (k.spawn, queue_work) from a microtask, and idle() waits for it", async () => {
    const k = realKernel();
    const ex = new RealExecutor(k);
    const log: string[] = [];
    const work = new Work("test_work", function* (k2: Kernel): Op<void> {
      log.push(`work on cpu${k2.cpu}`);
      yield* ioImmediate(0);
      log.push("work done");
    });
    function* queuer(): Op<number> {
      yield* sched("before queue_work");
      queueWork(k, work);
      log.push("queued");
      return 1;
    }
    assert.equal(ex.runSync("queuer", 1, queuer()), 1);
    assert.deepEqual(log, ["queued"], "spawned work never runs nested in the operation");
    assert.equal(ex.inFlight, 1);
    assert.equal(k.tasks.length, 1, "an operation in flight is in k.tasks");
    await ex.idle();
    assert.deepEqual(log, ["queued", "work on cpu0", "work done"]);
    assert.equal(k.tasks.length, 0);
    function* failing(): Op<void> {
      yield* sched("x");
      throw new Error("background BUG");
    }
    k.spawn("bad", 0, failing());
    await ex.idle();
    assert.match(String(ex.backgroundErrors[0]), /background BUG/);
  });

  it("answers io with its synchronous side when runSync is asked to", () => {
    const k = realKernel();
    const ex = new RealExecutor(k);
    assert.equal(ex.runSync("io", 0, ioAfter(1000, 5), { syncIo: true }), 5);
    function* broken(): Op<string> {
      try {
        yield {
          t: "io",
          label: "broken",
          sync: () => {
            throw new Error("EIO");
          },
          async: () => Promise.resolve(0),
        };
      } catch (e) {
        return `caught ${(e as Error).message}`;
      }
      return "no";
    }
    assert.equal(ex.runSync("io", 0, broken(), { syncIo: true }), "caught EIO");
    assert.equal(ex.inFlight, 0);
  });
});
