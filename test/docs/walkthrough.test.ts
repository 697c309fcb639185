/**
 * docs/walkthrough.md quotes the first line of real `zswap-ts check` output after each command
 * (times and the points level left out): this runs every quoted command and compares, so the
 * walkthrough cannot drift from what the checker says.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { zswapTs } from "../../src/cli/cli_test_util.ts";

const DOC = new URL("../../docs/walkthrough.md", import.meta.url);

/** Each `$ zswap-ts check ...` line of the doc with the output line quoted under it. */
function quoted(): { args: string[]; line: string }[] {
  const lines = readFileSync(DOC, "utf8").split("\n");
  const out: { args: string[]; line: string }[] = [];
  for (const [i, l] of lines.entries()) {
    const m = /^\$ zswap-ts (check .*)$/.exec(l);
    const next = lines[i + 1];
    if (m !== null && next?.startsWith("zswap-ts check:"))
      out.push({ args: (m[1] as string).split(" "), line: next });
  }
  return out;
}

/** The first output line as the doc quotes it: without the time and the points level. */
function firstLine(stdout: string): string {
  return (stdout.split("\n")[0] ?? "").replace(/,? (in )?\d+ ms; points \w+$/, "");
}

describe("docs/walkthrough.md quotes real output", () => {
  const cases = quoted();
  it("quotes at least the ten steps' commands", () => assert.ok(cases.length >= 10));
  for (const c of cases) {
    it(`$ zswap-ts ${c.args.join(" ")}`, async () => {
      const r = await zswapTs(...c.args);
      assert.equal(
        firstLine(r.stdout),
        c.line,
        "docs/walkthrough.md is stale: rerun the command and paste its first line",
      );
    });
  }
});
