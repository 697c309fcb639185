// `zswap-ts usemem` and `run --folio-size` through the real binary (bin/zswap-ts.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { zswapTs } from "./cli_test_util.ts";
import type { RunResult } from "./run_result.ts";
import type { UsememResult } from "./usemem_job.ts";

const cli = zswapTs;

describe("zswap-ts usemem", () => {
  it("runs baseline and batching on deflate-iaa engines and stores the same pages", async () => {
    const r = await cli(
      "usemem",
      ...["--producers", "2", "--size", "512K", "--folio-size", "64K"],
      ...["--iaa-engines", "2", "--repeat", "1", "--cpus", "2", "--json"],
    );
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as UsememResult;
    assert.equal(j.baseline.storedPages, j.batching.storedPages);
    assert.ok(j.batching.storedPages > 200);
    assert.equal(j.batching.profile, "7.3-batching");
    assert.equal(j.batching.iaaEngines, 2);
    assert.ok(j.baseline.throughputKBs > 0 && j.batching.throughputKBs > 0);
  });

  it("prints the series' table layout", async () => {
    const r = await cli(
      ...["usemem", "--compressor", "zstd", "--producers", "1", "--size", "2M"],
      ...["--repeat", "1", "--folio-size", "2M"],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usemem: 1 producers x 2 MiB, PMD folios, zstd; medians of 1/);
    assert.match(
      r.stdout,
      /\| Total throughput \(KB\/s\) +\| +[\d,]+ \| +[\d,]+ \| +[+-][\d.]+% \|/,
    );
    assert.match(r.stdout, /\| CPU time \(s\) +\|/);
  });

  for (const [args, message] of [
    [["--folio-size", "48K"], /Cannot use --folio-size: expected one of 4K, 8K, .*2M, got '48K'/],
    [
      ["--size", "100K"],
      /Cannot use --size 100K: expected a multiple of the folio size \(64 KiB\)/,
    ],
    [["--iaa-sync-mode", "poll"], /expected one of sync, async, async_irq, got 'poll'/],
    [["--compressor", "nope"], /Unknown compressor 'nope'; available: /],
  ] as const) {
    it(`exits 2 with one line for ${args.join(" ")}`, async () => {
      const r = await cli("usemem", ...args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1);
    });
  }
});

describe("zswap-ts run --folio-size", () => {
  it("64K folios through 7.3-batching on engines: every page verified, same counters as 4K", async () => {
    const common = ["run", "--size", "1M", "--cpus", "2", "--compressor", "deflate-iaa", "--json"];
    const [a, b] = await Promise.all([
      cli(...common),
      cli(...common, "--folio-size", "64K", "--profile", "7.3-batching", "--iaa-engines", "2"),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ja = JSON.parse(a.stdout) as RunResult;
    const jb = JSON.parse(b.stdout) as RunResult;
    assert.ok(jb.verification.ok);
    assert.equal(jb.verification.pages, 256);
    // Zero pages go to the zero map only when a whole folio is zero, so compare what zswap got.
    assert.ok(
      (jb.afterSwapOut.debugfs.stored_pages ?? 0) >= (ja.afterSwapOut.debugfs.stored_pages ?? 0),
    );
    assert.equal(jb.config.profile, "7.3-batching");
  });

  it("exits 2 for a size that is not a folio size", async () => {
    const r = await cli("run", "--folio-size", "3K");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Cannot use --folio-size: expected one of 4K/);
  });
});
