/**
 * Detector self-test: a checker that never fails is untested.
 *
 * Each row plants one bug in a tiny program and explores it; the detector must fire, with the
 * expected kind of report. The same program with the bug fixed (its "twin") is explored the
 * same way and must stay quiet. The hotplug rows test the hotplug model's rules the same way:
 * the planted bug is a client that relies on the wrong rule, and the twin, which relies on the
 * right one, passes only if the model implements it.
 */

import {
  CPUHP_AP_ONLINE_DYN,
  CPUHP_MM_ZSWP_POOL_PREPARE,
  type CpuhpCallback,
  cpuDown,
  cpuhpInstances,
  cpuhpSetupStateMulti,
  cpuhpStateAddInstance,
  cpuhpStateRemoveInstance,
  cpuUp,
} from "../kernel/cpuhp.ts";
import { choose, type Op, sched } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import {
  checkLeaks,
  GFP_ATOMIC,
  GFP_KERNEL,
  type KObj,
  kfree,
  kmalloc,
  memory,
  use,
} from "../kernel/memory.ts";
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
import { migrateDisable, migrateEnable, preemptDisable, preemptEnable } from "../kernel/preempt.ts";
import { rcuReadLock, rcuReadUnlock } from "../kernel/rcu.ts";
import { type BugKind, KernelBug } from "../kernel/report.ts";
import { Spinlock, spinLock, spinUnlock } from "../kernel/spinlock.ts";
import type { Task } from "../kernel/task.ts";
import { explore, type Program } from "../sim/explore.ts";
import { pct } from "../sim/strategy_pct.ts";
import { random } from "../sim/strategy_random.ts";
import { LIVENESS_CASES } from "./selftest_liveness.ts";

export interface SelftestRow {
  detector: string;
  planted: string;
  firedOnBug: boolean;
  quietOnTwin: boolean;
  bugReport: string;
}

export interface SelftestCase {
  readonly detector: string;
  readonly planted: string;
  readonly kind: BugKind;
  readonly title?: RegExp;
  readonly executionsMax: number;
  readonly strategy?: "random" | "pct";
  /** The program with the bug planted (true) or fixed (false). */
  make(buggy: boolean): Program;
}

const SEED = 1;

export function runSelftest(): SelftestRow[] {
  return [...CASES, ...LIVENESS_CASES].map(runCase);
}

function runCase(c: SelftestCase): SelftestRow {
  const strategy = () => (c.strategy === "pct" ? pct(SEED, 3) : random(SEED));
  const bug = explore(c.make(true), strategy(), { executionsMax: c.executionsMax });
  const twin = explore(c.make(false), strategy(), { executionsMax: c.executionsMax });
  const report = bug.failing?.bug ?? null;
  const firedOnBug =
    report !== null && report.kind === c.kind && (c.title?.test(report.title) ?? true);
  const quietOnTwin = twin.verdict !== "bug" && twin.stepBoundHits === 0;
  let bugReport =
    report !== null
      ? `${report.text}\n(found after ${bug.executions} execution(s), token ${bug.token})`
      : `no bug found: ${bug.message}`;
  if (!quietOnTwin) {
    bugReport += `\n--- the fixed twin was not quiet: ${twin.failing?.bug?.text ?? twin.message}`;
  }
  return { detector: c.detector, planted: c.planted, firedOnBug, quietOnTwin, bugReport };
}

