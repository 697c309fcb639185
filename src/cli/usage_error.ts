/**
 * Bad input to the CLI: a flag, a file, a value out of range. The command prints its message on
 * one line and exits 2 (src/cli/main.ts). In a file of its own so that every command can throw it
 * without importing main.ts, which imports every command.
 */
import { CorpusError } from "../workload/corpus.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

/** A corpus error (bad size, seed, file) as the usage error it is; anything else unchanged. */
export function asUsageError(e: unknown): unknown {
  return e instanceof CorpusError ? new UsageError(e.message) : e;
}
