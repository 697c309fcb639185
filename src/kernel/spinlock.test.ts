import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explore, type Program, runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import { random } from "../sim/strategy_random.ts";
import { sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { GFP_ATOMIC, GFP_KERNEL, kfree, kmalloc } from "./memory.ts";
import { KernelBug } from "./report.ts";
import { Spinlock, spinIsLocked, spinLock, spinTrylock, spinUnlock } from "./spinlock.ts";

const zero: Strategy = { name: "zero", choose: () => 0 };

function prog(name: string, setup: (k: Kernel) => void): Program {
  return { name, config: { nrCpus: 2 }, setup };
}

describe("spinlocks", () => {
  it("exclude each other: a read-modify-write with a yield inside loses no update", () => {
    const r = explore(
      prog("counter", (k) => {
        const s = new Spinlock("counter_lock");
        const shared = { n: 0 };
        for (const cpu of [0, 1]) {
          k.spawn(
            `T${cpu}`,
            cpu,
            (function* () {
              for (let i = 0; i < 3; i++) {
                yield* sched("before lock");
                spinLock(k, s);
                const v = shared.n;
                yield* sched("inside");
                shared.n = v + 1;
                spinUnlock(k, s);
              }
            })(),
          );
        }
        k.finishHooks.push(() => {
          if (shared.n !== 6) throw new KernelBug("assertion", `BUG: lost update: ${shared.n}`);
        });
      }),
      random(1),
      { executionsMax: 300 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
  });

  it("disable preemption while held and record the lock for lockdep", () => {
    const seen: string[] = [];
    const r = runOnce(
      prog("held", (k) => {
        const s = new Spinlock("zswap_pools_lock");
        k.spawn(
          "T",
          0,
          (function* () {
            spinLock(k, s);
            seen.push(`${k.task.preemptDisableDepth} ${k.task.heldLocks.map((l) => l.name)}`);
            yield* sched("inside");
            spinUnlock(k, s);
            seen.push(`${k.task.preemptDisableDepth} ${spinIsLocked(s)}`);
            seen.push(`${spinTrylock(k, s)} ${spinTrylock(k, s)}`);
            spinUnlock(k, s);
          })(),
        );
      }),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(seen, ["1 zswap_pools_lock", "0 false", "true false"]);
  });

  it("sleeping under a spinlock is reported with the held lock; GFP_ATOMIC is fine", () => {
    for (const [gfp, bad] of [
      [GFP_KERNEL, true],
      [GFP_ATOMIC, false],
    ] as const) {
      const r = runOnce(
        prog("alloc", (k) => {
          const s = new Spinlock("zswap_pools_lock");
          k.spawn(
            "T",
            0,
            (function* () {
              spinLock(k, s);
              const o = yield* kmalloc(k, "entry", 64, gfp, () => ({}));
              spinUnlock(k, s);
              kfree(k, o);
            })(),
          );
        }),
        zero,
      );
      if (bad) {
        assert.equal(r.bug?.kind, "sleep-in-atomic");
        assert.match(r.bug?.text ?? "", /#0: \(zswap_pools_lock\)/);
      } else assert.equal(r.outcome, "ok", r.bug?.text);
    }
  });

  it("blocking under a spinlock is reported by blockCurrent too", () => {
    const r = runOnce(
      prog("block", (k) => {
        const s = new Spinlock("lru_lock");
        k.spawn(
          "T",
          0,
          (function* () {
            spinLock(k, s);
            yield* k.blockCurrent("something");
          })(),
        );
      }),
      zero,
    );
    assert.equal(r.bug?.kind, "sleep-in-atomic");
    assert.match(r.bug?.title ?? "", /BUG: sleeping function called from invalid context/);
    assert.match(r.bug?.text ?? "", /1 lock held by T:\n #0: \(lru_lock\)/);
  });

  it("recursive spin_lock is a lockdep report", () => {
    const r = runOnce(
      prog("recursive", (k) => {
        const s = new Spinlock("lru_lock");
        k.spawn(
          "T",
          0,
          (function* () {
            yield* sched("start");
            spinLock(k, s);
            spinLock(k, s);
          })(),
        );
      }),
      zero,
    );
    assert.equal(r.bug?.kind, "recursive-locking");
  });

  it("a lock left held by an exited task is a lockup; unlock by a non-owner is reported", () => {
    const lockup = runOnce(
      prog("exit-held", (k) => {
        const s = new Spinlock("lru_lock");
        k.spawn(
          "A",
          0,
          (function* () {
            yield* sched("start");
            spinLock(k, s);
          })(),
        );
        k.spawn(
          "B",
          1,
          (function* () {
            yield* sched("start");
            yield* sched("later");
            spinLock(k, s);
          })(),
        );
      }),
      zero,
    );
    assert.equal(lockup.bug?.kind, "deadlock");
    assert.match(lockup.bug?.title ?? "", /spinlock lockup suspected/);
    const wrong = runOnce(
      prog("wrong-owner", (k) => {
        const s = new Spinlock("lru_lock");
        k.spawn(
          "A",
          0,
          (function* () {
            yield* sched("start");
            spinUnlock(k, s);
          })(),
        );
      }),
      zero,
    );
    assert.match(wrong.bug?.title ?? "", /spinlock wrong owner/);
  });
});
