// `zswap-ts` itself: with no command it prints the usage on stderr and exits 2 (a usage error);
// --help prints it on stdout and exits 0.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const bin = process.env.ZSWAP_TS_BIN ?? join(repo, "bin/zswap-ts.js");

describe("zswap-ts", () => {
  it("with no command prints the usage on stderr and exits 2; --help exits 0", () => {
    const bare = spawnSync(process.execPath, [bin], { cwd: repo, encoding: "utf8" });
    assert.equal(bare.status, 2);
    assert.equal(bare.stdout, "");
    assert.match(bare.stderr, /^Usage: zswap-ts \[options\] \[command\]/);
    assert.match(bare.stderr, /\n {2}run \[options\]/);
    const help = spawnSync(process.execPath, [bin, "--help"], { cwd: repo, encoding: "utf8" });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: zswap-ts/);
  });
});
