/**
 * Self-test rows for the synchronization detectors: lockdep (recursive, circular), wait-for
 * deadlocks, hung tasks, sleeping in atomic context or in an RCU reader, mutex_init on a held
 * mutex, percpu_ref misuse.
 */
import { cpuDown } from "../kernel/cpu_updown.ts";
import { choose, type Op, sched } from "../kernel/effect.ts";
import { GFP_ATOMIC, GFP_KERNEL, type KObj, kfree, kmalloc, use } from "../kernel/memory.ts";
import { Mutex, mutexAssertHeld, mutexInit, mutexLock, mutexUnlock } from "../kernel/mutex.ts";
import {
  type PercpuRef,
  percpuRefInit,
  percpuRefKill,
  percpuRefPut,
  percpuRefTryget,
  percpuRefTrygetLive,
} from "../kernel/percpu_ref.ts";
import { cpusReadLock, cpusReadUnlock } from "../kernel/percpu_rwsem.ts";
import { migrateDisable, migrateEnable } from "../kernel/preempt.ts";
import { rcuReadLock, rcuReadUnlock } from "../kernel/rcu.ts";
import { Spinlock, spinLock, spinUnlock } from "../kernel/spinlock.ts";
import type { Task } from "../kernel/task.ts";

import { program, type SelftestCase, yields } from "./selftest_case.ts";

