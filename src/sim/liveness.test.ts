import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Op, sched } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { Mutex, mutexLock, mutexTrylock } from "../kernel/mutex.ts";
import { preemptDisable } from "../kernel/preempt.ts";
import { type Program, runOnce } from "./explore.ts";
import { replayComposite } from "./replay_run.ts";
import type { Strategy } from "./strategy.ts";

/** Always "keep going": the most unfair scheduler there is (dfs past its budget does this). */
const zero: Strategy = { name: "zero", choose: () => 0 };

function prog(name: string, setup: (k: Kernel) => void): Program {
  return { name, config: { nrCpus: 2 }, setup };
}

/** A waiter polls a flag that a second task on the same CPU sets; `stale` polls a snapshot. */
function waiterAndSetter(stale: boolean): Program {
  return prog(stale ? "stale" : "fresh", (k) => {
    const flag = { set: false };
    k.spawn(
      "waiter",
      0,
      (function* (): Op<void> {
        const seen = flag.set;
        while (!(stale ? seen : flag.set)) yield* sched("poll");
      })(),
    );
    k.spawn(
      "setter",
      0,
      (function* (): Op<void> {
        yield* sched("start");
        flag.set = true;
      })(),
    );
  });
}

describe("liveness", () => {
  it("a loop starved by an unfair schedule finishes in the fair continuation: long, not a bug", () => {
    const r = runOnce(waiterAndSetter(false), zero, { stepsMax: 1_000 });
    assert.equal(r.outcome, "step-bound");
    assert.equal(r.stepBoundHit, true);
    assert.equal(r.bug, null);
    assert.match(r.message, /fair continuation finished the execution/);
  });

  it("a loop that waits for a state that never changes is a livelock, and replays", () => {
    const r = runOnce(waiterAndSetter(true), zero, { stepsMax: 1_000 });
    assert.equal(r.outcome, "bug");
    assert.equal(r.bug?.kind, "livelock");
    assert.match(r.bug?.title ?? "", /^BUG: livelock: task waiter:0 retries forever on CPU#0/);
    assert.match(r.bug?.text ?? "", /cycle\nof 1 scheduling point\(s\) 20000 times/);
    assert.match(r.bug?.text ?? "", /waiter\/0 cpu0: poll/);
    const again = replayComposite(waiterAndSetter(true), r.log.token(), { stepsMax: 1_000 });
    assert.equal(again.bug?.text, r.bug?.text);
  });

  it("a loop that never sleeps and never repeats is a soft lockup (PREEMPT_NONE's watchdog)", () => {
    const counter = prog("counter", (k) => {
      k.spawn(
        "counter",
        1,
        (function* (): Op<void> {
          for (let i = 0; ; i++) yield* sched(`count ${i}`);
        })(),
      );
    });
    const r = runOnce(counter, zero, { stepsMax: 1_000 });
    assert.equal(r.bug?.kind, "soft-lockup");
    assert.match(
      r.bug?.title ?? "",
      /^watchdog: BUG: soft lockup - CPU#1 stuck for 22s! \[counter:0\]$/,
    );
    assert.match(r.bug?.text ?? "", /in a loop that never sleeps/);
  });

  it("preemption disabled for too long is a soft lockup before any step bound", () => {
    const pinned = prog("pinned", (k) => {
      k.spawn(
        "spinner",
        0,
        (function* (): Op<void> {
          preemptDisable(k);
          for (;;) yield* sched("cpu_relax");
        })(),
      );
    });
    const r = runOnce(pinned, zero);
    assert.equal(r.bug?.kind, "soft-lockup");
    assert.equal(r.stepBoundHit, false);
    assert.match(r.bug?.text ?? "", /with preemption disabled/);
  });

  it("a loop with no preemption point in it is a soft lockup, not a hung checker", () => {
    const trylockLoop = prog("trylock-loop", (k) => {
      const m = new Mutex("m");
      k.spawn(
        "holder",
        0,
        (function* (): Op<void> {
          yield* mutexLock(k, m);
          yield* sched("holding");
        })(),
      );
      k.spawn(
        "spinner",
        1,
        (function* (): Op<void> {
          yield* sched("start");
          while (!mutexTrylock(k, m)) {
            // no preemption point: the model cannot switch away from here
          }
        })(),
      );
    });
    // The holder exits with the mutex held (the plain schedule runs it first).
    const r = runOnce(trylockLoop, zero);
    assert.equal(r.bug?.kind, "soft-lockup", r.message);
    assert.match(r.bug?.text ?? "", /a loop with no preemption point in it/);
  });
});
