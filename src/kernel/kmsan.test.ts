import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runOnce } from "../sim/explore.ts";
import type { Strategy } from "../sim/strategy.ts";
import type { Kernel } from "./kernel.ts";
import { isUninit, kmsanPoison, kmsanUse } from "./kmsan.ts";
import type { KObj } from "./memory.ts";
import { __GFP_ZERO, GFP_KERNEL, kfree, use } from "./memory.ts";
import { allocPercpu, perCpuPtr } from "./percpu.ts";

const zero: Strategy = { name: "zero", choose: () => 0 };

interface Slot {
  ptr: KObj<number> | null;
}

/** One task allocates a per-CPU area (zeroed or not) and runs `act` on CPU 1's slot. */
function run(gfp: number, act: (k: Kernel, s: Slot) => void) {
  return runOnce(
    {
      name: "kmsan",
      config: { nrCpus: 2 },
      setup(k) {
        k.spawn(
          "T",
          0,
          (function* () {
            const pcp = yield* allocPercpu(k, "area", gfp, (cpu, zeroed) => ({
              ptr: zeroed
                ? null
                : kmsanPoison<KObj<number>>(k, `slot(cpu${cpu})->ptr`, "alloc_percpu_gfp"),
            }));
            if (pcp === null) throw new Error("allocation failed");
            act(k, perCpuPtr(k, pcp, 1));
          })(),
        );
      },
    },
    zero,
  );
}

describe("KMSAN: uninitialised per-CPU memory", () => {
  it("__GFP_ZERO gives NULL fields; without it the fields are poisoned", () => {
    assert.equal(run(GFP_KERNEL | __GFP_ZERO, (_k, s) => assert.equal(s.ptr, null)).outcome, "ok");
    assert.equal(run(GFP_KERNEL, (_k, s) => assert.ok(isUninit(s.ptr))).outcome, "ok");
  });

  it("copying a poisoned value is not reported (KMSAN propagates shadow)", () => {
    const r = run(GFP_KERNEL, (_k, s) => {
      const copy = s.ptr;
      assert.ok(isUninit(copy));
    });
    assert.equal(r.outcome, "ok");
  });

  for (const [what, act] of [
    ["a branch on it", (k: Kernel, s: Slot) => void kmsanUse(k, s.ptr, "if (slot->ptr)")],
    [
      "a dereference",
      (k: Kernel, s: Slot) => void use(k, s.ptr as KObj<number>, "read slot->ptr->x"),
    ],
    ["kfree() of it", (k: Kernel, s: Slot) => kfree(k, s.ptr)],
  ] as const) {
    it(`${what} is reported as uninit-value, with the creation site`, () => {
      const r = run(GFP_KERNEL, act);
      assert.equal(r.bug?.kind, "uninit-value");
      assert.match(r.bug?.title ?? "", /^BUG: KMSAN: uninit-value in T$/);
      assert.match(r.bug?.text ?? "", /Uninit was created at:\n alloc_percpu_gfp\n/);
      assert.match(r.bug?.text ?? "", /slot\(cpu1\)->ptr was never written/);
      // The same code on zeroed memory is quiet (NULL is a valid pointer to test and to free).
      if (what !== "a dereference") assert.equal(run(GFP_KERNEL | __GFP_ZERO, act).outcome, "ok");
    });
  }
});
