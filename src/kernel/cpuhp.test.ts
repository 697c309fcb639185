import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explore, type Program, runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import { random } from "../sim/strategy_random.ts";
import { cpuDown, cpuUp } from "./cpu_updown.ts";
import {
  CPUHP_AP_ONLINE_DYN,
  CPUHP_MM_ZSWP_POOL_PREPARE,
  CPUHP_WORKQUEUE_PREP,
  type CpuhpCallback,
  cpuhpInstances,
  cpuhpSetupStateMulti,
  cpuhpState,
  cpuhpStateAddInstance,
  cpuhpStateRemoveInstance,
} from "./cpuhp.ts";
import { type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { FS_RECLAIM, LockdepGraph } from "./lockdep.ts";
import { liveObjects, memory } from "./memory.ts";
import { Mutex, mutexLock, mutexUnlock } from "./mutex.ts";
import { migrateDisable, migrateEnable } from "./preempt.ts";
import { KernelBug } from "./report.ts";

const zero: Strategy = { name: "zero", choose: () => 0 };
const ENOMEM = -12;

function prog(
  name: string,
  setup: (k: Kernel) => void,
  nrCpus = 4,
  onlineCpus?: number[],
  lockdep?: LockdepGraph,
): Program {
  return {
    name,
    config: { nrCpus, ...(onlineCpus ? { onlineCpus } : {}), ...(lockdep ? { lockdep } : {}) },
    setup,
  };
}

/** Callbacks that log "<what> <cpu>" (with the task they ran on) and fail where told. */
function logging(log: string[], what: string, failOn: number | null = null): CpuhpCallback {
  return function* (k, cpu) {
    yield* sched(`${what} ${cpu}`);
    log.push(`${what} ${cpu}${k.task.name === "ctl" ? "" : ` on ${k.task.name}`}`);
    return cpu === failOn ? ENOMEM : 0;
  };
}

function* yields(n: number, label = "y"): Op<void> {
  for (let i = 0; i < n; i++) yield* sched(`${label} ${i}`);
}

describe("cpuhp_state_add_instance", () => {
  it("calls startup on the caller, for online CPUs in id order, under both locks", () => {
    const log: string[] = [];
    const node = {};
    const r = runOnce(
      prog(
        "add",
        (k) => {
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE,
            "zswap",
            function* (k2, cpu) {
              yield* sched("prepare");
              log.push(`startup ${cpu} holding ${k2.task.heldLocks.map((l) => l.name).join(",")}`);
              return 0;
            },
            null,
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              const ret = yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
              log.push(
                `ret ${ret} registered ${cpuhpInstances(k, CPUHP_MM_ZSWP_POOL_PREPARE).includes(node)}`,
              );
            })(),
          );
        },
        4,
        [0, 1, 3],
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log, [
      "startup 0 holding cpu_hotplug_lock,cpuhp_state_mutex",
      "startup 1 holding cpu_hotplug_lock,cpuhp_state_mutex",
      "startup 3 holding cpu_hotplug_lock,cpuhp_state_mutex",
      "ret 0 registered true",
    ]);
  });

  for (const withTeardown of [true, false]) {
    it(`failing on CPU 2 of 4 ${withTeardown ? "with a teardown rolls back CPUs 0,1" : "without a teardown rolls back nothing"}; the node is not added`, () => {
      const log: string[] = [];
      const node = {};
      const r = runOnce(
        prog("fail", (k) => {
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE,
            "zswap",
            logging(log, "startup", 2),
            withTeardown ? logging(log, "teardown") : null,
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              const ret = yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
              log.push(
                `ret ${ret} registered ${cpuhpInstances(k, CPUHP_MM_ZSWP_POOL_PREPARE).length}`,
              );
              if (k.task.heldLocks.length !== 0) throw new Error("locks left held");
            })(),
          );
        }),
        zero,
      );
      assert.equal(r.outcome, "ok", r.bug?.text);
      const expected = ["startup 0", "startup 1", "startup 2"];
      if (withTeardown) expected.push("teardown 0", "teardown 1");
      assert.deepEqual(log, [...expected, `ret ${ENOMEM} registered 0`]);
    });
  }

  it("rolls back only the CPUs that had reached the state", () => {
    const log: string[] = [];
    const r = runOnce(
      prog(
        "fail-with-offline",
        (k) => {
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE,
            "zswap",
            logging(log, "startup", 3),
            logging(log, "teardown"),
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, {});
            })(),
          );
        },
        4,
        [0, 2, 3],
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log, ["startup 0", "startup 2", "startup 3", "teardown 0", "teardown 2"]);
  });
});

