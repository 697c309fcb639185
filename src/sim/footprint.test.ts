import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Op, sched } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { SimExecutor } from "./executor.ts";
import { explore, type Program } from "./explore.ts";
import { lostUpdate } from "./programs_test_util.ts";
import { dfs } from "./strategy_dfs.ts";
import { ReplayStrategy } from "./strategy_replay.ts";

/**
 * Two tasks on three CPUs, each passing four points; `reads` says after which points a task
 * reads its CPU (smp_processor_id()). What the execution shows: every event in order, with the
 * CPU values read; two executions are equivalent when they show the same.
 */
function cpuReaders(reads: readonly number[], shared = false): Program {
  return {
    name: "cpu-readers",
    config: { nrCpus: 3 },
    setup(k: Kernel) {
      const seen: string[] = [];
      const counter = { v: 0 };
      function* body(name: string): Op<void> {
        for (let p = 0; p < 4; p++) {
          yield* sched(`${name}${p}`);
          if (reads.includes(p)) seen.push(`${name}${p}@cpu${k.cpu}`);
          if (shared) seen.push(`${name}${p}:${counter.v++}`);
        }
      }
      k.spawn("A", 0, body("A"));
      k.spawn("B", 1, body("B"));
      k.finishHooks.push(() => observed.push(seen.join(" ")));
    },
  };
}

let observed: string[] = [];

/** The distinct behaviours of the complete executions of dfs(bound), and the counts. */
function behaviours(program: Program, bound: number, por: boolean) {
  observed = [];
  const r = explore(program, dfs(bound, { por }), { executionsMax: 1e6 });
  assert.equal(r.verdict, "exhausted");
  return { set: new Set(observed), executions: r.executions, pruned: r.pruned };
}

describe("partial-order reduction: unobserved migrations", () => {
  it("prunes executions that differ only in a migration nothing reads", () => {
    const p = cpuReaders([]);
    const full = behaviours(p, 2, false);
    const reduced = behaviours(p, 2, true);
    assert.deepEqual(reduced.set, full.set, "the same behaviours");
    // Every move is unobserved here: exactly the executions without one run to the end.
    const ex = dfs(2);
    let unmoved = 0;
    explore(
      p,
      {
        ...ex,
        done(log, steps) {
          if (!log.kinds.some((kind, i) => kind === "migrate" && log.values[i] !== 0)) unmoved++;
          ex.done?.(log, steps);
        },
      },
      { executionsMax: 1e4 },
    );
    assert.ok(unmoved < full.executions);
    assert.equal(reduced.executions - reduced.pruned, unmoved);
  });

  it("keeps every CPU a task can observe, and every order of conflicting steps", () => {
    for (const reads of [[1], [0, 3], [2]]) {
      const p = cpuReaders(reads, true);
      const full = behaviours(p, 2, false);
      const reduced = behaviours(p, 2, true);
      assert.deepEqual(reduced.set, full.set, `reads after ${reads}`);
      assert.ok(reduced.executions <= full.executions);
    }
    // Both orders of the racy increment are run: the lost update is found with reduction too.
    const r = explore(lostUpdate(true, 3), dfs(2, { por: true }), { executionsMax: 1e4 });
    assert.equal(r.verdict, "bug");
  });

  it("is deterministic, and the tokens of complete executions replay", () => {
    const run = () => {
      observed = [];
      const tokens: string[] = [];
      const ex = dfs(2, { por: true });
      const p = cpuReaders([2]);
      for (let i = 0; ; i++) {
        const s = ex.next(i);
        if (s === null) break;
        const k = new Kernel(p.config);
        p.setup(k);
        const r = new SimExecutor(k, s, { por: true }).run();
        ex.done?.(r.log, r.steps);
        tokens.push(`${r.outcome}:${r.log.token()}`);
      }
      return tokens;
    };
    const a = run();
    assert.deepEqual(run(), a);
    const complete = a.filter((t) => t.startsWith("ok:")).map((t) => t.slice(3));
    for (const token of complete.slice(0, 50)) {
      const k = new Kernel({ nrCpus: 3 });
      cpuReaders([2]).setup(k);
      const rs = new ReplayStrategy(token);
      assert.equal(new SimExecutor(k, rs).run().outcome, "ok");
      rs.finish();
    }
  });

  it("names the reduction in the coverage line", () => {
    const ex = dfs(1, { por: true });
    explore(cpuReaders([]), ex, { executionsMax: 1e4 });
    assert.match(ex.coverage?.() ?? "", /^verified up to bound 1 with partial-order reduction: /);
  });
});
