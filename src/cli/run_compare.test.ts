// `zswap-ts run --compare` and `--compare-profiles` (src/cli/run_compare.ts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PAGE_SIZE } from "../kernel/page.ts";
import { writeCapture } from "../workload/capture.ts";
import { assertUsageError, runInProcess } from "./cli_test_util.ts";
import { runCommand } from "./cmd_run.ts";
import { KindTally } from "./run_compare.ts";
import type { CompareResult } from "./run_compare_result.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-compare-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs `zswap-ts run ...args` in process; returns stdout and stderr. */
const run = async (...args: string[]) => await runInProcess(runCommand, args);
const usageError = (args: string[], message: RegExp) => assertUsageError(run(...args), message);

describe("zswap-ts run --compare", () => {
  it("runs once per compressor on the same corpus; the per-kind sums match each run", async () => {
    const { out } = await run("--size", "512k", "--cpus", "2", "--compare", "lz4,zstd", "--json");
    const r = JSON.parse(out) as CompareResult;
    assert.deepEqual(
      r.rows.map((row) => [row.compressor, row.profile, row.verified]),
      [
        ["lz4", "7.3", true],
        ["zstd", "7.3", true],
      ],
    );
    assert.match(r.corpus.sha256, /^[0-9a-f]{64}$/);
    assert.equal(r.corpus.source, "generated");
    assert.equal(r.runs[0]?.corpus.sizeBytes, 512 * 1024);
    r.rows.forEach((row, i) => {
      const run = r.runs[i] as CompareResult["runs"][number];
      const kinds = r.kinds?.[row.compressor] ?? [];
      assert.deepEqual(
        kinds.map((k) => k.kind),
        ["text", "bin", "zero", "same", "random"],
      );
      // The pool limit does not bind here: every non-zero page is stored, and the per-kind
      // pass (each page compressed alone) must add up to what zswap stored.
      const stored = kinds.reduce((s, k) => s + k.pages - k.zeroFilledPages, 0);
      const bytes = kinds.reduce((s, k) => s + k.compressedBytes, 0);
      assert.equal(row.stored_pages, stored);
      assert.equal(run.afterSwapOut.derived.compressedBytes, bytes);
      assert.equal(
        row.incompressiblePages,
        kinds.reduce((s, k) => s + k.incompressiblePages, 0),
      );
      assert.equal(row.pool_total_size, run.afterSwapOut.debugfs.pool_total_size);
      assert.equal(
        kinds.reduce((s, k) => s + k.pages, 0),
        r.corpus.pages,
      );
    });
    // zstd compresses text better than lz4 does.
    const textRatio = (c: string) => r.kinds?.[c]?.find((k) => k.kind === "text")?.ratio ?? 0;
    assert.ok(textRatio("zstd") > textRatio("lz4"));
  });

  it("prints one table with a row per compressor and profile", async () => {
    const { out } = await run(
      "--size",
      "256k",
      "--cpus",
      "2",
      "--compare",
      "lz4,lzo",
      "--compare-profiles",
      "latest,6.12",
    );
    const lines = out.split("\n");
    assert.match(lines[0] as string, /^zswap-ts run --compare: 64 pages \(256 KiB\) of generated/);
    const header = lines.findIndex((l) => l.startsWith("compressor  profile"));
    assert.ok(header > 0, out);
    const rows = lines.slice(header + 1, header + 5).map((l) => l.split(/\s+/).slice(0, 2));
    assert.deepEqual(rows, [
      ["lz4", "7.3"],
      ["lz4", "6.12"],
      ["lzo", "7.3"],
      ["lzo", "6.12"],
    ]);
    assert.match(out, /\nrandom +15\.\d% +\d+ +1\.00\* +1\.00\*\n/);
  });

  it("names captured corpora's page kinds from their manifest", async () => {
    const pages = new Uint8Array(4 * PAGE_SIZE);
    pages.set(randomBytes(PAGE_SIZE), 0);
    pages.fill(7, PAGE_SIZE, 2 * PAGE_SIZE);
    pages.set(Buffer.from("hello, zswap ".repeat(400)).subarray(0, PAGE_SIZE), 3 * PAGE_SIZE);
    const file = join(scratch, "captured.pages");
    writeCapture(file, {
      pages,
      info: {
        source: "core",
        pid: null,
        comm: "",
        cmdline: "",
        file: "x",
        maxSizeBytes: null,
        pages: {
          eligible: 4,
          resident: null,
          swapped: null,
          sampledOut: 0,
          zeroPageDropped: 0,
          unreadable: 0,
          captured: 4,
        },
        mappings: [],
      },
    });
    const { out } = await run("--corpus", file, "--cpus", "2", "--compare", "lz4", "--json");
    const r = JSON.parse(out) as CompareResult;
    assert.deepEqual(
      r.kinds?.lz4?.map((k) => [k.kind, k.pages, k.zeroFilledPages, k.incompressiblePages]),
      [
        ["zero", 1, 1, 0],
        ["same", 1, 0, 0],
        ["data", 2, 0, 1],
      ],
    );
  });

  it("has no per-kind table without a manifest", async () => {
    const file = join(scratch, "bare.pages");
    fs.writeFileSync(file, randomBytes(8 * PAGE_SIZE));
    const { out } = await run("--corpus", file, "--cpus", "2", "--compare", "lz4", "--json");
    assert.equal((JSON.parse(out) as CompareResult).kinds, null);
  });

  it("rejects bad lists and conflicting flags in one line", async () => {
    await usageError(["--compare", "lz4,nope"], /--compare: Unknown compressor 'nope'/);
    await usageError(["--compare", "lz4,,zstd"], /expected names separated by commas/);
    await usageError(["--compare", "lz4,lz4"], /"lz4" given twice/);
    await usageError(["--compare-profiles", "7.1"], /--compare-profiles: Unknown profile '7.1'/);
    await usageError(["--compare-profiles", "latest,7.3"], /profile 7\.3 given twice/);
    await usageError(["--compare", "lz4", "--compressor", "zstd"], /--compressor with --compare/);
    await usageError(
      ["--compare-profiles", "6.12", "--profile", "6.12"],
      /--profile with --compare-profiles/,
    );
    await usageError(
      ["--compare", "lz4", "--switch-compressor-every", "3"],
      /--switch-compressor-every with --compare/,
    );
  });
});

describe("kindTable", () => {
  it("counts zero-filled pages apart and incompressible pages as 4096 bytes", () => {
    const pages = new Uint8Array(3 * PAGE_SIZE);
    pages.set(randomBytes(PAGE_SIZE), 2 * PAGE_SIZE);
    const tally = new KindTally("zzr", ["lz4"]);
    tally.add(pages.subarray(0, PAGE_SIZE), 0);
    tally.add(pages.subarray(PAGE_SIZE), 1);
    const t = tally.result().lz4 ?? [];
    assert.deepEqual(t, [
      {
        kind: "zero",
        pages: 2,
        share: 2 / 3,
        zeroFilledPages: 2,
        compressedBytes: 0,
        ratio: null,
        incompressiblePages: 0,
      },
      {
        kind: "random",
        pages: 1,
        share: 1 / 3,
        zeroFilledPages: 0,
        compressedBytes: PAGE_SIZE,
        ratio: 1,
        incompressiblePages: 1,
      },
    ]);
  });
});