describe("cpuhp_state_remove_instance", () => {
  it("tears down each CPU at or above the state, then unlinks the node", () => {
    const log: string[] = [];
    const node = {};
    const r = runOnce(
      prog(
        "remove",
        (k) => {
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE,
            "zswap",
            logging(log, "startup"),
            logging(log, "teardown"),
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
              const ret = yield* cpuhpStateRemoveInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, node);
              log.push(`ret ${ret} left ${cpuhpInstances(k, CPUHP_MM_ZSWP_POOL_PREPARE).length}`);
            })(),
          );
        },
        3,
        [0, 2],
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log, ["startup 0", "startup 2", "teardown 0", "teardown 2", "ret 0 left 0"]);
  });

  it("removing a node that was never added is reported (D5's error path)", () => {
    const r = runOnce(
      prog("remove-unregistered", (k) => {
        cpuhpSetupStateMulti(k, CPUHP_MM_ZSWP_POOL_PREPARE, "zswap", null, null);
        k.spawn(
          "ctl",
          0,
          (function* () {
            yield* cpuhpStateRemoveInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, {});
          })(),
        );
      }),
      zero,
    );
    assert.equal(r.bug?.kind, "null-deref");
    assert.match(
      r.bug?.title ?? "",
      /^BUG: kernel NULL pointer dereference in cpuhp_state_remove_instance/,
    );
  });

  it("setting a state up twice, or an invalid state, is refused", () => {
    runOnce(
      prog("setup", (k) => {
        cpuhpSetupStateMulti(k, CPUHP_MM_ZSWP_POOL_PREPARE, "zswap", null, null);
        assert.throws(
          () => cpuhpSetupStateMulti(k, CPUHP_MM_ZSWP_POOL_PREPARE, "again", null, null),
          /already used by 'zswap'/,
        );
        assert.throws(
          () => cpuhpSetupStateMulti(k, CPUHP_WORKQUEUE_PREP, "wq", null, null),
          /already used/,
        );
        assert.throws(() => cpuhpSetupStateMulti(k, 0, "offline", null, null), RangeError);
      }),
      zero,
    );
  });
});

