import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { D7 } from "../../zswap/acomp_ctx/d7.ts";
import { registerHiddenDesign } from "../../zswap/acomp_ctx/index.ts";
import { zswapState } from "../../zswap/state.ts";
import type { PoolObj } from "../../zswap/types.ts";
import { checkCell } from "../checker.ts";
import "../claims.ts";
import { rollbackProblems } from "./oracles.ts";

/** Uses the pool it is preparing, as if reclaim from prepare had found it on zswap_pools. */
const USES_OWN_POOL = {
  ...D7,
  name: "T-prepare-uses-own-pool",
  *prepare(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
    const ret = yield* D7.prepare(k, pool, cpu);
    if (ret !== 0) return ret;
    // Through zswap's design (the checked one), as zswap_compress() would take it.
    const z = zswapState(k);
    const ctx = yield* z.design.acquire(k, pool);
    z.design.release(k, ctx);
    return 0;
  },
};
registerHiddenDesign(USES_OWN_POOL);

describe("ledger oracles fire on a bug and stay quiet on its twin", () => {
  it("creating-pool-unused: a pool used while it is created", () => {
    const bad = checkCell("T-prepare-uses-own-pool", "C12", { claim: "creating-pool-unused" });
    assert.equal(bad.verdict, "bug");
    assert.match(bad.bug?.title ?? "", /creating-pool-unused/);
    assert.equal(checkCell("D7", "C12", { claim: "creating-pool-unused" }).verdict, "verified");
  });

  it("prepared-all-or-none: quiet where creation succeeds", () => {
    assert.equal(checkCell("D7", "C10", { claim: "prepared-all-or-none" }).verdict, "verified");
    assert.equal(checkCell("D7", "C7", { claim: "prepared-all-or-none" }).verdict, "bug");
  });

  it("add-instance-rollback: the rules it checks", () => {
    const ok = {
      prepares: [
        { cpu: 0, task: 1, ret: 0 },
        { cpu: 1, task: 1, ret: -12 },
      ],
      deads: [0],
    };
    assert.deepEqual(rollbackProblems([0, 1, 2], true, ok), []);
    assert.deepEqual(rollbackProblems([0, 1, 2], false, { ...ok, deads: [] }), []);
    assert.match(rollbackProblems([0, 1, 2], false, ok).join(), /teardown ran on cpus \[0\]/);
    assert.match(rollbackProblems([0, 1, 2], true, { ...ok, deads: [] }).join(), /expected \[0\]/);
    const skipped = { prepares: [{ cpu: 1, task: 1, ret: -12 }], deads: [] };
    assert.match(rollbackProblems([0, 1], true, skipped).join(), /expected every online cpu/);
    const unordered = {
      prepares: [
        { cpu: 1, task: 1, ret: 0 },
        { cpu: 0, task: 1, ret: -12 },
      ],
      deads: [1],
    };
    assert.match(rollbackProblems([0, 1], true, unordered).join(), /not ascending/);
  });
});
