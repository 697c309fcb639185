// `zswap-ts run --swap-file`: what it accepts, and a swap file damaged by someone else during the
// run (truncated, a flipped byte): the lost pages are counted and reported, never zeros.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type Ran, zswapTs } from "./cli_test_util.ts";
import type { RunResult } from "./run_result.ts";

const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-run-swap-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs `zswap-ts run ...args`; `during` is called every 5 ms while it runs. */
async function run(args: string[], during?: () => void): Promise<Ran> {
  const ran = zswapTs("run", ...args);
  const timer = during === undefined ? null : setInterval(during, 5);
  try {
    return await ran;
  } finally {
    if (timer !== null) clearInterval(timer);
  }
}

function oneLine(r: Ran, code: number, message: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0] as string, /^zswap-ts: /);
  assert.match(lines[0] as string, message);
}

/** Bytes of data the file holds (not its sparse size). */
function allocated(path: string): number {
  try {
    return fs.statSync(path).blocks * 512;
  } catch {
    return 0;
  }
}

describe("zswap-ts run --swap-file", () => {
  it("refuses /dev/zero, a FIFO and a directory up front (exit 2, one line)", async () => {
    const fifo = join(scratch, "fifo");
    execFileSync("mkfifo", [fifo]);
    const cases: Array<[string, RegExp]> = [
      [
        "/dev/zero",
        /Cannot use \/dev\/zero as a swap file: it is a character device; expected a regular file \(created if it does not exist\) or a block device/,
      ],
      [fifo, /Cannot use .*fifo as a swap file: it is a FIFO/],
      [scratch, /Cannot use .* as a swap file: it is a directory/],
    ];
    const results = await Promise.all(
      cases.map(([path]) => run(["--size", "64k", "--swap-file", path, "--force"])),
    );
    for (const [i, r] of results.entries()) oneLine(r, 2, (cases[i] as [string, RegExp])[1]);
  });

  it("reads --corpus only from a regular file (a FIFO or a device is refused, exit 2)", async () => {
    const fifo = join(scratch, "corpus-fifo");
    execFileSync("mkfifo", [fifo]);
    const [f, z] = await Promise.all([run(["--corpus", fifo]), run(["--corpus", "/dev/zero"])]);
    oneLine(f, 2, /Cannot read corpus .*corpus-fifo: it is a FIFO$/);
    oneLine(z, 2, /Cannot read corpus \/dev\/zero: it is a character device$/);
  });

  it("creates a new file, and overwrites an existing one only with --force", async () => {
    const path = join(scratch, "mine.swap");
    fs.writeFileSync(path, "my data");
    const refused = await run(["--size", "64k", "--swap-file", path]);
    oneLine(refused, 2, /it already exists \(7 bytes\) and would be overwritten; pass --force/);
    assert.equal(fs.readFileSync(path, "utf8"), "my data", "untouched");
    const forced = await run(["--size", "64k", "--swap-file", path, "--force", "--json"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(
      fs.statSync(path).size > 0 && fs.readFileSync(path, "utf8").slice(0, 7) !== "my data",
    );
    const fresh = join(scratch, "new.swap");
    const created = await run(["--size", "64k", "--swap-file", fresh]);
    assert.equal(created.code, 0, created.stderr);
    assert.ok(fs.existsSync(fresh), "kept after the run");
    oneLine(await run(["--size", "64k", "--force"]), 2, /Cannot use --force without --swap-file/);
  });

  it("a swap file truncated during the run: the lost pages are EIO, counted, exit 1", async () => {
    const path = join(scratch, "truncated.swap");
    let cut = false;
    const r = await run(
      ["--size", "16M", "--total-ram", "4M", "--swap-file", path, "--json"],
      () => {
        if (!cut && allocated(path) >= 512 * 1024) {
          fs.truncateSync(path, 0); // someone else truncates it
          cut = true;
        }
      },
    );
    assert.ok(cut, "the file was truncated during the run");
    oneLine(
      r,
      1,
      /verification failed: \d+ of 4096 pages could not be swapped in and are lost \(first: page \d+: Cannot swap in slot \d+: reading swap file .* failed \(EIO: input\/output error: slot \d+ (lies past the end of the file|reads back as zeros where a page was written)/,
    );
    const j = JSON.parse(r.stdout) as RunResult;
    assert.equal(j.verification.mismatches, 0, "no page came back as other bytes");
    assert.ok(j.verification.unreadable > 0);
    const f = j.end.swapFile;
    assert.equal(f.shortReads + f.vanishedReads, j.verification.unreadable);
  });

  it("a byte flipped in the swap file: EIO with --verify-swap, a mismatch without", async () => {
    const flipOnce = (path: string) => {
      let done = false;
      return () => {
        if (done || allocated(path) < 256 * 1024) return;
        const fd = fs.openSync(path, "r+");
        const buf = new Uint8Array(256 * 1024);
        fs.readSync(fd, buf, 0, buf.length, 0);
        const at = buf.findIndex((b) => b !== 0);
        if (at >= 0) {
          fs.writeSync(fd, new Uint8Array([(buf[at] as number) ^ 0x40]), 0, 1, at);
          done = true;
        }
        fs.closeSync(fd);
      };
    };
    const args = ["--size", "16M", "--total-ram", "4M", "--json", "--swap-file"];
    const a = join(scratch, "flip-verified.swap");
    const b = join(scratch, "flip-unverified.swap");
    const [verified, unverified] = await Promise.all([
      run([...args, a, "--verify-swap"], flipOnce(a)),
      run([...args, b], flipOnce(b)),
    ]);
    oneLine(
      verified,
      1,
      /1 of 4096 pages could not be swapped in and are lost .* does not match the checksum of the page written there/,
    );
    assert.equal((JSON.parse(verified.stdout) as RunResult).end.swapFile.checksumErrors, 1);
    oneLine(unverified, 1, /verification failed: 1 of 4096 pages came back different/);
  });
});
