/**
 * A reviewer's own design, written anywhere (not in this repository) against the public API
 * `zswap-ts/design`, in every module flavour a project may use, through the real binary.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { zswapTsSync } from "./cli_test_util.ts";

/** A folder outside the repository, with no package.json: a plain CommonJS context. */
const dir = mkdtempSync(join(tmpdir(), "zswap-ts-design-"));

const zswapTs = (...args: string[]) => zswapTsSync(args, dir);

const D0_COPIES: Record<string, string> = {
  "esm.mjs": `import { D0, defineDesign } from "zswap-ts/design";\nexport default defineDesign({ ...D0, name: "EsmD0" });\n`,
  "cjs.js": `const { D0, defineDesign } = require("zswap-ts/design");\nmodule.exports = defineDesign({ ...D0, name: "CjsD0" });\n`,
  "ts.ts": `import { D0, defineDesign } from "zswap-ts/design";\nexport const mine = defineDesign({ ...D0, name: "TsD0" });\n`,
  "mts.mts": `import { D0, defineDesign } from "zswap-ts/design";\nexport default defineDesign({ ...D0, name: "MtsD0" });\n`,
  "cts.cts": `import { D0, defineDesign } from "zswap-ts/design";\nexport default defineDesign({ ...D0, name: "CtsD0" });\n`,
};

describe("design files outside the repository", () => {
  for (const [file, text] of Object.entries(D0_COPIES)) {
    it(`a copy of D0 as ${file} finds D0's use-after-free on C1`, () => {
      writeFileSync(join(dir, file), text);
      const r = zswapTs("check", "--design-file", file, "-s", "C1");
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /BUG \(UAF\)/);
      assert.match(r.stdout, /BUG: KASAN: slab-use-after-free/);
    });
  }

  it("`design new` writes a D7-based file that checks clean on C1, and will not overwrite it", () => {
    const made = zswapTs("design", "new", "Mine");
    assert.equal(made.status, 0, made.stderr);
    assert.match(readFileSync(join(dir, "Mine.ts"), "utf8"), /from "zswap-ts\/design"/);
    const r = zswapTs("check", "--design-file", "Mine.ts", "-s", "C1");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Mine x C1/);
    const again = zswapTs("design", "new", "Mine");
    assert.equal(again.status, 2);
    assert.match(again.stderr, /exists \(pass --force to replace it\)/);
  });

  it("`design new` refuses an unknown base and a bad name, exit 2", () => {
    const base = zswapTs("design", "new", "X", "--from", "D9");
    assert.equal(base.status, 2);
    assert.match(base.stderr, /Unknown design 'D9'; available: D0/);
    const name = zswapTs("design", "new", "my design");
    assert.equal(name.status, 2);
    assert.match(name.stderr, /expected a letter/);
  });

  it("a file that exports no design says so, exit 2", () => {
    writeFileSync(join(dir, "empty.mjs"), "export const x = 1;\n");
    const r = zswapTs("check", "--design-file", "empty.mjs", "-s", "C1");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /exports no AcompCtxDesign/);
  });

  it("defineDesign names the missing hook when the file loads", () => {
    writeFileSync(
      join(dir, "partial.mjs"),
      `import { D7, defineDesign } from "zswap-ts/design";\nconst { acquire, ...rest } = D7;\nexport default defineDesign({ ...rest, name: "Partial" });\n`,
    );
    const r = zswapTs("check", "--design-file", "partial.mjs", "-s", "C1");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Invalid design 'Partial': missing acquire/);
  });

  it("a syntax error is reported as file:line:column and the message, exit 2", () => {
    writeFileSync(join(dir, "syntax.ts"), "export default {\n  name: 'X',\n  prepare( {\n};\n");
    const r = zswapTs("check", "--design-file", "syntax.ts", "-s", "C1");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Cannot load design file syntax\.ts:4:\d+: Expected .+/);
  });

  it("an export of the wrong shape names the fields it lacks, exit 2", () => {
    writeFileSync(
      join(dir, "shape.mjs"),
      "export default { name: 'X', prepare() {}, release: 1 };\n",
    );
    const r = zswapTs("check", "--design-file", "shape.mjs", "-s", "C1");
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /not an AcompCtxDesign: missing summary \(a string\), .*release \(a function, got number\)/,
    );
  });

  it("a file that throws while loading shows its error, exit 2", () => {
    writeFileSync(join(dir, "throws.mjs"), "throw new Error('no pool for you');\n");
    const r = zswapTs("check", "--design-file", "throws.mjs", "-s", "C1");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Cannot load design file throws\.mjs: no pool for you/);
  });
});
