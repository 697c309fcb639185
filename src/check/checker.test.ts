import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CheckTokenError, decodeCheckToken, replayCheckToken } from "./check_token.ts";
import { type CellResult, checkCell } from "./checker.ts";
import { DESIGN_COLUMNS, EXPECTED } from "./expected.ts";
import { matches, mismatches } from "./report.ts";
import { LIFECYCLE_SCENARIOS } from "./scenarios/index.ts";

describe("the design x scenario matrix", () => {
  const results: CellResult[] = [];
  for (const s of LIFECYCLE_SCENARIOS)
    for (const d of DESIGN_COLUMNS) results.push(checkCell(d, s.id));

  it("has an expectation for every cell, with both verdicts in every scenario's row", () => {
    for (const s of LIFECYCLE_SCENARIOS) {
      const row = EXPECTED[s.id];
      assert.ok(row, `no expected row for ${s.id}`);
      const kinds = new Set(DESIGN_COLUMNS.map((d) => row[d]?.expect.kind));
      if (s.id !== "C12")
        assert.ok(
          kinds.has("bug") && kinds.has("safe"),
          `${s.id}: a row must have buggy and safe designs`,
        );
    }
  });

  it("finds every expected bug and keeps every safe design clean", () => {
    assert.deepEqual(mismatches(results), []);
    assert.ok(results.filter((r) => r.verdict === "bug").length >= 20);
    assert.ok(results.filter((r) => r.verdict === "verified").length >= 50);
  });

  it("verifies clean cells by exhaustive search up to the bound", () => {
    for (const r of results.filter((x) => x.verdict === "verified")) {
      assert.match(
        r.how,
        /verified up to bound 2 with partial-order reduction: \d+ executions, exhaustive/,
        `${r.design} x ${r.scenario}: ${r.how}`,
      );
      assert.equal(r.stepBoundHits, 0, `${r.design} x ${r.scenario} hit the step bound`);
    }
  });

  it("replays every bug token to the same report", () => {
    for (const r of results.filter((x) => x.verdict === "bug")) {
      const again = replayCheckToken(r.token as string);
      assert.equal(again.result.outcome, "bug", `${r.token} did not reproduce`);
      assert.equal(again.result.bug?.text, r.bug?.text, `${r.token}: a different report`);
    }
  });

  it("finds the historical bugs with the kernel's report headlines", () => {
    const cell = (d: string, s: string) =>
      results.find((r) => r.design === d && r.scenario === s) as CellResult;
    assert.match(
      cell("D0", "C1").bug?.title ?? "",
      /^BUG: KASAN: slab-use-after-free in zswap_(de)?compress$/,
    );
    assert.match(cell("D1", "C3").bug?.title ?? "", /possible (circular|recursive) locking/);
    assert.match(
      cell("D3", "C5").bug?.text ?? "",
      /Chain exists of:\n {2}scomp_lock --> fs_reclaim --> &per_cpu_ptr\(pool->acomp_ctx, cpu\)->mutex/,
    );
    assert.match(cell("D5", "C7").bug?.title ?? "", /never added|unregistered/);
    assert.equal(cell("D5", "C8").bug?.kind, "leak");
    assert.ok(matches(cell("D7", "C1")));
  });
});

describe("exact mode (lockdep's ordering checks off)", () => {
  it("settles that D2's allocation under the ctx mutex cannot really deadlock (C4)", () => {
    assert.equal(checkCell("D2", "C4").bugClass, "lockdep");
    const exact = checkCell("D2", "C4", { lockdep: false });
    assert.equal(exact.verdict, "verified", exact.bug?.text);
    assert.match(exact.how, /verified up to bound 2/);
  });

  it("finds D3's scomp_lock ABBA (C5) only as a lock-order report, not a reachable deadlock", () => {
    assert.equal(checkCell("D3", "C5").bugClass, "lockdep");
    assert.equal(checkCell("D3", "C5", { lockdep: false }).verdict, "verified");
  });

  it("finds D1's real self-deadlock when CPU bring-up reclaims into zswap, and replays it", () => {
    const r = checkCell("D1", "C4", { lockdep: false });
    assert.equal(r.bugClass, "deadlock");
    assert.match(r.token ?? "", /^zt1epa\.D1\.C4\./);
    assert.equal(replayCheckToken(r.token as string).result.bug?.text, r.bug?.text);
  });
});

describe("an IAA-like asynchronous compressor (--iaa)", () => {
  it("finds the 6.12 UAF while the task sleeps in crypto_wait_req, with no preemption at all", () => {
    const r = checkCell("D0", "C1", { accelerator: true });
    assert.equal(r.bugClass, "UAF");
    assert.equal(r.preemptions, 0);
    assert.match(r.token ?? "", /^zt1apa\./);
    assert.equal(replayCheckToken(r.token as string).result.bug?.text, r.bug?.text);
  });

  it("keeps D7 clean, and has no scomp_lock chain for D3 (an accelerator is not scomp)", () => {
    assert.equal(checkCell("D7", "C1", { accelerator: true }).verdict, "verified");
    assert.equal(checkCell("D3", "C5", { accelerator: true }).verdict, "verified");
  });
});

describe("claims (--claim)", () => {
  it("prepare-exclusive holds where dead takes the ctx mutex (D4), and is false but harmless in 7.1 (D7)", () => {
    assert.equal(checkCell("D4", "C9", { claim: "prepare-exclusive" }).verdict, "verified");
    const d7 = checkCell("D7", "C9", { claim: "prepare-exclusive" });
    assert.equal(d7.verdict, "bug");
    assert.match(
      d7.bug?.title ?? "",
      /^claim violated: prepare-exclusive: prepare\(zswap1, cpu0\) runs while T/,
    );
    assert.match(d7.token ?? "", /^zt1pa\.D7@prepare-exclusive\.C9\./);
    assert.equal(replayCheckToken(d7.token as string).result.bug?.text, d7.bug?.text);
    // Without the claim the same scenario is clean: prepare returns early on a prepared ctx.
    assert.equal(checkCell("D7", "C9").verdict, "verified");
  });
});

describe("check tokens", () => {
  it("are deterministic for a seed", () => {
    assert.equal(
      checkCell("D0", "C2", { seed: 3 }).token,
      checkCell("D0", "C2", { seed: 3 }).token,
    );
  });

  it("reject corrupted tokens with a clear error", () => {
    assert.throws(() => decodeCheckToken("zt9.D0.C1.0.0"), CheckTokenError);
    assert.throws(() => decodeCheckToken("zt1.D9.C1.0.0"), /Unknown design 'D9'/);
    assert.throws(() => replayCheckToken("zt1.D0.C1.zzzz.1"), /Replay diverged/);
  });
});
