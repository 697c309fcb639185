// Tests for src/cli/cmd_corpus.ts (kept here while src/cli is being edited by others; move
// beside the command as src/cli/cmd_corpus.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CommanderError } from "commander";
import { readCorpus, readManifest } from "../workload/corpus_file.ts";
import { assertUsageError, runInProcess } from "./cli_test_util.ts";
import { corpusCommand } from "./cmd_corpus.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-corpus-cli-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const repo = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(repo, "bin/zswap-ts.js");

/** Runs `zswap-ts corpus ...args` in process; returns what it printed. */
const corpus = async (...args: string[]) => (await runInProcess(corpusCommand, args)).out;
const usageError = (args: string[], message: RegExp) => assertUsageError(corpus(...args), message);

describe("zswap-ts corpus", () => {
  it("writes the pages and the manifest, and prints a one-paragraph summary", async () => {
    const out = join(scratch, "c.pages");
    const text = await corpus("--out", out, "--size", "256k", "--seed", "3");
    const m = readManifest(`${out}.manifest.json`);
    assert.equal(readCorpus(out).length, 256 * 1024);
    assert.equal(m.pages, 64);
    assert.equal(m.seed, 3);
    assert.match(
      text,
      /^Wrote 256 KiB \(64 pages\) to .*c\.pages with seed 3: text \d+ \(\d+\.\d%\), bin/,
    );
    assert.ok(text.includes(`sha256 ${m.sha256}`));
    assert.equal(text.trimEnd().split("\n").length, 1, "one paragraph");
  });

  it("prints JSON with --json, and the same seed gives the same sha256", async () => {
    const a = JSON.parse(
      await corpus("--out", join(scratch, "a.pages"), "--size", "64k", "--seed", "5", "--json"),
    );
    const b = JSON.parse(
      await corpus("--out", join(scratch, "b.pages"), "--size", "64k", "--seed", "5", "--json"),
    );
    assert.equal(a.sha256, b.sha256);
    assert.equal(a.pages, 16);
    assert.equal(a.kinds, undefined, "the per-page kinds stay in the manifest file");
    assert.deepEqual(Object.keys(a.counts), ["text", "bin", "zero", "same", "random"]);
    const c = JSON.parse(
      await corpus("--out", join(scratch, "c.pages"), "--size", "16k", "--mix", "zero=1", "--json"),
    );
    assert.deepEqual(c.counts, { text: 0, bin: 0, zero: 4, same: 0, random: 0 });
  });

  it("turns bad input into one-line UsageErrors", async () => {
    const out = join(scratch, "bad.pages");
    await usageError(
      ["--out", out, "--size", "5000"],
      /^Cannot use size "5000": expected a positive multiple of 4096/,
    );
    await usageError(["--out", out, "--size", "lots"], /^Cannot parse size "lots"/);
    await usageError(["--out", out, "--mix", "text=1,video=2"], /unknown page kind "video"/);
    await usageError(["--out", out, "--seed", "-3"], /^Cannot use seed "-3"/);
    await usageError(
      ["--out", "/nonexistent/dir/c.pages", "--size", "4k"],
      /^Cannot write corpus file \/nonexistent\/dir\/c\.pages: ENOENT: no such file or directory$/,
    );
    await assert.rejects(corpus("--size", "4k"), (e: unknown) => {
      assert.ok(e instanceof CommanderError);
      assert.equal(e.code, "commander.missingMandatoryOptionValue");
      return true;
    });
    assert.equal(fs.existsSync(out), false);
  });

  it("exits 0 on success and 2 on bad input, through the real binary", () => {
    const out = join(scratch, "spawned.pages");
    const ok = spawnSync(process.execPath, [bin, "corpus", "--out", out, "--size", "16k"], {
      encoding: "utf8",
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^Wrote 16 KiB \(4 pages\)/);
    assert.equal(ok.stderr, "", "no progress bar when stderr is not a TTY");
    const bad = spawnSync(process.execPath, [bin, "corpus", "--out", out, "--size", "5000"], {
      encoding: "utf8",
    });
    assert.equal(bad.status, 2);
    assert.equal(
      bad.stderr,
      'zswap-ts: Cannot use size "5000": expected a positive multiple of 4096 bytes, got 5000 bytes\n',
    );
    const missing = spawnSync(process.execPath, [bin, "corpus"], { encoding: "utf8" });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /required option '--out <file>' not specified/);
  });
});
