/**
 * Self-test rows for the liveness detectors (src/sim/liveness.ts): each planted bug makes an
 * execution that never finishes, or a task that nobody can wake; each twin finishes under every
 * schedule and must not even reach the step bound.
 */
import { type Op, sched } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { Mutex, mutexLock, mutexUnlock } from "../kernel/mutex.ts";
import { preemptDisable, preemptEnable } from "../kernel/preempt.ts";
import type { Program } from "../sim/explore.ts";
import type { SelftestCase } from "./selftest_case.ts";

function twoCpus(name: string, buggy: boolean, setup: (k: Kernel) => void): Program {
  return { name: `${name} (${buggy ? "bug" : "fixed"})`, config: { nrCpus: 2 }, setup };
}

/** Waits for `flag.set`; the planted version re-reads a stale snapshot, the twin the flag. */
function* retry(flag: { set: boolean }, stale: boolean): Op<void> {
  const seen = flag.set;
  for (;;) {
    if (stale ? seen : flag.set) return;
    yield* sched("retry");
  }
}

export const LIVENESS_CASES: readonly SelftestCase[] = [
  {
    detector: "livelock (fair continuation)",
    planted: "a retry loop tests a snapshot taken before the loop instead of the flag",
    kind: "livelock",
    title: /^BUG: livelock: task waiter:0 retries forever/,
    executionsMax: 50,
    make: (buggy) =>
      twoCpus("stale-retry", buggy, (k) => {
        const flag = { set: false };
        k.spawn("waiter", 0, retry(flag, buggy));
        k.spawn(
          "setter",
          1,
          (function* () {
            yield* sched("start");
            flag.set = true;
          })(),
        );
      }),
  },
  {
    detector: "soft lockup (watchdog)",
    planted: "spins with preemption disabled for a flag a task on the same CPU sets",
    kind: "soft-lockup",
    title: /^watchdog: BUG: soft lockup - CPU#0 stuck for 22s! \[spinner:0\]$/,
    executionsMax: 50,
    make: (buggy) =>
      twoCpus("spin-pinned", buggy, (k) => {
        const flag = { set: false };
        k.spawn(
          "spinner",
          0,
          (function* () {
            yield* sched("start");
            if (buggy) preemptDisable(k);
            while (!flag.set) yield* sched("cpu_relax");
            if (buggy) preemptEnable(k);
          })(),
        );
        k.spawn(
          "setter",
          0,
          (function* () {
            yield* sched("start");
            flag.set = true;
          })(),
        );
      }),
  },
  {
    detector: "hung task (nothing runnable)",
    planted: "an error path returns without mutex_unlock; the next locker sleeps forever",
    kind: "hung-task",
    title: /^INFO: task B:1 blocked for more than 120 seconds\.$/,
    executionsMax: 50,
    make: (buggy) =>
      twoCpus("missing-unlock", buggy, (k) => {
        const m = new Mutex("m");
        k.spawn(
          "A",
          0,
          (function* () {
            yield* mutexLock(k, m);
            if (!buggy) mutexUnlock(k, m);
          })(),
        );
        k.spawn(
          "B",
          1,
          (function* () {
            yield* sched("start");
            yield* mutexLock(k, m);
            mutexUnlock(k, m);
          })(),
        );
      }),
  },
];
