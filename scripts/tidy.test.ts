import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cycleFindings, layeringFindings, runtimeImports, tidyFile, tidyTree } from "./tidy.ts";

const TIDY = join(import.meta.dirname, "tidy.ts");

/** A tree with src/zswap/a.ts and b.ts; b imports a back when `cycle`. */
function plantTree(cycle: boolean): string {
  const root = mkdtempSync(join(tmpdir(), "zswap-ts-tidy-"));
  mkdirSync(join(root, "src", "zswap"), { recursive: true });
  writeFileSync(
    join(root, "src/zswap/a.ts"),
    'import { b } from "./b.ts";\nexport const a = b + 1;\n',
  );
  const back = cycle
    ? 'import { a } from "./a.ts";\nexport const b = 1;\nexport const c = () => a;\n'
    : 'import type { Kernel } from "./a.ts";\nexport const b = 1;\n';
  writeFileSync(join(root, "src/zswap/b.ts"), back);
  return root;
}

function runTidy(root: string) {
  return spawnSync(process.execPath, ["--import", "tsx", TIDY, root], { encoding: "utf8" });
}

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

  it("finds the run-time imports of a file, not its type-only ones", () => {
    const src = [
      'import { a } from "./a.ts";',
      'import type { B } from "./b.ts";',
      'import { type C, type D } from "./c.ts";',
      'import { type E, f } from "./e.ts";',
      'import "./side.ts";',
      'export { g } from "../g.ts";',
      'export type { H } from "./h.ts";',
      'import { x } from "node:fs";',
    ].join("\n");
    assert.deepEqual(runtimeImports("src/zswap/x.ts", src), [
      "src/zswap/a.ts",
      "src/zswap/e.ts",
      "src/zswap/side.ts",
      "src/g.ts",
    ]);
  });

  it("names the chain of an import cycle, and ignores a type-only way back", () => {
    const files = new Map([
      ["src/k/a.ts", 'import { b } from "./b.ts";'],
      ["src/k/b.ts", 'import { c } from "./c.ts";'],
      ["src/k/c.ts", 'import { a } from "./a.ts";'],
    ]);
    const f = cycleFindings(files);
    assert.equal(f.length, 1);
    assert.match(
      f[0] ?? "",
      /import cycle src\/k\/a\.ts -> src\/k\/b\.ts -> src\/k\/c\.ts -> src\/k\/a\.ts/,
    );
    files.set("src/k/c.ts", 'import type { A } from "./a.ts";');
    assert.deepEqual(cycleFindings(files), []);
  });

  it("fails on a tree with a planted import cycle, and passes once it is broken", () => {
    const planted = plantTree(true);
    const clean = plantTree(false);
    try {
      const bad = runTidy(planted);
      assert.equal(bad.status, 1, bad.stderr);
      assert.match(
        bad.stderr,
        /import cycle src\/zswap\/a\.ts -> src\/zswap\/b\.ts -> src\/zswap\/a\.ts/,
      );
      assert.match(bad.stderr, /^tidy: 1 finding\(s\)$/m);
      const good = runTidy(clean);
      assert.equal(good.status, 0, good.stderr);
      assert.match(good.stdout, /2 files follow the layering, without import cycles/);
    } finally {
      rmSync(planted, { recursive: true, force: true });
      rmSync(clean, { recursive: true, force: true });
    }
  });

  it("passes on this repository's tree", () => {
    const { findings, all } = tidyTree(join(import.meta.dirname, ".."));
    assert.deepEqual(findings, []);
    assert.ok(all > 100, `only ${all} files read`);
  });
});
