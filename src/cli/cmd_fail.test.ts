// `zswap-ts run --fail` and `zswap-ts soak` through the real binary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zswapTs } from "./cli_test_util.ts";
import type { SoakResult } from "./cmd_soak.ts";
import type { RunResult } from "./run_result.ts";

const ALL =
  "kmalloc=0.05,zs_malloc=0.05,compress=0.05,decompress=0.05,swap_write=0.05,swap_read=0.05";

describe("zswap-ts run --fail", () => {
  it("injects every kind of fault, retries the failed swap-ins, and verifies every page", async () => {
    const r = await zswapTs(
      "run",
      "--size",
      "2M",
      "--cpus",
      "2",
      "--total-ram",
      "8M",
      "--fail",
      ALL,
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as RunResult;
    assert.ok(j.verification.ok);
    assert.ok(j.faults !== null);
    for (const [k, n] of Object.entries(j.faults.injected)) assert.ok(n > 0, `no ${k} fault`);
    assert.equal(j.faults.spec, ALL);
    assert.equal(j.end.debugfs.reject_kmemcache_fail, j.faults.injected.kmalloc);
    assert.equal(j.end.debugfs.decompress_fail, j.faults.injected.decompress);
    assert.ok(j.faults.swapInRetries > 0);
    assert.equal(j.end.swapFile.writeErrors, 0, "injected write errors are not the disk's");
  });

  it("refuses a bad --fail with one line, exit 2", async () => {
    for (const [spec, re] of [
      [
        "kmalloc=2",
        /^zswap-ts: Cannot set --fail kmalloc: expected a probability 0\.\.1, got 2\n$/,
      ],
      [
        "oom=0.1",
        /^zswap-ts: Cannot use --fail: unknown fault 'oom'; available: kmalloc, zs_malloc, compress, decompress, swap_write, swap_read\n$/,
      ],
    ] as const) {
      const r = await zswapTs("run", "--size", "64K", "--fail", spec);
      assert.equal(r.code, 2);
      assert.match(r.stderr, re);
    }
  });
});

describe("zswap-ts soak (binary)", () => {
  it("prints JSON, no progress on a non-TTY stderr, exit 0", async () => {
    const r = await zswapTs("soak", "--ops", "2000", "--seed", "3", "--cpus", "2", "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const j = JSON.parse(r.stdout) as SoakResult;
    assert.equal(j.ops, 2000);
    assert.equal(j.ok, true);
    assert.equal(j.config.seed, 3);
  });

  it("prints the summary in text", async () => {
    const r = await zswapTs("soak", "--ops", "1000", "--fail", "none", "--cpus", "2");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^soak: 1,000 operations in /);
    assert.match(r.stdout, /\npages verified: +\d/);
    assert.match(r.stdout, /\nfaults injected: +kmalloc 0, zs_malloc 0/);
    assert.match(r.stdout, /\nverdict: OK, nothing lost\n$/);
  });

  it("refuses bad input with one line, exit 2", async () => {
    const r = await zswapTs("soak", "--ops", "ten");
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "zswap-ts: Cannot use --ops: expected an integer >= 1, got 'ten'\n");
  });
});