describe("cpu_up", () => {
  it("runs PREPARE startups on the control task before the CPU is online", () => {
    const log: string[] = [];
    const r = runOnce(
      prog(
        "up",
        (k) => {
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE,
            "zswap",
            function* (k2, cpu) {
              yield* sched("prepare");
              log.push(
                `prepare ${cpu} on ${k2.task.name}: ${cpuhpState(k2, cpu)}, online ${k2.cpus.isOnline(cpu)}`,
              );
              return 0;
            },
            null,
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, {});
              log.push(`before: ${cpuhpState(k, 2)}`);
              log.push(`ret ${yield* cpuUp(k, 2)}: ${cpuhpState(k, 2)}`);
            })(),
          );
        },
        3,
        [0, 1],
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log, [
      "prepare 0 on ctl: online, online true",
      "prepare 1 on ctl: online, online true",
      "before: offline",
      "prepare 2 on ctl: prepared, online false",
      "ret 0: online",
    ]);
  });

  it("no task runs on the new CPU before its PREPARE startups (and tasks do run there after)", () => {
    let ranThere = 0;
    const r = explore(
      prog(
        "up-order",
        (k) => {
          const prepared = [true, true, false];
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE,
            "zswap",
            function* (_k, cpu) {
              yield* sched("prepare");
              prepared[cpu] = true;
              return 0;
            },
            null,
          );
          for (const cpu of [0, 1]) {
            k.spawn(
              `user${cpu}`,
              cpu,
              (function* () {
                for (let i = 0; i < 8; i++) {
                  yield* sched("user");
                  if (!prepared[k.cpu])
                    throw new KernelBug("assertion", `BUG: ran on unprepared cpu${k.cpu}`);
                  if (k.cpu === 2) ranThere++;
                }
              })(),
            );
          }
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, {});
              yield* cpuUp(k, 2);
            })(),
          );
        },
        3,
        [0, 1],
      ),
      random(1),
      { executionsMax: 300 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
    assert.ok(ranThere > 0, "no task ever ran on the new CPU");
  });

  it("a failing startup rolls back the states (and instances) already up; the CPU stays offline", () => {
    const log: string[] = [];
    const r = runOnce(
      prog(
        "up-fail",
        (k) => {
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE - 1,
            "early",
            logging(log, "early-up"),
            logging(log, "early-down"),
          );
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE,
            "zswap",
            function* (_k, cpu, node) {
              yield* sched("prepare");
              log.push(`zswap-up ${cpu} ${node}`);
              return node === "new" && cpu === 1 ? ENOMEM : 0;
            },
            function* (_k, cpu, node) {
              yield* sched("dead");
              log.push(`zswap-down ${cpu} ${node}`);
              return 0;
            },
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE - 1, "e");
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, "old");
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, "new");
              log.length = 0;
              log.push(`ret ${yield* cpuUp(k, 1)}: ${cpuhpState(k, 1)}`);
            })(),
          );
        },
        2,
        [0],
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    // Instances run newest first; "new" fails, so nothing of "zswap" is up: no teardown for it.
    assert.deepEqual(log, [
      "early-up 1",
      "zswap-up 1 new",
      "early-down 1",
      `ret ${ENOMEM}: offline`,
    ]);
  });

  it("an ONLINE-section failure takes the CPU back down through the dead callbacks", () => {
    const log: string[] = [];
    const r = runOnce(
      prog(
        "online-fail",
        (k) => {
          cpuhpSetupStateMulti(
            k,
            CPUHP_AP_ONLINE_DYN,
            "dyn",
            logging(log, "online", 1),
            logging(log, "offline"),
          );
          cpuhpSetupStateMulti(
            k,
            CPUHP_MM_ZSWP_POOL_PREPARE,
            "zswap",
            logging(log, "prepare"),
            logging(log, "dead"),
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, {});
              log.length = 0;
              yield* cpuhpStateAddInstance(k, CPUHP_AP_ONLINE_DYN, {});
              log.push(`ret ${yield* cpuUp(k, 1)}: ${cpuhpState(k, 1)}`);
            })(),
          );
        },
        2,
        [0],
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log, [
      "online 0",
      "prepare 1",
      "online 1",
      "dead 1",
      `ret ${ENOMEM}: offline`,
    ]);
  });

  it("creates the worker pool once, teaching lockdep cpu_hotplug_lock --> fs_reclaim", () => {
    const graph = new LockdepGraph();
    const counts: number[] = [];
    const r = runOnce(
      prog(
        "worker-pool",
        (k) => {
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuUp(k, 1);
              counts.push(liveObjects(k, (o) => o.label === "worker_pool").length);
              yield* cpuDown(k, 1);
              yield* cpuUp(k, 1);
              counts.push(liveObjects(k, (o) => o.label === "worker_pool").length);
            })(),
          );
        },
        2,
        [0],
        graph,
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(counts, [1, 1]);
    assert.deepEqual(graph.path("cpu_hotplug_lock", FS_RECLAIM), ["cpu_hotplug_lock", FS_RECLAIM]);
  });

  it("a failing worker pool allocation fails the bring-up", () => {
    const failAll: Strategy = { name: "fail", choose: (_n, kind) => (kind === "fault" ? 1 : 0) };
    const rets: number[] = [];
    runOnce(
      prog(
        "wq-fail",
        (k) => {
          memory(k).policy.faultable.add("worker_pool");
          k.spawn(
            "ctl",
            0,
            (function* () {
              rets.push(yield* cpuUp(k, 1));
              rets.push(k.cpus.isOnline(1) ? 1 : 0);
            })(),
          );
        },
        2,
        [0],
      ),
      failAll,
    );
    assert.deepEqual(rets, [ENOMEM, 0]);
  });
});

