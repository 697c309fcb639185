/**
 * The `zswap-ts` command. Each subcommand lives in its own file and registers itself here.
 * Exit codes: 0 ok, 1 check failed or invariant broken, 2 usage or input error.
 */
import { Command, CommanderError } from "commander";
import { checkCommand } from "./cmd_check.ts";
import { claimsCommand } from "./cmd_claims.ts";
import { corpusCommand } from "./cmd_corpus.ts";
import { designCommand } from "./cmd_design.ts";
import { mergeCommand } from "./cmd_merge.ts";
import { replayCommand } from "./cmd_replay.ts";
import { runCommand } from "./cmd_run.ts";
import { soakCommand } from "./cmd_soak.ts";
import { usememCommand } from "./cmd_usemem.ts";
import { UsageError } from "./usage_error.ts";
import { version } from "./version.ts";

export function buildProgram(): Command {
  const program = new Command("zswap-ts")
    .description(
      "Linux zswap, executable. 'run' swaps real pages through zswap with real compressors and " +
        "prints the kernel's statistics; 'check' explores acomp_ctx lifecycle designs for " +
        "use-after-free and deadlock on a deterministic multi-CPU kernel model.",
    )
    .version(version(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.addCommand(runCommand());
  program.addCommand(checkCommand());
  program.addCommand(replayCommand());
  program.addCommand(mergeCommand());
  program.addCommand(claimsCommand());
  program.addCommand(corpusCommand());
  program.addCommand(designCommand());
  program.addCommand(soakCommand());
  program.addCommand(usememCommand());
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // `zswap-ts` alone prints the usage to stderr (commander.help with a non-zero exit code):
      // a usage error. --help and `help` print it to stdout and succeed.
      if (e.code === "commander.help" && e.exitCode !== 0) return 2;
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return 0;
      return 2;
    }
    // A compressor whose optional native binding is not installed (crypto/.../native/load.ts):
    // one line that says how to get it, not a stack.
    if (e instanceof UsageError || (e instanceof Error && e.name === "BindingMissingError")) {
      process.stderr.write(`zswap-ts: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