export const SYNC_CASES: readonly SelftestCase[] = [
  {
    detector: "lockdep recursive locking",
    planted: "a helper takes the mutex its caller already holds",
    kind: "recursive-locking",
    executionsMax: 50,
    make: (buggy) =>
      program("recursive", buggy, 2, (k) => {
        const m = new Mutex("pool->mutex");
        function* helper(): Op<void> {
          if (buggy) {
            yield* mutexLock(k, m);
            mutexUnlock(k, m);
          } else {
            mutexAssertHeld(k, m); // the ...Locked variant
          }
        }
        for (const cpu of [0, 1]) {
          k.spawn(
            `T${cpu}`,
            cpu,
            (function* () {
              yield* mutexLock(k, m);
              yield* helper();
              mutexUnlock(k, m);
            })(),
          );
        }
      }),
  },
  {
    detector: "lockdep circular locking",
    planted: "A->B in one execution, B->A in another; no execution deadlocks",
    kind: "circular-locking",
    executionsMax: 100,
    make: (buggy) =>
      program("abba-across-executions", buggy, 1, (k) => {
        const a = new Mutex("lock_a");
        const b = new Mutex("lock_b");
        k.spawn(
          "T",
          0,
          (function* () {
            const path = yield* choose(2, "pick", "which path");
            const [first, second] = path === 1 && buggy ? [b, a] : [a, b];
            yield* mutexLock(k, first);
            yield* mutexLock(k, second);
            mutexUnlock(k, second);
            mutexUnlock(k, first);
          })(),
        );
      }),
  },
  {
    detector: "deadlock (wait-for cycle)",
    planted: "pinned task sleeps on cpus_read_lock while cpu_down waits for it to unpin",
    kind: "deadlock",
    title: /blocked: deadlock on/,
    executionsMax: 500,
    make: (buggy) =>
      program("pinned-vs-hotplug", buggy, 2, (k) => {
        k.spawn(
          "T",
          1,
          (function* () {
            if (buggy) {
              migrateDisable(k);
              yield* cpusReadLock(k);
            } else {
              yield* cpusReadLock(k);
              migrateDisable(k);
            }
            yield* sched("pinned section");
            migrateEnable(k);
            cpusReadUnlock(k);
          })(),
        );
        k.spawn(
          "cpuhp/ctl",
          0,
          (function* () {
            yield* cpuDown(k, 1);
          })(),
        );
      }),
  },
  {
    detector: "hung task (lost wakeup)",
    planted: "lost wakeup: waiter yields between checking the flag and sleeping",
    kind: "hung-task",
    title: /^INFO: task waiter:0 blocked for more than 120 seconds\.$/,
    executionsMax: 500,
    make: (buggy) =>
      program("lost-wakeup", buggy, 2, (k) => {
        const c: { done: boolean; waiter: Task | null } = { done: false, waiter: null };
        k.spawn(
          "waiter",
          0,
          (function* () {
            yield* sched("start");
            if (!c.done) {
              if (buggy) yield* sched("window between check and sleep");
              c.waiter = k.task;
              yield* k.blockCurrent("completion done");
            }
          })(),
        );
        k.spawn(
          "waker",
          1,
          (function* () {
            yield* sched("start");
            c.done = true;
            if (c.waiter !== null) k.wake(c.waiter);
          })(),
        );
      }),
  },
  {
    detector: "sleep in atomic (spinlock)",
    planted: "GFP_KERNEL allocation under a spinlock",
    kind: "sleep-in-atomic",
    executionsMax: 50,
    make: (buggy) =>
      program("alloc-under-spinlock", buggy, 2, (k) => {
        const s = new Spinlock("zswap_pools_lock");
        for (const cpu of [0, 1]) {
          k.spawn(
            `T${cpu}`,
            cpu,
            (function* () {
              yield* sched("start");
              spinLock(k, s);
              const obj = yield* kmalloc(
                k,
                "entry",
                64,
                buggy ? GFP_KERNEL : GFP_ATOMIC,
                () => ({}),
              );
              spinUnlock(k, s);
              kfree(k, obj);
            })(),
          );
        }
      }),
  },
  {
    detector: "sleep in RCU reader",
    planted: "mutex_lock inside rcu_read_lock",
    kind: "sleep-in-atomic",
    executionsMax: 50,
    make: (buggy) =>
      program("mutex-in-rcu", buggy, 2, (k) => {
        const m = new Mutex("pool->mutex");
        const shared = { v: 1 };
        for (const cpu of [0, 1]) {
          k.spawn(
            `T${cpu}`,
            cpu,
            (function* () {
              rcuReadLock(k);
              const v = shared.v;
              if (!buggy) rcuReadUnlock(k);
              yield* mutexLock(k, m);
              shared.v = v + 1;
              mutexUnlock(k, m);
              if (buggy) rcuReadUnlock(k);
            })(),
          );
        }
      }),
  },
  {
    detector: "mutex_init on a held mutex",
    planted: "CPU online re-initializes the ctx mutex a migrated user holds (C2)",
    kind: "assertion",
    title: /mutex_init\(\) on locked mutex/,
    executionsMax: 500,
    make: (buggy) =>
      program("mutex-reinit", buggy, 2, (k) => {
        const m = new Mutex("ctx->mutex");
        mutexInit(k, m);
        k.spawn(
          "user",
          0,
          (function* () {
            yield* mutexLock(k, m);
            yield* yields(2, "compress");
            mutexUnlock(k, m);
          })(),
        );
        k.spawn(
          "prepare",
          1,
          (function* () {
            yield* sched("cpu online");
            if (buggy || m.inits === 0) mutexInit(k, m);
          })(),
        );
      }),
  },
  {
    detector: "percpu_ref put after zero / tryget",
    planted: "an error path puts its reference twice",
    kind: "assertion",
    title: /percpu ref/,
    executionsMax: 500,
    make: (buggy) =>
      program("percpu-ref", buggy, 2, (k) => {
        const state: { ref: PercpuRef | null; pool: KObj | null } = { ref: null, pool: null };
        function* user(extraPut: boolean): Op<void> {
          const ref = state.ref as PercpuRef;
          yield* sched("lookup");
          // tryget_live before kill, tryget after: both may succeed on a killed ref only while
          // count > 0, so the pool is never used after its release.
          if (!percpuRefTrygetLive(k, ref) && !percpuRefTryget(k, ref)) return;
          use(k, state.pool as KObj, "read pool->acomp_ctx");
          yield* sched("store");
          yield* percpuRefPut(k, ref);
          if (extraPut) yield* percpuRefPut(k, ref);
        }
        k.spawn(
          "init",
          0,
          (function* () {
            state.pool = yield* kmalloc(k, "zswap_pool", 256, GFP_KERNEL, () => ({}));
            state.ref = yield* percpuRefInit(k, "pool->ref", function* (k2) {
              yield* sched("release");
              kfree(k2, state.pool);
            });
            if (state.ref === null) return;
            k.spawn("store1", 0, user(false));
            k.spawn("store2", 1, user(buggy));
            yield* sched("switch compressor");
            yield* percpuRefKill(k, state.ref);
          })(),
        );
      }),
  },
];
