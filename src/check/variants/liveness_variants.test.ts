import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registerDesign } from "../../zswap/acomp_ctx/index.ts";
import { replayCheckToken } from "../check_token.ts";
import { checkCell } from "../checker.ts";
import { LIVENESS_VARIANTS } from "./liveness_variants.ts";

for (const d of LIVENESS_VARIANTS) registerDesign(d);

/** The planted bug is found with the right report, and its token replays to the same text. */
function assertBug(design: string, scenario: string, cls: string, title: RegExp): void {
  const r = checkCell(design, scenario);
  assert.equal(r.verdict, "bug", `${design} x ${scenario}: ${r.how}`);
  assert.equal(r.bugClass, cls, r.bug?.text);
  assert.match(r.bug?.title ?? "", title);
  assert.equal(replayCheckToken(r.token as string).result.bug?.text, r.bug?.text);
}

describe("liveness variants of D4 and D7", () => {
  it("D4 with raw_cpu_ptr() hoisted out of the retry loop livelocks (C1, C6)", () => {
    assertBug("D4-hoisted", "C1", "livelock", /^BUG: livelock: task T:1 retries forever/);
    assertBug("D4-hoisted", "C6", "livelock", /^BUG: livelock: task T:1 retries forever/);
  });

  it("D4 whose dead callback forgets mutex_unlock leaves a hung task (C1)", () => {
    assertBug(
      "D4-nounlock",
      "C1",
      "hung-task",
      /^INFO: task T:1 blocked for more than 120 seconds\.$/,
    );
    const r = checkCell("D4-nounlock", "C1");
    assert.match(
      r.bug?.text ?? "",
      /held by H\/2\)\n\(model: blocked forever: nothing can run, and its holder H\/2 exited/,
    );
    assert.match(
      r.bug?.text ?? "",
      /Showing all locks held in the system:\n(.*\n)*1 lock held by H \(exited\):/,
    );
  });

  it("D7 spinning on mutex_trylock() with preemption disabled is a soft lockup (C9)", () => {
    assertBug(
      "D7-spin",
      "C9",
      "soft-lockup",
      /^watchdog: BUG: soft lockup - CPU#\d stuck for 22s! \[T:1\]$/,
    );
  });

  it("the correct-but-different twins are verified, not inconclusive", () => {
    for (const [d, s] of [
      ["D4-area-hoisted", "C1"],
      ["D4-area-hoisted", "C6"],
      ["D7-pinned", "C1"],
      ["D7-pinned", "C9"],
    ] as const) {
      const r = checkCell(d, s);
      assert.equal(r.verdict, "verified", `${d} x ${s}: ${r.how} ${r.bug?.text ?? ""}`);
      assert.equal(r.stepBoundHits, 0);
    }
  });
});
