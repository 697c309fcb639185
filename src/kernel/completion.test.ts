import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explore } from "../sim/explore.ts";
import { random } from "../sim/strategy_random.ts";
import { Completion, complete, waitForCompletion } from "./completion.ts";
import { sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";

function program(name: string, setup: (k: Kernel) => void) {
  return { name, config: { nrCpus: 2 }, setup };
}

describe("completions", () => {
  it("wait_for_completion returns once complete() ran, in every interleaving", () => {
    let finished = 0;
    const r = explore(
      program("complete", (k) => {
        const c = new Completion("job");
        k.spawn(
          "waiter",
          0,
          (function* () {
            yield* waitForCompletion(k, c);
            finished++;
          })(),
        );
        c.completer = k.spawn(
          "irq",
          1,
          (function* () {
            yield* sched("work");
            complete(k, c);
          })(),
        );
      }),
      random(1),
      { executionsMax: 200 },
    );
    assert.equal(r.verdict, "bound", r.message);
    assert.equal(finished, 200);
  });

  it("a completion nobody signals is reported as a hung task", () => {
    const r = explore(
      program("never", (k) => {
        const c = new Completion("lost job");
        k.spawn("waiter", 0, waitForCompletion(k, c));
      }),
      random(1),
      { executionsMax: 10 },
    );
    assert.equal(r.verdict, "bug");
    assert.equal(r.failing?.bug?.kind, "hung-task");
    assert.match(r.failing?.bug?.text ?? "", /lost job/);
  });
});
