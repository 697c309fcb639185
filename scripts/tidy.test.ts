import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { layeringFindings, tidyFile } from "./tidy.ts";

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

  it("flags imports that go up or sideways between layers, and allows downward ones", () => {
    const up = layeringFindings("src/zswap/x.ts", 'import { explore } from "../sim/explore.ts";');
    assert.equal(up.length, 1);
    assert.match(up[0] ?? "", /^src\/zswap\/x\.ts:1: zswap may not import sim/);
    assert.equal(
      layeringFindings("src/check/x.ts", 'import { real } from "../real/index.ts";').length,
      1,
    );
    assert.deepEqual(
      layeringFindings("src/sim/x.ts", 'import { Kernel } from "../kernel/kernel.ts";'),
      [],
    );
    assert.deepEqual(layeringFindings("src/zswap/a/x.ts", 'import { y } from "../types.ts";'), []);
  });
});
