/**
 * The `zswap-ts` command. Each subcommand lives in its own file and registers itself here.
 * Exit codes: 0 ok, 1 check failed or invariant broken, 2 usage or input error.
 */
import { Command, CommanderError } from "commander";
import { UsageError } from "./usage_error.ts";
import { version } from "./version.ts";

/**
 * The subcommands, each loaded only when asked for: `zswap-ts run` never loads the checker,
 * `check` never loads the real compressors, `--version` loads neither (start-up is module
 * loading: about 270 ms for all of them against 140 ms for run's alone, measured from dist/).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  run: async () => (await import("./cmd_run.ts")).runCommand(),
  check: async () => (await import("./cmd_check.ts")).checkCommand(),
  replay: async () => (await import("./cmd_replay.ts")).replayCommand(),
  merge: async () => (await import("./cmd_merge.ts")).mergeCommand(),
  claims: async () => (await import("./cmd_claims.ts")).claimsCommand(),
  corpus: async () => (await import("./cmd_corpus.ts")).corpusCommand(),
  design: async () => (await import("./cmd_design.ts")).designCommand(),
  soak: async () => (await import("./cmd_soak.ts")).soakCommand(),
  usemem: async () => (await import("./cmd_usemem.ts")).usememCommand(),
};

/**
 * The program with the subcommands `argv` may need: the one it names, or every one (for
 * `--help`, `help`, a bare `zswap-ts` and an unknown name, whose messages list them all).
 * Without `argv`, every one.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command("zswap-ts")
    .description(
      "Linux zswap, executable. 'run' swaps real pages through zswap with real compressors and " +
        "prints the kernel's statistics; 'check' explores acomp_ctx lifecycle designs for " +
        "use-after-free and deadlock on a deterministic multi-CPU kernel model.",
    )
    .version(version(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const args = argv?.slice(2) ?? [];
  const named = args[0] !== undefined && Object.hasOwn(COMMANDS, args[0]) ? args[0] : undefined;
  const onlyVersion = args.length === 1 && (args[0] === "-V" || args[0] === "--version");
  const wanted = onlyVersion ? [] : named !== undefined ? [named] : Object.keys(COMMANDS);
  for (const name of wanted) program.addCommand(await (COMMANDS[name] as () => Promise<Command>)());
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
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
