// Running a subcommand in process, for the CLI tests.
import assert from "node:assert/strict";
import { Command } from "commander";
import { UsageError } from "./main.ts";

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
