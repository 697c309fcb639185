/**
 * Self-test rows for the CPU hotplug model's rules: the planted bug is a client that relies on
 * the wrong rule, and the twin, which relies on the right one, passes only if the model
 * implements it (add_instance rollback, remove_instance, PREPARE first, migrate before dead,
 * offline waits for pinned tasks).
 */
import { cpuDown, cpuUp } from "../kernel/cpu_updown.ts";
import {
  CPUHP_AP_ONLINE_DYN,
  CPUHP_MM_ZSWP_POOL_PREPARE,
  type CpuhpCallback,
  cpuhpInstances,
  cpuhpSetupStateMulti,
  cpuhpStateAddInstance,
  cpuhpStateRemoveInstance,
} from "../kernel/cpuhp.ts";
import { type Op, sched } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import {
  checkLeaks,
  GFP_KERNEL,
  type KObj,
  kfree,
  kmalloc,
  memory,
  use,
} from "../kernel/memory.ts";
import { migrateDisable, migrateEnable, preemptDisable, preemptEnable } from "../kernel/preempt.ts";
import { KernelBug } from "../kernel/report.ts";
import type { Program } from "../sim/explore.ts";

import { nullDeref, program, type SelftestCase, yields } from "./selftest_case.ts";

export const HOTPLUG_CASES: readonly SelftestCase[] = [
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
