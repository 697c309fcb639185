// `zswap-ts run` through the real binary (bin/zswap-ts.js; ZSWAP_TS_BIN overrides it).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type Ran, zswapTs } from "./cli_test_util.ts";
import type { RunResult } from "./run_result.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-run-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs `zswap-ts run ...args` as a child process (asynchronously, so cases run in parallel). */
function run(...args: string[]): Promise<Ran> {
  return zswapTs("run", ...args);
}

function json(r: Ran): RunResult {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as RunResult;
}

describe("zswap-ts run", () => {
  it("prints zsmalloc's class table with --zsmalloc-stats, whose pages add up to pool_total_size", async () => {
    const r = await run("--size", "1M", "--cpus", "2", "--zsmalloc-stats", "--json");
    const j = json(r);
    const table = j.zsmallocClasses ?? "";
    assert.match(table, /^\/sys\/kernel\/debug\/zsmalloc\/zswap1\/classes \(lz4\):/);
    const total = /\n Total(?:\s+\d+){13}\s+(\d+)/.exec(table);
    assert.ok(total, table);
    assert.equal(Number(total[1]) * 4096, j.afterSwapOut.debugfs.pool_total_size);
  });

  it("runs the job and prints the kernel-named summary", async () => {
    const r = await run("--size", "1M", "--cpus", "2");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^zswap-ts run: 256 pages \(1\.0 MiB\) of generated corpus \(seed 1/);
    assert.match(
      r.stdout,
      /swap-out +1\.0 MiB in [\d.]+ s: \d+ MB\/s, \d+ pages\/s; compress \d+% of the time, the rest \d+%/,
    );
    assert.match(
      r.stdout,
      /swap-in +1\.0 MiB in [\d.]+ s: \d+ MB\/s, \d+ pages\/s; decompress \d+%/,
    );
    assert.match(r.stdout, /verify +OK: 256 pages, each equal to its original \(128-bit digest\)/);
    for (const name of [
      "stored_pages",
      "pool_total_size",
      "reject_compress_poor",
      "written_back_pages",
      "zswpout",
      "zswpin",
      "swpout_zero",
      "pswpout",
    ]) {
      assert.match(r.stdout, new RegExp(`^  ${name} +\\d+$`, "m"), name);
    }
    assert.match(r.stdout, /compression_ratio +\d+\.\d\d/);
    assert.match(r.stdout, /pool_efficiency +0\.\d\d/);
  });

  it("prints JSON with --json; the default total RAM leaves the limit alone", async () => {
    const j = json(await run("--size", "1M", "--json", "--compressor", "zstd", "--seed", "3"));
    assert.equal(j.config.compressor, "zstd");
    assert.equal(j.corpus.pages, 256);
    assert.equal(j.verification.ok, true);
    assert.equal(j.afterSwapOut.debugfs.pool_limit_hit, 0);
    assert.equal(j.end.vmstat.pswpout, 0, "every non-zero page stayed in zswap");
    assert.equal((j.afterSwapOut.debugfs.stored_pages ?? 0) + j.end.vmstat.swpout_zero, 256);
    assert.ok(j.afterSwapOut.derived.compressionRatio > 1);
    assert.ok(j.phases.swapOut.mbPerSecond > 0 && j.phases.swapIn.mbPerSecond > 0);
    for (const p of [j.phases.swapOut, j.phases.swapIn]) {
      assert.ok(p.pagesPerSecond > 0 && p.compressorSeconds > 0, JSON.stringify(p));
      assert.ok(p.compressorShare > 0 && p.compressorShare <= 1, JSON.stringify(p));
    }
  });

  it("with a small --total-ram: the pool limit, writeback and the accept-threshold hysteresis", async () => {
    const j = json(await run("--size", "8M", "--total-ram", "16M", "--json"));
    assert.equal(j.verification.ok, true);
    assert.ok((j.afterSwapOut.debugfs.pool_limit_hit ?? 0) > 0, "the limit was hit");
    assert.ok((j.afterSwapOut.debugfs.written_back_pages ?? 0) > 0, "writeback to the swap file");
    assert.equal(j.end.vmstat.zswpwb, j.afterSwapOut.debugfs.written_back_pages);
    assert.ok(
      j.poolLimit.rejectedByHysteresis > 0,
      "rejected below the limit, above the threshold",
    );
    assert.ok(j.end.vmstat.pswpin > 0, "pages came back from the swap file");
  });

  it("reads --corpus files, and survives --hotplug, compressor switches and the 6.12 profile", async () => {
    const file = join(scratch, "c.pages");
    const c = await zswapTs("corpus", "--out", file, "--size", "512k");
    assert.equal(c.code, 0, `corpus exited ${c.code}: ${c.stderr}`);
    const [stress, old] = await Promise.all([
      run(
        "--corpus",
        file,
        "--cpus",
        "3",
        "--hotplug",
        "--switch-compressor-every",
        "16",
        "--json",
      ),
      run("--size", "1M", "--profile", "6.12", "--json"),
    ]);
    const s = json(stress);
    assert.equal(s.verification.ok, true);
    assert.equal(s.corpus.source, file);
    assert.ok(s.stress.hotplugEvents >= 1);
    assert.ok(s.stress.compressorSwitches >= 8);
    assert.ok(s.stress.compressorsUsed.length >= 4);
    const o = json(old);
    assert.equal(o.verification.ok, true);
    // lz4 (the default) honours req->dlen = PAGE_SIZE: -EINVAL, reject_compress_fail in 6.12.
    assert.ok(
      (o.afterSwapOut.debugfs.reject_compress_fail ?? 0) > 0,
      "6.12 rejects incompressible pages",
    );
    assert.equal("stored_incompressible_pages" in o.afterSwapOut.debugfs, false);
  });

  it("gives exit 2 and one line on stderr for each bad input", async () => {
    const odd = join(scratch, "odd.pages");
    fs.writeFileSync(odd, new Uint8Array(5000));
    const cases: Array<[string[], RegExp]> = [
      [["--corpus", join(scratch, "missing.pages")], /Cannot read corpus .*missing\.pages: ENOENT/],
      [["--corpus", odd], /expected a positive multiple of 4096 bytes, got 5000 bytes/],
      [["--size", "4097"], /expected a positive multiple of 4096 bytes/],
      [
        ["--compressor", "snappy"],
        /Unknown compressor 'snappy'; available: deflate, deflate-iaa, lz4, lz4hc, lzo, lzo-rle, zstd/,
      ],
      [
        ["--max-pool-percent", "4294967296"],
        /Cannot set max_pool_percent: expected an integer 0\.\.4294967295, got 4294967296/,
      ],
      [
        ["--accept-threshold-percent", "-1"],
        /Cannot set accept_threshold_percent: expected an integer 0\.\.4294967295, got -1/,
      ],
      [
        ["--profile", "5.4"],
        /Unknown profile '5\.4'; available: 7\.3, 6\.12, 7\.3-batching, latest/,
      ],
      [
        ["--size", "1M", "--swap-file", join(scratch, "no/such/dir/swap")],
        /Cannot create swap file .*: ENOENT/,
      ],
      [["--size", "1M", "--cpus", "1", "--hotplug"], /--hotplug with 1 CPU/],
      // swapon(2) takes a regular file or a block device; /dev/full would fake a full disk.
      [
        ["--size", "1M", "--swap-file", "/dev/full"],
        /Cannot use \/dev\/full as a swap file: it is a character device; expected a regular file/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => run(...args)));
    for (const [i, r] of results.entries()) {
      const [args, message] = cases[i] as [string[], RegExp];
      const what = args.join(" ");
      assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
      assert.match(lines[0] as string, /^zswap-ts: /, what);
      assert.match(lines[0] as string, message, what);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
    }
  });
});
