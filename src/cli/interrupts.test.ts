// SIGINT, SIGTERM and SIGHUP during `run`, `corpus` and `check`: a clean stop. The CLI runs as
// a child with a private TMPDIR; the signal is sent once its handlers are installed (read from
// /proc/<pid>/status), and afterwards nothing it made may be left.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const bin = process.env.ZSWAP_TS_BIN ?? join(repo, "bin/zswap-ts.js");
const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-interrupts-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

interface Stopped {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Whether `pid` catches `sig` (its handler is installed): bit sig-1 of SigCgt. */
function catches(pid: number, sig: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status);
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << BigInt(sig - 1))) !== 0n;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Starts `zswap-ts ...args` with TMPDIR=`tmp`, waits until it catches `signal` and `ready()`
 * holds, sends the signal, and waits for the exit.
 */
async function interrupt(
  args: string[],
  tmp: string,
  signal: keyof typeof SIGNAL_NUMBERS,
  ready: () => boolean = () => true,
): Promise<Stopped> {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], {
    cwd: repo,
    env: { ...process.env, TMPDIR: tmp },
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  child.stdout?.resume();
  const exited = new Promise<Stopped>((resolve) =>
    child.on("close", (code, sig) => resolve({ code, signal: sig, stderr })),
  );
  const pid = child.pid as number;
  // Bounded: 60 s at 10 ms a round.
  for (let i = 0; i < 6000 && child.exitCode === null; i++) {
    if (catches(pid, SIGNAL_NUMBERS[signal]) && ready()) break;
    await sleep(10);
  }
  assert.equal(child.exitCode, null, `exited before the signal: ${stderr}`);
  child.kill(signal);
  return await exited;
}

/** What is left in a private TMPDIR (tsx's own cache aside). */
function leftIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => !n.startsWith("tsx-"));
}

function privateTmp(name: string): string {
  const dir = join(scratch, name);
  fs.mkdirSync(dir);
  return dir;
}

function oneLine(s: Stopped, code: number, message: RegExp): void {
  assert.equal(s.signal, null, "exited, not killed by the signal");
  assert.equal(s.code, code, s.stderr);
  const lines = s.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${s.stderr}`);
  assert.match(lines[0] as string, message);
}

describe("signals stop cleanly", () => {
  it("run: SIGINT exits 130, removes the temporary swap file, says where it stopped", async () => {
    const tmp = privateTmp("run-int");
    const swapFiles = () => leftIn(tmp).filter((n) => n.endsWith(".swap"));
    const s = await interrupt(
      ["run", "--size", "256M"],
      tmp,
      "SIGINT",
      () => swapFiles().length > 0,
    );
    oneLine(
      s,
      130,
      /^zswap-ts: interrupted by SIGINT during run \(swap-out, page \d+ of 65536\); removed .*zswap-ts-\d+-[0-9a-f]+\.swap$/,
    );
    assert.deepEqual(leftIn(tmp), [], "nothing left in TMPDIR");
  });

  it("run: SIGTERM exits 143 and SIGHUP 129, nothing left", async () => {
    const [term, hup] = await Promise.all(
      (["SIGTERM", "SIGHUP"] as const).map(async (sig) => {
        const tmp = privateTmp(`run-${sig}`);
        const ready = () => leftIn(tmp).some((n) => n.endsWith(".swap"));
        return { tmp, s: await interrupt(["run", "--size", "256M"], tmp, sig, ready) };
      }),
    );
    oneLine(
      term?.s as Stopped,
      143,
      /^zswap-ts: interrupted by SIGTERM during run \(swap-out, page \d+ of 65536\); removed /,
    );
    oneLine(hup?.s as Stopped, 129, /^zswap-ts: interrupted by SIGHUP during run /);
    assert.deepEqual(leftIn(term?.tmp as string), []);
    assert.deepEqual(leftIn(hup?.tmp as string), []);
  });

  it("corpus: SIGTERM removes the partial output and leaves an existing target as it was", async () => {
    const tmp = privateTmp("corpus-tmp");
    const outDir = privateTmp("corpus-out");
    const out = join(outDir, "c.pages");
    fs.writeFileSync(out, "the old corpus");
    const partial = () => fs.readdirSync(outDir).some((n) => n.includes(".tmp-"));
    const s = await interrupt(["corpus", "--out", out, "--size", "2G"], tmp, "SIGTERM", partial);
    oneLine(
      s,
      143,
      /^zswap-ts: interrupted by SIGTERM during corpus --out .*c\.pages \(page \d+ of 524288\); removed .*\.c\.pages\.tmp-\d+-[0-9a-f]+$/,
    );
    assert.deepEqual(fs.readdirSync(outDir), ["c.pages"], "no partial file left");
    assert.equal(fs.readFileSync(out, "utf8"), "the old corpus");
    assert.deepEqual(leftIn(tmp), []);
  });

  it("check: SIGHUP between cells exits 129 and names the cell", async () => {
    const tmp = privateTmp("check");
    const s = await interrupt(["check", "--matrix"], tmp, "SIGHUP");
    oneLine(
      s,
      129,
      /^zswap-ts: interrupted by SIGHUP during check \(--matrix, cell \w+ x C\d+, \d+ of \d+ done\)$/,
    );
    assert.deepEqual(leftIn(tmp), []);
  });
});
