import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explore, type Program, runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import { random } from "../sim/strategy_random.ts";
import { type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { GFP_KERNEL, type KObj, kfree, kmalloc, use } from "./memory.ts";
import { Mutex, mutexLock, mutexUnlock } from "./mutex.ts";
import {
  callRcu,
  rcuCompletedGracePeriods,
  rcuReadLock,
  rcuReadLockHeld,
  rcuReadUnlock,
  synchronizeRcu,
} from "./rcu.ts";
import { KernelBug } from "./report.ts";

const zero: Strategy = { name: "zero", choose: () => 0 };

function prog(name: string, setup: (k: Kernel) => void, nrCpus = 2): Program {
  return { name, config: { nrCpus }, setup };
}

/** A reader dereferences the published object inside an RCU reader, across a yield. */
function* reader(k: Kernel, shared: { obj: KObj | null }, rounds: number): Op<void> {
  for (let i = 0; i < rounds; i++) {
    rcuReadLock(k);
    const o = shared.obj;
    yield* sched("in reader");
    if (o !== null) use(k, o, "read obj");
    rcuReadUnlock(k);
    yield* sched("between readers");
  }
}

describe("RCU", () => {
  it("synchronize_rcu waits for readers that were inside when it started", () => {
    let waited = 0;
    const r = explore(
      prog("gp", (k) => {
        const flags = { readerLeft: false };
        k.spawn(
          "reader",
          0,
          (function* () {
            rcuReadLock(k);
            yield* sched("a");
            yield* sched("b");
            flags.readerLeft = true;
            rcuReadUnlock(k);
          })(),
        );
        k.spawn(
          "updater",
          1,
          (function* () {
            yield* sched("start");
            const readerInside = k.tasks[0]?.rcuReadDepth === 1;
            yield* synchronizeRcu(k);
            if (readerInside) {
              waited++;
              if (!flags.readerLeft)
                throw new KernelBug("assertion", "BUG: grace period ended under a reader");
            }
          })(),
        );
      }),
      random(1),
      { executionsMax: 300 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
    assert.ok(waited > 0, "the updater never started a grace period under a reader");
  });

  it("unpublish + synchronize_rcu + kfree is safe; kfree without the grace period is a UAF", () => {
    for (const waitForReaders of [true, false]) {
      const r = explore(
        prog(`unpublish (${waitForReaders})`, (k) => {
          const shared: { obj: KObj | null } = { obj: null };
          k.spawn(
            "init",
            0,
            (function* () {
              shared.obj = yield* kmalloc(k, "pool", 64, GFP_KERNEL, () => ({}));
              k.spawn("reader", 0, reader(k, shared, 3));
              yield* sched("published");
              const old = shared.obj;
              shared.obj = null;
              if (waitForReaders) yield* synchronizeRcu(k);
              kfree(k, old);
            })(),
          );
        }),
        random(2),
        { executionsMax: 500 },
      );
      if (waitForReaders) assert.equal(r.verdict, "bound", r.failing?.bug?.text);
      else assert.equal(r.failing?.bug?.kind, "use-after-free");
    }
  });

  it("call_rcu runs its callback after a grace period, in atomic context", () => {
    const r = explore(
      prog("call_rcu", (k) => {
        const shared: { obj: KObj | null } = { obj: null };
        k.spawn(
          "init",
          0,
          (function* () {
            shared.obj = yield* kmalloc(k, "pool", 64, GFP_KERNEL, () => ({}));
            k.spawn("reader", 1, reader(k, shared, 3));
            yield* sched("published");
            const old = shared.obj;
            shared.obj = null;
            callRcu(k, function* (k2) {
              yield* sched("callback");
              if (k2.task.preemptDisableDepth !== 1)
                throw new KernelBug("assertion", "BUG: rcu callback ran preemptible");
              kfree(k2, old);
            });
          })(),
        );
        k.finishHooks.push(() => {
          if (rcuCompletedGracePeriods(k) !== 1)
            throw new KernelBug("assertion", "BUG: expected one grace period");
        });
      }),
      random(3),
      { executionsMax: 500 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
  });

  it("sleeping in a reader is reported by might_sleep and by blockCurrent", () => {
    const viaMightSleep = runOnce(
      prog("mutex in reader", (k) => {
        const m = new Mutex("m");
        k.spawn(
          "T",
          0,
          (function* () {
            rcuReadLock(k);
            yield* mutexLock(k, m);
            mutexUnlock(k, m);
            rcuReadUnlock(k);
          })(),
        );
      }),
      zero,
    );
    assert.equal(viaMightSleep.bug?.kind, "sleep-in-atomic");
    assert.match(viaMightSleep.bug?.text ?? "", /RCU nest depth: 1, expected: 0/);
    const viaBlock = runOnce(
      prog("block in reader", (k) => {
        k.spawn(
          "T",
          0,
          (function* () {
            rcuReadLock(k);
            if (!rcuReadLockHeld(k)) throw new Error("not held");
            yield* k.blockCurrent("event");
          })(),
        );
      }),
      zero,
    );
    assert.equal(viaBlock.bug?.kind, "sleep-in-atomic");
    assert.match(viaBlock.bug?.text ?? "", /RCU nest depth: 1/);
    const syncInReader = runOnce(
      prog("synchronize in reader", (k) => {
        k.spawn(
          "T",
          0,
          (function* () {
            rcuReadLock(k);
            yield* synchronizeRcu(k);
          })(),
        );
      }),
      zero,
    );
    assert.equal(syncInReader.bug?.kind, "sleep-in-atomic");
  });

  it("a callback that sleeps is reported; an unbalanced unlock is reported", () => {
    const sleepy = runOnce(
      prog("sleepy callback", (k) => {
        const m = new Mutex("m");
        k.spawn(
          "T",
          0,
          (function* () {
            yield* sched("start");
            callRcu(k, function* (k2) {
              yield* mutexLock(k2, m);
              mutexUnlock(k2, m);
            });
          })(),
        );
      }),
      zero,
    );
    assert.equal(sleepy.bug?.kind, "sleep-in-atomic");
    const unbalanced = runOnce(
      prog("unbalanced", (k) => {
        k.spawn(
          "T",
          0,
          (function* () {
            yield* sched("start");
            rcuReadUnlock(k);
          })(),
        );
      }),
      zero,
    );
    assert.match(unbalanced.bug?.title ?? "", /rcu_read_unlock\(\) without rcu_read_lock\(\)/);
  });
});
