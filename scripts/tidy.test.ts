import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tidyFile } from "./tidy.ts";

describe("tidy", () => {
  it("flags each forbidden construct with file:line and advice", () => {
    const src = [
      'import { readFileSync } from "node:fs";',
      "async function f() { await g(); }",
      "const t = Date.now();",
      "const r = Math.random();",
      "setTimeout(() => {}, 1);",
      "console.log('x');",
      "process.exit(1);",
    ].join("\n");
    const f = tidyFile("src/zswap/x.ts", src);
    const rules = ["node-import", "await", "Date", "Math.random", "timers", "console", "process"];
    for (const [i, rule] of rules.entries()) {
      assert.ok(
        f.some((l) => l.startsWith(`src/zswap/x.ts:${i + 1}: ${rule} `)),
        `missing ${rule} in ${f.join("\n")}`,
      );
    }
    assert.ok(f.every((l) => / use /.test(l)));
  });

  it("ignores comments, strings and explicit allowances", () => {
    const src = [
      "// await Date Math.random console.log process.exit",
      'const s = "await the Date";',
      "/* setTimeout */ const x = 1;",
      "const y = 2; // tidy:allow Date -- reason",
    ].join("\n");
    assert.deepEqual(tidyFile("src/sim/y.ts", src), []);
  });
});
