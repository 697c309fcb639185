import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explore, type Program, runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import { random } from "../sim/strategy_random.ts";
import { type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { Mutex, mutexLock, mutexUnlock } from "./mutex.ts";
import { migrateDisable, migrateEnable, preemptDisable, preemptEnable } from "./preempt.ts";
import { KernelBug } from "./report.ts";

const zero: Strategy = { name: "zero", choose: () => 0 };

function prog(name: string, setup: (k: Kernel) => void, nrCpus = 2): Program {
  return { name, config: { nrCpus }, setup };
}

describe("preempt_disable / preempt_enable", () => {
  it("keep a depth on the task and report an enable below zero", () => {
    const depths: number[] = [];
    const r = runOnce(
      prog("depths", (k) => {
        k.spawn(
          "T",
          0,
          (function* () {
            yield* sched("start");
            preemptDisable(k);
            preemptDisable(k);
            depths.push(k.task.preemptDisableDepth);
            preemptEnable(k);
            preemptEnable(k);
            depths.push(k.task.preemptDisableDepth);
            preemptEnable(k);
          })(),
        );
      }),
      zero,
    );
    assert.deepEqual(depths, [2, 0]);
    assert.equal(r.bug?.kind, "assertion");
    assert.match(r.bug?.title ?? "", /preempt_count underflow/);
  });

  it("a preempt-disabled section is never interleaved with another task", () => {
    const r = explore(
      prog("atomic section", (k) => {
        const log: string[] = [];
        for (const name of ["A", "B"]) {
          k.spawn(
            name,
            name === "A" ? 0 : 1,
            (function* () {
              for (let round = 0; round < 2; round++) {
                preemptDisable(k);
                for (let i = 0; i < 3; i++) {
                  log.push(name);
                  yield* sched("inside");
                }
                preemptEnable(k);
                yield* sched("outside");
              }
            })(),
          );
        }
        k.finishHooks.push(() => {
          const runs = log.join("").match(/(A+|B+)/g) ?? [];
          if (runs.some((run) => run.length % 3 !== 0)) {
            throw new KernelBug("assertion", `BUG: atomic section interleaved: ${log.join("")}`);
          }
        });
      }),
      random(3),
      { executionsMax: 300 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
  });

  it("sleeping with preemption disabled is reported with the depth", () => {
    const r = runOnce(
      prog("sleep", (k) => {
        const m = new Mutex("m");
        k.spawn(
          "T",
          0,
          (function* () {
            preemptDisable(k);
            yield* mutexLock(k, m);
            mutexUnlock(k, m);
            preemptEnable(k);
          })(),
        );
      }),
      zero,
    );
    assert.equal(r.bug?.kind, "sleep-in-atomic");
    assert.match(r.bug?.text ?? "", /preempt_count: 1, expected: 0/);
  });
});

describe("migrate_disable / migrate_enable", () => {
  it("a migrate-disabled task stays on its CPU across preemption points", () => {
    const r = explore(
      prog(
        "pinned",
        (k) => {
          for (const name of ["A", "B", "C"]) {
            k.spawn(
              name,
              0,
              (function* (): Op<void> {
                migrateDisable(k);
                const cpu = k.cpu;
                for (let i = 0; i < 4; i++) {
                  yield* sched("pinned");
                  if (k.cpu !== cpu) throw new KernelBug("assertion", "BUG: pinned task migrated");
                }
                migrateEnable(k);
                yield* sched("free");
              })(),
            );
          }
        },
        3,
      ),
      random(5),
      { executionsMax: 300 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
  });

  it("tasks do migrate when not pinned (the test above is not vacuous)", () => {
    let migrated = false;
    for (let seed = 0; seed < 50 && !migrated; seed++) {
      explore(
        prog("free", (k) => {
          k.spawn(
            "A",
            0,
            (function* () {
              for (let i = 0; i < 4; i++) yield* sched("free");
              if (k.cpu !== 0) migrated = true;
            })(),
          );
          k.spawn(
            "B",
            1,
            (function* () {
              for (let i = 0; i < 4; i++) yield* sched("free");
            })(),
          );
        }),
        random(seed),
        { executionsMax: 1 },
      );
    }
    assert.ok(migrated);
  });

  it("an enable without a disable is reported", () => {
    const r = runOnce(
      prog("underflow", (k) => {
        k.spawn(
          "T",
          0,
          (function* () {
            yield* sched("start");
            migrateEnable(k);
          })(),
        );
      }),
      zero,
    );
    assert.match(r.bug?.title ?? "", /migrate_enable\(\) without migrate_disable\(\)/);
  });
});
