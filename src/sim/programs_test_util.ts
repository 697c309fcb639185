/** Small programs used by the executor's tests and benchmarks (not shipped behaviour). */
import { type Op, sched } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { KernelBug } from "../kernel/report.ts";
import type { Program } from "./explore.ts";

/**
 * Two tasks increment a shared counter; with `racy`, a yield splits the read-modify-write. The
 * counter's accesses are annotated for the footprints (src/kernel/access.ts) unless `untracked`
 * (a program whose footprints are incomplete: the dynamic reduction must then miss the bug).
 */
export function lostUpdate(racy: boolean, nrCpus = 2, untracked = false): Program {
  return {
    name: racy ? "lost-update (racy)" : "lost-update (atomic)",
    config: { nrCpus },
    setup(k: Kernel) {
      const shared = { counter: 0 };
      const fp = () => (untracked ? null : k.fp);
      function* incr(): Op<void> {
        yield* sched("start");
        if (racy) {
          fp()?.read("counter");
          const v = shared.counter;
          yield* sched("after read");
          fp()?.write("counter");
          shared.counter = v + 1;
        } else {
          fp()?.write("counter");
          shared.counter++;
          yield* sched("after increment");
        }
      }
      k.spawn("A", 0, incr());
      k.spawn("B", nrCpus > 1 ? 1 : 0, incr());
      k.finishHooks.push(() => {
        if (shared.counter !== 2) {
          throw new KernelBug(
            "assertion",
            `BUG: lost update: counter is ${shared.counter}, expected 2`,
          );
        }
      });
    },
  };
}

/** `tasks` tasks of `steps` yields each, for throughput benchmarks and interleaving counts. */
export function stepper(tasks: number, steps: number): Program {
  return {
    name: `stepper(${tasks}x${steps})`,
    config: { nrCpus: 2 },
    setup(k: Kernel) {
      for (let t = 0; t < tasks; t++) {
        k.spawn(
          `T${t}`,
          t % 2,
          (function* () {
            for (let s = 0; s < steps; s++) yield* sched(`s${s}`);
          })(),
        );
      }
    },
  };
}
