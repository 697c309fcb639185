import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { CLAIMS_DOC, claimsDoc } from "../../../scripts/claims_doc.ts";
import { main } from "../../cli/main.ts";
import { replayCheckToken } from "../check_token.ts";
import { type CheckOutcome, computeLedger, type RowResult, rowVerdict } from "./ledger.ts";
import { ledgerJson } from "./render.ts";
import { ROWS } from "./rows.ts";

function fake(expect: "safe" | string[], verdict: "bug" | "verified", met: boolean): CheckOutcome {
  return {
    check: { design: "D7", scenario: "C1", expect: expect as "safe", role: "t" },
    verdict,
    bugClass: verdict === "bug" ? "UAF" : null,
    bugTitle: verdict === "bug" ? "BUG: KASAN" : null,
    token: verdict === "bug" ? "zt1.D7.C1.x.y" : null,
    how: "h",
    met,
    command: "c",
    timeMs: 0,
  };
}

describe("row verdicts", () => {
  it("a safety prediction that met a bug makes the row false, with its token", () => {
    const v = rowVerdict([fake("safe", "verified", true), fake("safe", "bug", false)]);
    assert.equal(v.verdict, "false");
    assert.match(v.why, /zt1\.D7\.C1/);
  });
  it("a predicted bug that was not found is false within bounds", () => {
    assert.equal(rowVerdict([fake(["UAF"], "verified", false)]).verdict, "false-within-bounds");
  });
  it("witnesses only: holds; with verified cells: holds within bounds", () => {
    assert.equal(rowVerdict([fake(["UAF"], "bug", true)]).verdict, "holds");
    assert.equal(
      rowVerdict([fake(["UAF"], "bug", true), fake("safe", "verified", true)]).verdict,
      "holds-within-bounds",
    );
  });
});

describe("the ledger, computed once", () => {
  let rows: RowResult[] = [];
  before(() => {
    rows = computeLedger();
  });

  it("docs/claims.md is what scripts/claims_doc.ts writes from it (regenerate when this fails)", () => {
    const doc = readFileSync(CLAIMS_DOC, "utf8");
    assert.equal(
      doc,
      claimsDoc(ledgerJson(rows)),
      "docs/claims.md is stale: run node --import tsx scripts/claims_doc.ts",
    );
  });

  it("every row has a computed verdict, and no check is left open", () => {
    assert.equal(rows.length, ROWS.length);
    for (const r of rows) {
      assert.notEqual(r.verdict, "inconclusive", r.row.name);
      for (const c of r.checks) assert.notEqual(c.met, null, `${r.row.name}: ${c.command}`);
    }
  });

  it("each counterexample token replays to the same kind of report", () => {
    for (const r of rows.filter((x) => x.verdict === "false")) {
      const c = r.checks.find((x) => x.met === false && x.token !== null);
      assert.ok(c?.token, r.row.name);
      const replay = replayCheckToken(c.token as string);
      assert.equal(replay.result.bug?.title, c.bugTitle, r.row.name);
    }
  });

  it("the ONLINE-section counterfactuals fire where the PREPARE placement is verified", () => {
    const row = rows.find((r) => r.row.name === "prepare-other-cpu");
    const by = (d: string) => row?.checks.find((c) => c.check.design === d);
    assert.equal(by("D7")?.verdict, "verified");
    assert.equal(by("L-D7-online")?.verdict, "bug");
    assert.equal(by("L-D2-online")?.bugClass, "deadlock");
  });
});

describe("zswap-ts claims", () => {
  it("--only NAME --json prints that row with its computed verdict", async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    // Only the command's text: the test runner's own events (binary) still go out.
    process.stdout.write = ((s: string | Uint8Array, ...rest: never[]) =>
      typeof s === "string" ? out.push(s) > 0 : write(s, ...rest)) as typeof process.stdout.write;
    try {
      assert.equal(await main(["node", "zswap-ts", "claims", "--only", "zero-init", "--json"]), 0);
    } finally {
      process.stdout.write = write;
    }
    const json = JSON.parse(out.join("")) as { rows: Array<{ name: string; verdict: string }> };
    assert.deepEqual(
      json.rows.map((r) => [r.name, r.verdict]),
      [["zero-init", "holds-within-bounds"]],
    );
  });

  it("--only with an unknown name lists the names and exits 2", async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string | Uint8Array, ...rest: never[]) =>
      typeof s === "string" ? err.push(s) > 0 : write(s, ...rest)) as typeof process.stderr.write;
    try {
      assert.equal(await main(["node", "zswap-ts", "claims", "--only", "nope"]), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(err.join(""), /available: online-unneeded, .*pool-lifetime/);
  });
});
