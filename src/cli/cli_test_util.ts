// Running a subcommand in process, or the real binary, for the CLI tests.
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { UsageError } from "./usage_error.ts";

/**
 * Runs `zswap-ts <name> ...args` in process with `make(write, writeErr)`'s command; returns
 * what it wrote to stdout and stderr.
 */
export async function runInProcess(
  make: (write: (s: string) => void, writeErr: (s: string) => void) => Command,
  args: readonly string[],
): Promise<{ out: string; err: string }> {
  let out = "";
  let err = "";
  const cmd = make(
    (s) => {
      out += s;
    },
    (s) => {
      err += s;
    },
  ).configureOutput({ writeErr: () => {} });
  await new Command("zswap-ts")
    .exitOverride()
    .addCommand(cmd)
    .parseAsync([cmd.name(), ...args], { from: "user" });
  return { out, err };
}

/** Asserts that `p` rejects with a one-line UsageError matching `message`. */
export async function assertUsageError(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

const repo = fileURLToPath(new URL("../..", import.meta.url));
const bin = process.env.ZSWAP_TS_BIN ?? join(repo, "bin/zswap-ts.js");

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real binary, `zswap-ts ...args`, as a child process (bin/zswap-ts.js; ZSWAP_TS_BIN overrides it). */
export function zswapTs(...args: string[]): Promise<Ran> {
  return nodeProcess([bin, ...args]);
}

/**
 * Runs the real binary synchronously, in `cwd` (the repository unless given): for tests that
 * drive it step by step and read `status`, `stdout` and `stderr`.
 */
export function zswapTsSync(args: readonly string[], cwd = repo): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });
}

/** Runs `node ...args` in the repository, with `env` added to this process's environment. */
export function nodeProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
