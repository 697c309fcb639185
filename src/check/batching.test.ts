/**
 * The batching scenarios both ways: C21's bounded wait fails on v7's per-folio locking and holds
 * on per-batch locking; C22's driver batch ctx is safe as posted and a use-after-free when the
 * driver frees it at offline; C27's partial batch failure leaves nothing behind; and none of
 * them applies to the designs without the batching store path.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { replayCheckToken } from "./check_token.ts";
import { checkCell } from "./checker.ts";

describe("batching scenarios", () => {
  it("C21: v7's per-folio lock makes a page fault wait for more than a store batch", () => {
    const r = checkCell("D7-batch-v7", "C21");
    assert.equal(r.verdict, "bug");
    assert.equal(r.bugClass, "WARN");
    assert.match(r.bug?.title ?? "", /INFO: task D blocked on the ctx mutex while \d+ pages/);
    const again = replayCheckToken(r.token as string);
    assert.equal(again.result.bug?.title, r.bug?.title, "the token replays to the same report");
  });

  it("C21: per-batch locking keeps the wait within one store batch (exhaustive to bound 2)", () => {
    const r = checkCell("D7-batch", "C21");
    assert.equal(r.verdict, "verified", r.bug?.text);
    assert.match(
      r.how,
      /verified up to bound 2 with partial-order reduction: \d+ executions, exhaustive/,
    );
  });

  it("C22: the driver's batch ctx survives migration and offline as posted (random hunt)", () => {
    // A random hunt finds nothing but proves nothing either: "inconclusive", not a bug.
    const r = checkCell("D7-batch", "C22", { strategy: "random", executions: 200 });
    assert.equal(r.verdict, "inconclusive", r.bug?.text);
    assert.equal(r.bug, null);
  });

  it("C22-free: a driver freeing its batch ctx at offline is C1 again", () => {
    const r = checkCell("D7-batch", "C22-free");
    assert.equal(r.verdict, "bug");
    assert.equal(r.bugClass, "UAF");
    assert.match(r.bug?.text ?? "", /iaa_batch_ctx/);
  });

  it("C27: a failed second store batch fails the folio with no stale entry (exhaustive)", () => {
    const r = checkCell("D7-batch", "C27");
    assert.equal(r.verdict, "verified", r.bug?.text);
    assert.match(
      r.how,
      /verified up to bound 2 with partial-order reduction: \d+ executions, exhaustive/,
    );
  });

  it("does not apply to designs without the batching store path", () => {
    for (const s of ["C21", "C22", "C22-free", "C27"])
      assert.equal(checkCell("D7", s).verdict, "n/a", s);
  });
});
