// `zswap-ts corpus --pid` and `--core` (src/cli/corpus_capture.ts), in process.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readCorpus, readManifest } from "../workload/corpus_file.ts";
import { assertUsageError, runInProcess } from "./cli_test_util.ts";
import { corpusCommand } from "./cmd_corpus.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-capture-cli-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const corpus = async (...args: string[]) => (await runInProcess(corpusCommand, args)).out;
const usageError = (args: string[], message: RegExp) => assertUsageError(corpus(...args), message);

describe("zswap-ts corpus --pid / --core", () => {
  it("captures this process and prints a one-paragraph summary, or JSON", async () => {
    const out = join(scratch, "self.pages");
    const text = await corpus("--pid", String(process.pid), "--out", out, "--max-size", "2M");
    const m = readManifest(`${out}.manifest.json`) as unknown as {
      pages: number;
      sha256: string;
      capture: { comm: string };
    };
    assert.ok(m.pages > 0 && m.pages <= 512);
    assert.equal(readCorpus(out).length, m.pages * 4096);
    assert.match(
      text,
      /^Captured [\d.]+ [KM]iB \(\d+ pages\) of pid \d+ \(node\) from \d+ mappings/,
    );
    assert.ok(text.includes(`sha256 ${m.sha256}`));
    const j = JSON.parse(
      await corpus("--pid", String(process.pid), "--out", out, "--max-size", "1M", "--json"),
    );
    assert.equal(j.capture.source, "pid");
    assert.equal(j.kinds, undefined, "the per-page kinds stay in the manifest file");
  });

  it("rejects bad combinations and input in one line", async () => {
    const out = join(scratch, "x.pages");
    await usageError(["--pid", "1", "--core", "c", "--out", out], /--pid and --core together/);
    await usageError(["--max-size", "1M", "--out", out], /--max-size without --pid or --core/);
    await usageError(["--pid", "1", "--seed", "3", "--out", out], /--seed with --pid or --core/);
    await usageError(["--pid", "abc", "--out", out], /--pid "abc": expected a process id/);
    await usageError(["--pid", "1", "--max-size", "5", "--out", out], /multiple of 4096/);
    await usageError(["--pid", String(2 ** 31 - 1), "--out", out], /no such process/);
    await usageError(["--core", "/etc/hostname", "--out", out], /not an ELF file/);
  });
});