/** A table: detector | planted bug | fired on bug | quiet on twin | ok. */
export function formatSelftest(rows: SelftestRow[]): string {
  const head = ["detector", "planted bug", "fired on bug", "quiet on twin", "ok"];
  const body = rows.map((r) => [
    r.detector,
    r.planted,
    r.firedOnBug ? "yes" : "NO",
    r.quietOnTwin ? "yes" : "NO",
    r.firedOnBug && r.quietOnTwin ? "ok" : "FAIL",
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((b) => (b[i] as string).length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  const failed = rows.filter((r) => !(r.firedOnBug && r.quietOnTwin)).length;
  return [
    line(head),
    rule,
    ...body.map(line),
    "",
    failed === 0 ? `all ${rows.length} detectors ok` : `${failed} of ${rows.length} rows FAILED`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Helpers for the planted programs
// ---------------------------------------------------------------------------------------------

function program(
  name: string,
  buggy: boolean,
  nrCpus: number,
  setup: (k: Kernel) => void,
  onlineCpus?: readonly number[],
): Program {
  return {
    name: `${name} (${buggy ? "bug" : "fixed"})`,
    config: onlineCpus ? { nrCpus, onlineCpus } : { nrCpus },
    setup,
  };
}

function* yields(n: number, label: string): Op<void> {
  for (let i = 0; i < n; i++) yield* sched(`${label} ${i}`);
}

function nullDeref(k: Kernel, what: string): KernelBug {
  return new KernelBug("null-deref", `BUG: kernel NULL pointer dereference: ${what}`, [
    `task ${k.task.name} on cpu ${k.cpu}`,
  ]);
}

/** A per-CPU context table as a zswap pool has: one slot per possible CPU, null until prepared. */
interface CtxTable {
  readonly slots: Array<KObj<{ cpu: number }> | null>;
}

function ctxTable(k: Kernel): CtxTable {
  return { slots: k.cpus.possible.map(() => null) };
}

/** A prepare callback allocating the CPU's ctx ("acomp_ctx(cpuN)", so faults can target a CPU). */
function prepareCtx(table: CtxTable): CpuhpCallback {
  return function* (k, cpu) {
    const obj = yield* kmalloc(k, `acomp_ctx(cpu${cpu})`, 128, GFP_KERNEL, () => ({ cpu }));
    if (obj === null) return -12;
    table.slots[cpu] = obj;
    return 0;
  };
}

/** A dead callback that frees the CPU's ctx and leaves the pointer dangling (old designs). */
function freeCtx(table: CtxTable): CpuhpCallback {
  return function* (k, cpu) {
    yield* sched(`dead cpu${cpu}`);
    kfree(k, table.slots[cpu]);
    return 0;
  };
}

/** Uses the ctx of the CPU the task is on, with preemption disabled around the use. */
function* useLocalCtx(k: Kernel, table: CtxTable, rounds: number): Op<void> {
  for (let i = 0; i < rounds; i++) {
    preemptDisable(k);
    const ctx = table.slots[k.cpu];
    if (ctx === null || ctx === undefined) throw nullDeref(k, `ctx of cpu${k.cpu} not prepared`);
    use(k, ctx, "read ctx->req");
    preemptEnable(k);
    yield* sched(`user round ${i}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The planted bugs
// ---------------------------------------------------------------------------------------------

const CASES: readonly SelftestCase[] = [
  {
    detector: "KASAN use-after-free",
    planted: "reader uses an object a concurrent task frees (no lock)",
    kind: "use-after-free",
    executionsMax: 500,
    make: (buggy) =>
      program("uaf", buggy, 2, (k) => {
        const m = new Mutex("obj_lock");
        const shared: { obj: KObj<{ v: number }> | null } = { obj: null };
        k.spawn(
          "reader",
          0,
          (function* () {
            const o0 = yield* kmalloc(k, "obj", 32, GFP_KERNEL, () => ({ v: 1 }));
            shared.obj = o0;
            yield* sched("published");
            if (!buggy) yield* mutexLock(k, m);
            const o = shared.obj;
            yield* sched("after load");
            if (o !== null) use(k, o, "read obj->v");
            if (!buggy) mutexUnlock(k, m);
          })(),
        );
        k.spawn(
          "freer",
          1,
          (function* () {
            yield* sched("start");
            if (!buggy) yield* mutexLock(k, m);
            const o = shared.obj;
            shared.obj = null;
            kfree(k, o);
            if (!buggy) mutexUnlock(k, m);
          })(),
        );
      }),
  },
  {
    detector: "KASAN double-free",
    planted: "two tasks free a shared object: check, yield, free, clear",
    kind: "double-free",
    executionsMax: 500,
    make: (buggy) =>
      program("double-free", buggy, 2, (k) => {
        const shared: { obj: KObj | null } = { obj: null };
        function* release(): Op<void> {
          yield* sched("start");
          const o = shared.obj;
          if (o === null) return;
          if (!buggy) shared.obj = null; // claim it before anything can interleave
          yield* sched("before free");
          kfree(k, o);
          shared.obj = null;
        }
        k.spawn(
          "init",
          0,
          (function* () {
            shared.obj = yield* kmalloc(k, "obj", 32, GFP_KERNEL, () => ({}));
            k.spawn("put1", 0, release());
            k.spawn("put2", 1, release());
          })(),
        );
      }),
  },
  {
    detector: "kmemleak leak",
    planted: "error path after a failed second allocation forgets the first",
    kind: "leak",
    executionsMax: 300,
    make: (buggy) =>
      program("leak", buggy, 1, (k) => {
        memory(k).policy.faultable.add("req");
        k.spawn(
          "alloc",
          0,
          (function* () {
            const buf = yield* kmalloc(k, "buffer", 4096, GFP_KERNEL, () => ({}));
            const req = yield* kmalloc(k, "req", 64, GFP_KERNEL, () => ({}));
            if (req === null) {
              if (!buggy) kfree(k, buf);
              return;
            }
            kfree(k, req);
            kfree(k, buf);
          })(),
        );
        k.finishHooks.push(() => checkLeaks(k, "selftest", () => true));
      }),
  },
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
  {
    detector: "cpuhp add_instance rollback",
    planted: "prepare fails on CPU 2 of 4 (teardown set); the error path frees CPUs 0,1 again",
    kind: "double-free",
    executionsMax: 300,
    make: (buggy) => addInstanceProgram(buggy, true),
  },
  {
    detector: "cpuhp add_instance, no teardown",
    planted: "prepare fails on CPU 2 of 4 (no teardown); the error path expects a rollback",
    kind: "leak",
    executionsMax: 300,
    make: (buggy) => addInstanceProgram(buggy, false),
  },
  {
    detector: "cpuhp remove_instance",
    planted: "add_instance failed; the error path removes the never-added node (D5)",
    kind: "null-deref",
    title: /remove_instance on an unregistered node/,
    executionsMax: 300,
    make: (buggy) =>
      program("remove-unregistered", buggy, 4, (k) => {
        const table = ctxTable(k);
        cpuhpSetupStateMulti(
          k,
          CPUHP_MM_ZSWP_POOL_PREPARE,
          "mm/zswap_pool:prepare",
          prepareCtx(table),
          null,
        );
        memory(k).policy.faultable.add("acomp_ctx(cpu2)");
        const node = { name: "pool" };
        k.spawn(
          "create",
          0,
          (function* () {
            const ret = yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
            if (ret !== 0 && buggy)
              yield* cpuhpStateRemoveInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
            if (ret === 0) yield* cpuhpStateRemoveInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
            for (const ctx of table.slots) kfree(k, ctx);
          })(),
        );
      }),
  },
  {
    detector: "cpuhp online: PREPARE first",
    planted: "per-CPU ctx prepared in an ONLINE-section state instead of a PREPARE one",
    kind: "null-deref",
    title: /NULL pointer dereference/,
    executionsMax: 500,
    make: (buggy) =>
      program(
        "online-prepare-order",
        buggy,
        3,
        (k) => {
          const table = ctxTable(k);
          const state = buggy ? CPUHP_AP_ONLINE_DYN : CPUHP_MM_ZSWP_POOL_PREPARE;
          cpuhpSetupStateMulti(k, state, "zswap:prepare", prepareCtx(table), null);
          k.spawn(
            "cpuhp/ctl",
            0,
            (function* () {
              if ((yield* cpuhpStateAddInstance(k, state, {})) !== 0) return;
              k.spawn("user0", 0, useLocalCtx(k, table, 6));
              k.spawn("user1", 1, useLocalCtx(k, table, 6));
              yield* cpuUp(k, 2);
            })(),
          );
        },
        [0, 1],
      ),
  },
  {
    detector: "cpuhp offline: migrate before dead",
    planted: "per-CPU ctx freed in an ONLINE-section teardown instead of the dead callback",
    kind: "use-after-free",
    executionsMax: 500,
    make: (buggy) =>
      program("offline-dead-order", buggy, 3, (k) => {
        const table = ctxTable(k);
        const state = buggy ? CPUHP_AP_ONLINE_DYN : CPUHP_MM_ZSWP_POOL_PREPARE;
        cpuhpSetupStateMulti(k, state, "zswap:prepare", prepareCtx(table), freeCtx(table));
        k.spawn(
          "cpuhp/ctl",
          0,
          (function* () {
            if ((yield* cpuhpStateAddInstance(k, state, {})) !== 0) return;
            k.spawn("user1", 1, useLocalCtx(k, table, 8));
            k.spawn("user2", 1, useLocalCtx(k, table, 8));
            yield* cpuDown(k, 1);
          })(),
        );
      }),
  },
  {
    detector: "cpuhp offline: waits for pinned",
    planted: "user reads raw_cpu_ptr and uses it later without migrate_disable (C1)",
    kind: "use-after-free",
    executionsMax: 500,
    make: (buggy) =>
      program("offline-pinned", buggy, 2, (k) => {
        const table = ctxTable(k);
        cpuhpSetupStateMulti(
          k,
          CPUHP_MM_ZSWP_POOL_PREPARE,
          "zswap:prepare",
          prepareCtx(table),
          freeCtx(table),
        );
        k.spawn(
          "cpuhp/ctl",
          0,
          (function* () {
            if ((yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, {})) !== 0) return;
            k.spawn(
              "user",
              1,
              (function* () {
                if (!buggy) migrateDisable(k);
                const ctx = table.slots[k.cpu];
                yield* yields(2, "compress");
                if (ctx) use(k, ctx, "read ctx->buffer");
                if (!buggy) migrateEnable(k);
              })(),
            );
            yield* cpuDown(k, 1);
          })(),
        );
      }),
  },
];

/**
 * Pool creation with a prepare that can fail on CPU 2 of 4. `withTeardown`: the state has a
 * teardown (the core rolls back CPUs 0,1 on failure); else it has none (nothing rolled back).
 */
function addInstanceProgram(buggy: boolean, withTeardown: boolean): Program {
  return program(`add-instance-${withTeardown ? "teardown" : "no-teardown"}`, buggy, 4, (k) => {
    const table = ctxTable(k);
    cpuhpSetupStateMulti(
      k,
      CPUHP_MM_ZSWP_POOL_PREPARE,
      "mm/zswap_pool:prepare",
      prepareCtx(table),
      withTeardown ? freeCtx(table) : null,
    );
    memory(k).policy.faultable.add("acomp_ctx(cpu2)");
    const node = { name: "pool" };
    k.spawn(
      "create",
      0,
      (function* () {
        const ret = yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
        if (ret === 0) {
          yield* cpuhpStateRemoveInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
          if (!withTeardown) for (const ctx of table.slots) kfree(k, ctx);
          return;
        }
        if (cpuhpInstances(k, CPUHP_MM_ZSWP_POOL_PREPARE).includes(node)) {
          throw new KernelBug(
            "assertion",
            "BUG: a failed cpuhp_state_add_instance registered its node",
          );
        }
        // With a teardown the core rolled back CPUs 0,1; without one, nothing was undone.
        const selfCleanup = withTeardown ? buggy : !buggy;
        if (selfCleanup) for (const ctx of table.slots) kfree(k, ctx);
      })(),
    );
    k.finishHooks.push(() => checkLeaks(k, "pool ctxs", (o) => o.label.startsWith("acomp_ctx")));
  });
}
