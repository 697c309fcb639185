import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Program, runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import { type Op, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { liveObjects, memory } from "./memory.ts";
import {
  type PercpuRef,
  percpuRefExit,
  percpuRefGet,
  percpuRefInit,
  percpuRefIsDying,
  percpuRefIsZero,
  percpuRefKill,
  percpuRefPut,
  percpuRefResurrect,
  percpuRefTryget,
  percpuRefTrygetLive,
} from "./percpu_ref.ts";

const zero: Strategy = { name: "zero", choose: () => 0 };
/** Switches to another task at every scheduling decision (lets the RCU callback run). */
const alternate: Strategy = {
  name: "alternate",
  choose: (n, kind) => (kind === "schedule" ? n - 1 : 0),
};
const failAll: Strategy = { name: "fail", choose: (_n, kind) => (kind === "fault" ? 1 : 0) };

interface Log {
  lines: string[];
  releasedBy: string[];
}

/** Runs `body(ref)` on task T after init; the release records the task it ran on. */
function withRef(body: (k: Kernel, ref: PercpuRef, log: Log) => Op<void>, strategy = zero) {
  const log: Log = { lines: [], releasedBy: [] };
  const program: Program = {
    name: "percpu_ref",
    config: { nrCpus: 2 },
    setup(k) {
      k.spawn(
        "T",
        0,
        (function* () {
          const ref = yield* percpuRefInit(k, "pool->ref", function* (k2) {
            yield* sched("release");
            log.releasedBy.push(k2.task.name);
          });
          if (ref === null) {
            log.lines.push("init failed");
            return;
          }
          yield* body(k, ref, log);
        })(),
      );
    },
  };
  return { r: runOnce(program, strategy), log };
}

describe("percpu_ref", () => {
  it("init allocates through kmalloc (faultable by label) and starts at one", () => {
    const ok = withRef(function* (k, ref, log) {
      log.lines.push(
        `count ${ref.count} live ${liveObjects(k, (o) => o.label === "pool->ref").length}`,
      );
      yield* sched("x");
    });
    assert.deepEqual(ok.log.lines, ["count 1 live 1"]);
    const program: Program = {
      name: "fail",
      config: { nrCpus: 1 },
      setup(k) {
        memory(k).policy.faultable.add("pool->ref");
        k.spawn(
          "T",
          0,
          (function* () {
            const ref = yield* percpuRefInit(k, "pool->ref", function* () {
              yield* sched("release");
            });
            if (ref !== null) throw new Error("expected the init to fail");
          })(),
        );
      },
    };
    assert.equal(runOnce(program, failAll).outcome, "ok");
  });

  it("tryget succeeds on a killed ref while count > 0; tryget_live does not", () => {
    const { r, log } = withRef(function* (k, ref, log) {
      log.lines.push(`live before kill: ${percpuRefTrygetLive(k, ref)}`);
      yield* percpuRefKill(k, ref);
      log.lines.push(`dying ${percpuRefIsDying(ref)}`);
      log.lines.push(`live after kill: ${percpuRefTrygetLive(k, ref)}`);
      log.lines.push(`tryget after kill: ${percpuRefTryget(k, ref)}`);
      yield* percpuRefPut(k, ref);
      yield* percpuRefPut(k, ref);
    });
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log.lines, [
      "live before kill: true",
      "dying true",
      "live after kill: false",
      "tryget after kill: true",
    ]);
  });

  it("kill alone releases only after an RCU grace period, from the RCU callback", () => {
    const { r, log } = withRef(function* (_k, ref, log) {
      yield* percpuRefKill(_k, ref);
      log.lines.push(`after kill: releases ${ref.releases}, zero ${percpuRefIsZero(ref)}`);
    });
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log.lines, ["after kill: releases 0, zero false"]);
    assert.deepEqual(log.releasedBy, ["rcu_callback"]);
  });

  it("with a reference outstanding, the last put releases, on the putting task", () => {
    const { r, log } = withRef(function* (k, ref, log) {
      percpuRefGet(k, ref);
      yield* percpuRefKill(k, ref);
      for (let i = 0; i < 6; i++) yield* sched("let the grace period end");
      log.lines.push(`count ${ref.count} zero ${percpuRefIsZero(ref)}`);
      yield* percpuRefPut(k, ref);
      log.lines.push(`zero ${percpuRefIsZero(ref)} tryget ${percpuRefTryget(k, ref)}`);
    }, alternate);
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log.lines, ["count 1 zero false", "zero true tryget false"]);
    assert.deepEqual(log.releasedBy, ["T"]);
  });

  it("resurrect undoes kill: no release, tryget_live works again", () => {
    const { r, log } = withRef(function* (k, ref, log) {
      yield* percpuRefKill(k, ref);
      percpuRefResurrect(k, ref);
      for (let i = 0; i < 4; i++) yield* sched("grace period");
      log.lines.push(`count ${ref.count} live ${percpuRefTrygetLive(k, ref)}`);
      yield* percpuRefPut(k, ref);
    }, alternate);
    assert.equal(r.outcome, "ok", r.bug?.text);
    assert.deepEqual(log.lines, ["count 1 live true"]);
    assert.deepEqual(log.releasedBy, []);
  });

  for (const [name, body, title] of [
    [
      "a put after zero",
      function* (k: Kernel, ref: PercpuRef) {
        yield* percpuRefKill(k, ref);
        for (let i = 0; i < 4; i++) yield* sched("gp");
        yield* percpuRefPut(k, ref);
      },
      /percpu ref \(pool->ref\) <= 0/,
    ],
    [
      "a put that drops the initial reference",
      function* (k: Kernel, ref: PercpuRef) {
        yield* percpuRefPut(k, ref);
      },
      /dropped to 0 before percpu_ref_kill/,
    ],
    [
      "a second kill",
      function* (k: Kernel, ref: PercpuRef) {
        percpuRefGet(k, ref);
        yield* percpuRefKill(k, ref);
        yield* percpuRefKill(k, ref);
      },
      /percpu_ref_kill_and_confirm called more than once/,
    ],
    [
      "resurrecting a live ref",
      function* (k: Kernel, ref: PercpuRef) {
        yield* sched("x");
        percpuRefResurrect(k, ref);
      },
      /percpu_ref_resurrect\(\) on a live ref/,
    ],
    [
      "exit during the switch to atomic",
      function* (k: Kernel, ref: PercpuRef) {
        yield* percpuRefKill(k, ref);
        percpuRefExit(k, ref);
      },
      /while a mode switch is in flight/,
    ],
  ] as const) {
    it(`reports ${name}`, () => {
      const { r } = withRef(body);
      assert.equal(r.bug?.kind, "assertion", r.message);
      assert.match(r.bug?.title ?? "", title);
    });
  }

  it("exit frees the ref's data; a second exit is a no-op; a use after exit is a UAF", () => {
    const { r, log } = withRef(function* (k, ref, log) {
      percpuRefExit(k, ref);
      percpuRefExit(k, ref);
      log.lines.push(`dead ${ref.dead} live ${liveObjects(k).length}`);
      yield* sched("x");
      percpuRefGet(k, ref);
    });
    assert.deepEqual(log.lines, ["dead true live 0"]);
    assert.equal(r.bug?.kind, "use-after-free");
    assert.match(r.bug?.text ?? "", /percpu_ref_get/);
  });
});
