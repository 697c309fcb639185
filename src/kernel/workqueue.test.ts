import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explore, type Program, runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import { random } from "../sim/strategy_random.ts";
import { type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { Mutex, mutexLock, mutexUnlock } from "./mutex.ts";
import { KernelBug } from "./report.ts";
import { flushWork, queueWork, Work, workPending } from "./workqueue.ts";

const zero: Strategy = { name: "zero", choose: () => 0 };

function prog(name: string, setup: (k: Kernel) => void, onlineCpus?: number[]): Program {
  return { name, config: onlineCpus ? { nrCpus: 3, onlineCpus } : { nrCpus: 3 }, setup };
}

describe("workqueue", () => {
  it("queue_work spawns kworker/u:<name> on the lowest online CPU; pending until it starts", () => {
    const seen: string[] = [];
    const r = runOnce(
      prog(
        "queue",
        (k) => {
          const work = new Work("release_work", function* (k2) {
            seen.push(`${k2.task.name} on cpu${k2.cpu}`);
            yield* sched("work");
          });
          k.spawn(
            "T",
            2,
            (function* () {
              seen.push(`${queueWork(k, work)} ${queueWork(k, work)} ${workPending(work)}`);
              yield* flushWork(k, work);
              seen.push(`flushed ${workPending(work)}`);
            })(),
          );
        },
        [1, 2],
      ),
      zero,
    );
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(seen, ["true false true", "kworker/u:release_work on cpu1", "flushed false"]);
  });

  it("flush_work returns only after the last queued instance finished", () => {
    const r = explore(
      prog("flush", (k) => {
        const state = { runs: 0, running: 0 };
        const work = new Work("shrink_work", function* () {
          state.running++;
          if (state.running > 1) throw new KernelBug("assertion", "BUG: work ran twice at once");
          yield* sched("working");
          state.runs++;
          state.running--;
        });
        k.spawn(
          "Q",
          0,
          (function* (): Op<void> {
            for (let i = 0; i < 3; i++) {
              queueWork(k, work);
              yield* sched("requeue");
            }
            const queued = work.queued;
            yield* flushWork(k, work);
            if (work.finished < queued || state.runs < queued)
              throw new KernelBug("assertion", "BUG: flush_work returned early");
          })(),
        );
      }),
      random(1),
      { executionsMax: 400 },
    );
    assert.equal(r.verdict, "bound", r.failing?.bug?.text);
  });

  it("flushing a work while holding a lock the work takes is a lockdep report", () => {
    for (const buggy of [true, false]) {
      const r = explore(
        prog(`flush-under-lock (${buggy})`, (k) => {
          const m = new Mutex("zswap_pools_mutex");
          const work = new Work("release_work", function* (k2) {
            yield* mutexLock(k2, m);
            mutexUnlock(k2, m);
          });
          k.spawn(
            "T",
            0,
            (function* () {
              yield* mutexLock(k, m);
              queueWork(k, work);
              if (!buggy) mutexUnlock(k, m);
              yield* flushWork(k, work);
              if (buggy) mutexUnlock(k, m);
            })(),
          );
        }),
        random(2),
        { executionsMax: 200 },
      );
      if (buggy) assert.equal(r.failing?.bug?.kind, "circular-locking", r.message);
      else assert.equal(r.verdict, "bound", r.failing?.bug?.text);
    }
  });

  it("a work that flushes itself is recursive locking", () => {
    const r = runOnce(
      prog("self-flush", (k) => {
        const work: Work = new Work("w", function* (k2) {
          yield* flushWork(k2, work);
        });
        k.spawn(
          "T",
          0,
          (function* () {
            yield* sched("start");
            queueWork(k, work);
          })(),
        );
      }),
      zero,
    );
    assert.equal(r.bug?.kind, "recursive-locking");
  });
});