describe("cpu_down", () => {
  it("refuses the last online CPU; an offline CPU is a no-op; spawn refuses offline CPUs", () => {
    const rets: number[] = [];
    const r = runOnce(
      prog(
        "down-edge",
        (k) => {
          k.spawn(
            "ctl",
            0,
            (function* () {
              rets.push(yield* cpuDown(k, 0));
              rets.push(yield* cpuDown(k, 1));
              assert.throws(() => k.spawn("late", 1, yields(1)), /not online/);
            })(),
          );
        },
        2,
        [0],
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(rets, [-16, 0]);
  });

  it("migrates every task off the CPU before the dead callbacks run", () => {
    const r = explore(
      prog("down-order", (k) => {
        cpuhpSetupStateMulti(k, CPUHP_MM_ZSWP_POOL_PREPARE, "zswap", null, function* (k2, cpu) {
          yield* sched("dead");
          const left = k2.tasks.filter((t) => t.cpu === cpu && t.state !== "done");
          if (left.length > 0 || k2.cpus.isOnline(cpu))
            throw new KernelBug(
              "assertion",
              `BUG: dead(${cpu}) with ${left.map((t) => t.name)} on it`,
            );
          return 0;
        });
        for (const name of ["A", "B", "C"]) {
          k.spawn(
            name,
            1,
            (function* () {
              yield* yields(5);
              if (k.cpu === 1 && !k.cpus.isOnline(1))
                throw new KernelBug("assertion", "BUG: on dead cpu");
            })(),
          );
        }
        k.spawn(
          "ctl",
          0,
          (function* () {
            yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, {});
            yield* cpuDown(k, 1);
            if (cpuhpState(k, 1) !== "offline")
              throw new KernelBug("assertion", "BUG: not offline");
          })(),
        );
      }),
      random(7),
      { executionsMax: 300 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
  });

  it("offlines a CPU whose task holds a mutex: the task moves on and unlocks", () => {
    const r = explore(
      prog(
        "down-mutex",
        (k) => {
          const m = new Mutex("ctx->mutex");
          k.spawn(
            "holder",
            1,
            (function* () {
              yield* mutexLock(k, m);
              yield* yields(4, "compress");
              mutexUnlock(k, m);
              if (k.cpu === 1 && !k.cpus.isOnline(1))
                throw new KernelBug("assertion", "BUG: on dead cpu");
            })(),
          );
          k.spawn(
            "other",
            2,
            (function* () {
              yield* mutexLock(k, m);
              mutexUnlock(k, m);
            })(),
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              if ((yield* cpuDown(k, 1)) !== 0)
                throw new KernelBug("assertion", "BUG: offline failed");
            })(),
          );
        },
        3,
      ),
      random(3),
      { executionsMax: 300 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
  });

  it("waits for migrate-disabled tasks to re-enable migration", () => {
    let waited = 0;
    const r = explore(
      prog(
        "down-pinned",
        (k) => {
          k.spawn(
            "pinned",
            1,
            (function* () {
              yield* sched("start");
              migrateDisable(k);
              const cpu = k.cpu;
              for (let i = 0; i < 4; i++) {
                yield* sched("pinned");
                if (k.cpu !== cpu || !k.cpus.isOnline(cpu))
                  throw new KernelBug("assertion", "BUG: pinned task moved or its CPU died");
              }
              if (k.tasks.some((t) => t.name === "ctl" && t.state === "blocked")) waited++;
              migrateEnable(k);
            })(),
          );
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuDown(k, 1);
            })(),
          );
        },
        2,
      ),
      random(5),
      { executionsMax: 300 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
    assert.ok(waited > 0, "cpu_down never had to wait for the pinned task");
  });

  it("runs ONLINE-section teardowns while the CPU is online, and startups once it is", () => {
    const log: string[] = [];
    const r = runOnce(
      prog(
        "online-section",
        (k) => {
          const cb = (what: string): CpuhpCallback =>
            function* (k2, cpu) {
              yield* sched(what);
              log.push(`${what} ${cpu} online ${k2.cpus.isOnline(cpu)}`);
              return 0;
            };
          cpuhpSetupStateMulti(k, CPUHP_AP_ONLINE_DYN, "dyn", cb("online"), cb("offline"));
          cpuhpSetupStateMulti(k, CPUHP_MM_ZSWP_POOL_PREPARE, "zswap", cb("prepare"), cb("dead"));
          k.spawn(
            "ctl",
            0,
            (function* () {
              yield* cpuhpStateAddInstance(k, CPUHP_AP_ONLINE_DYN, {});
              yield* cpuhpStateAddInstance(k, CPUHP_MM_ZSWP_POOL_PREPARE, {});
              log.length = 0;
              yield* cpuDown(k, 1);
              yield* cpuUp(k, 1);
            })(),
          );
        },
        2,
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log, [
      "offline 1 online true",
      "dead 1 online false",
      "prepare 1 online false",
      "online 1 online true",
    ]);
  });
});
