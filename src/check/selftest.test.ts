import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatSelftest, runSelftest } from "./selftest.ts";

describe("detector self-test", () => {
  const rows = runSelftest();

  it("has a row for every detector and hotplug rule", () => {
    assert.equal(rows.length, 20);
  });

  for (const row of rows) {
    it(`${row.detector}: fires on '${row.planted}' and is quiet on its fixed twin`, () => {
      assert.ok(row.firedOnBug, `did not fire (or fired the wrong detector):\n${row.bugReport}`);
      assert.ok(row.quietOnTwin, `the fixed twin was not quiet:\n${row.bugReport}`);
    });
  }

  it("formats a table with one line per row", () => {
    const table = formatSelftest(rows);
    assert.match(table, /\| detector +\| planted bug +\| fired on bug \| quiet on twin \| ok +\|/);
    assert.equal(table.split("\n").filter((l) => l.startsWith("| ")).length, rows.length + 1);
    assert.match(table, /all 20 detectors ok/);
  });
});
