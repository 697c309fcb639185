import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explore, type Program, runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import { random } from "../sim/strategy_random.ts";
import { type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import {
  cpuHotplugLock,
  cpusReadLock,
  cpusReadUnlock,
  cpusWriteLock,
  cpusWriteUnlock,
  lockdepAssertCpusHeld,
  PercpuRwsem,
  percpuDownRead,
  percpuDownReadTrylock,
  percpuDownWrite,
  percpuUpRead,
  percpuUpWrite,
} from "./percpu_rwsem.ts";
import { KernelBug } from "./report.ts";

const zero: Strategy = { name: "zero", choose: () => 0 };

function prog(name: string, setup: (k: Kernel) => void, nrCpus = 2): Program {
  return { name, config: { nrCpus }, setup };
}

function* yields(n: number): Op<void> {
  for (let i = 0; i < n; i++) yield* sched(`y${i}`);
}

describe("percpu_rwsem", () => {
  it("readers share, a writer excludes everyone (random exploration)", () => {
    let sharedSeen = 0;
    const r = explore(
      prog("rw", (k) => {
        const s = new PercpuRwsem("sem");
        const inside = { readers: 0, writers: 0 };
        const check = () => {
          if (inside.writers > 1 || (inside.writers === 1 && inside.readers > 0))
            throw new KernelBug("assertion", `BUG: exclusion broken: ${JSON.stringify(inside)}`);
          if (inside.readers > 1) sharedSeen++;
        };
        for (const [i, write] of [false, false, true, true].entries()) {
          k.spawn(
            `${write ? "W" : "R"}${i}`,
            i % 2,
            (function* () {
              yield* sched("start");
              if (write) yield* percpuDownWrite(k, s);
              else yield* percpuDownRead(k, s);
              if (write) inside.writers++;
              else inside.readers++;
              check();
              yield* yields(2);
              check();
              if (write) inside.writers--;
              else inside.readers--;
              if (write) percpuUpWrite(k, s);
              else percpuUpRead(k, s);
            })(),
          );
        }
      }),
      random(2),
      { executionsMax: 400 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
    assert.ok(sharedSeen > 0, "two readers were never inside together");
  });

  it("a new reader waits behind a pending writer", () => {
    let behind = 0;
    const r = explore(
      prog(
        "writer-preference",
        (k) => {
          const s = new PercpuRwsem("sem");
          const log: string[] = [];
          k.spawn(
            "R1",
            0,
            (function* () {
              yield* percpuDownRead(k, s);
              yield* yields(3);
              percpuUpRead(k, s);
            })(),
          );
          k.spawn(
            "W",
            1,
            (function* () {
              yield* sched("start");
              yield* percpuDownWrite(k, s);
              log.push("W in");
              percpuUpWrite(k, s);
            })(),
          );
          k.spawn(
            "R2",
            2,
            (function* () {
              yield* yields(2);
              const pending = s.writer !== null;
              yield* percpuDownRead(k, s);
              if (pending) {
                behind++;
                if (!log.includes("W in"))
                  throw new KernelBug("assertion", "BUG: reader overtook a pending writer");
              }
              percpuUpRead(k, s);
            })(),
          );
        },
        3,
      ),
      random(4),
      { executionsMax: 400 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
    assert.ok(behind > 0, "never saw a reader arrive behind a pending writer");
  });

  it("a nested read is reported as recursive locking, as lockdep does for cpus_read_lock", () => {
    const r = runOnce(
      prog("nested", (k) => {
        k.spawn(
          "T",
          0,
          (function* () {
            yield* cpusReadLock(k);
            yield* cpusReadLock(k);
          })(),
        );
      }),
      zero,
    );
    assert.equal(r.bug?.kind, "recursive-locking");
    assert.match(r.bug?.text ?? "", /cpu_hotplug_lock/);
  });

  it("up_write lets the queued readers in, up to the next writer (FIFO)", () => {
    const order: string[] = [];
    const r = runOnce(
      prog(
        "fifo",
        (k) => {
          const s = new PercpuRwsem("sem");
          k.spawn(
            "W0",
            0,
            (function* () {
              yield* percpuDownWrite(k, s);
              yield* yields(4);
              percpuUpWrite(k, s);
            })(),
          );
          for (const [i, name] of ["R1", "W2", "R3"].entries()) {
            k.spawn(
              name,
              (i + 1) % 2,
              (function* () {
                yield* yields(i + 1);
                if (name.startsWith("W")) yield* percpuDownWrite(k, s);
                else yield* percpuDownRead(k, s);
                order.push(name);
                yield* sched("inside");
                if (name.startsWith("W")) percpuUpWrite(k, s);
                else percpuUpRead(k, s);
              })(),
            );
          }
        },
        2,
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(order, ["R1", "W2", "R3"]);
  });

  it("a stalled writer is reported as waiting for the readers that hold it", () => {
    const r = runOnce(
      prog("stall", (k) => {
        const s = new PercpuRwsem("sem");
        k.spawn(
          "R",
          0,
          (function* () {
            yield* percpuDownRead(k, s);
            yield* k.blockCurrent("an event that never comes");
          })(),
        );
        k.spawn(
          "W",
          1,
          (function* () {
            yield* sched("start");
            yield* percpuDownWrite(k, s);
          })(),
        );
      }),
      zero,
    );
    // R waits for an event nobody will send (hung task); W waits for R.
    assert.equal(r.bug?.kind, "hung-task");
    assert.match(
      r.bug?.text ?? "",
      /task:W .*waiting for sem \(readers to leave\) \(held by R\/0\)/,
    );
    assert.match(r.bug?.text ?? "", /#0: \(sem\)\{read\}/);
  });

  it("cpus_read_lock / cpus_write_lock use the kernel's one cpu_hotplug_lock", () => {
    const r = runOnce(
      prog("cpus", (k) => {
        k.spawn(
          "T",
          0,
          (function* () {
            yield* cpusReadLock(k);
            lockdepAssertCpusHeld(k);
            if (!percpuDownReadTrylock(k, new PercpuRwsem("other")))
              throw new KernelBug("assertion", "trylock failed");
            cpusReadUnlock(k);
            yield* cpusWriteLock(k);
            lockdepAssertCpusHeld(k);
            if (cpuHotplugLock(k).writer !== k.task) throw new KernelBug("assertion", "no writer");
            cpusWriteUnlock(k);
          })(),
        );
      }),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    const bad = runOnce(
      prog("unheld", (k) => {
        k.spawn(
          "T",
          0,
          (function* () {
            yield* sched("start");
            lockdepAssertCpusHeld(k);
          })(),
        );
      }),
      zero,
    );
    assert.match(bad.bug?.title ?? "", /lockdep_assert_held\(cpu_hotplug_lock\)/);
  });
});

describe("percpu_rwsem wait-for edges", () => {
  it("a reader woken by up_write but not yet running does not look blocked (no false cycle)", () => {
    // W1 holds the lock while R (reader) and then W2 (writer) queue; W1's up_write lets R in and
    // makes W2 the pending writer; W2 runs before R and waits for R to drain. R is runnable:
    // following its old wait ("behind the writer", i.e. W2) would close a false cycle.
    let sem: PercpuRwsem | null = null;
    const script: Strategy = {
      name: "handoff",
      choose: (n, kind, ctx) => {
        if (kind !== "schedule" || ctx.taskIds === undefined || sem === null) return 0;
        const ids = ctx.taskIds;
        const queueing = sem.writer?.id === 0 && sem.waiters.length < 2;
        const want = queueing ? ids.find((id) => id !== 0) : ids.includes(0) ? 0 : 2;
        return Math.max(0, Math.min(n - 1, ids.indexOf(want ?? ids[0] ?? 0)));
      },
    };
    let drained = false;
    const r = runOnce(
      prog("handoff", (k) => {
        const s = new PercpuRwsem("sem");
        sem = s;
        k.spawn(
          "W1",
          0,
          (function* () {
            yield* percpuDownWrite(k, s);
            yield* yields(3);
            percpuUpWrite(k, s);
          })(),
        );
        k.spawn(
          "R",
          1,
          (function* () {
            yield* percpuDownRead(k, s);
            drained = s.writerDraining;
            yield* sched("inside");
            percpuUpRead(k, s);
          })(),
        );
        k.spawn(
          "W2",
          1,
          (function* () {
            yield* percpuDownWrite(k, s);
            percpuUpWrite(k, s);
          })(),
        );
      }),
      script,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.ok(drained, "the script did not reach the handoff it tests");
  });
});
