/**
 * `zswap-ts soak`: a seeded random workload of mixed operations with faults injected, every
 * load checked against a data oracle. Exit 0: nothing lost; 1: a page lost or corrupted, or a
 * kernel counter that disagrees with the faults injected; 2: bad input. See docs/soak.md.
 *
 * @example
 * zswap-ts soak                                   # 10^6 operations, 1% of every fault
 * zswap-ts soak --ops 20000 --seed 7 --json
 * zswap-ts soak --fail decompress=0.1,swap_read=0.05 --profile 6.12 --compressor lzo
 */
import { Command } from "commander";
import { UnknownCompressorError } from "../crypto/algorithms/registry.ts";
import {
  checkFaults,
  FAULT_KINDS,
  type FaultOptions,
  FaultSpecError,
  parseFailSpec,
} from "../real/faults.ts";
import { realCompressorRegistry, ZswapError } from "../real/index.ts";
import { CorpusError, parseSeed } from "../workload/corpus.ts";
import { checkProfile, ParamError } from "../zswap/params.ts";
import { jsonText } from "./json_out.ts";
import { type SoakConfig, type SoakResult, soakJob } from "./soak_job.ts";
import { UsageError } from "./usage_error.ts";

export type { SoakResult };

interface SoakFlags {
  ops: string;
  seed: string;
  fail: string;
  failSeed?: string;
  compressor: string;
  profile: string;
  cpus: string;
  livePages: string;
  json?: boolean;
  lockstep?: boolean;
}

export const DEFAULT_FAIL = FAULT_KINDS.map((k) => `${k}=0.01`).join(",");

export function soakCommand(
  write: (text: string) => void = (text) => process.stdout.write(text),
  writeErr: (text: string) => void = (text) => process.stderr.write(text),
  /** Tests: adjusts the parsed configuration (e.g. a setup hook that breaks the compressor). */
  configure: (c: SoakConfig) => SoakConfig = (c) => c,
): Command {
  return new Command("soak")
    .description(
      "Run a seeded random mix of operations (stores of pages and large folios, loads, frees, " +
        "writeback under a small pool, CPU hotplug, compressor switches, pool limit changes) " +
        "with faults injected, and check every load against a copy of the page. Exit 1 on any " +
        "lost or corrupted page. See docs/soak.md.",
    )
    .option("--ops <n>", "number of operations", "1000000")
    .option("--seed <n>", "seed of the workload (and of the faults, unless --fail-seed)", "1")
    .option("--fail <spec>", "faults: knob=probability,... or 'none'", DEFAULT_FAIL)
    .option("--fail-seed <n>", "seed of the fault draws (default: --seed)")
    .option("--compressor <name>", "initial compressor: lz4, lz4hc, zstd, lzo, deflate", "lz4")
    .option(
      "--profile <name>",
      "kernel behaviour: 7.3 (Linux 7.3.4; alias latest) or 6.12 (Debian's 6.12.117)",
      "7.3",
    )
    .option("--cpus <n>", "number of CPUs, 1..64", "4")
    .option("--live-pages <n>", "pages swapped out at most at once (the oracle's size)", "2048")
    .option(
      "--lockstep",
      "wait for background writeback after every operation (reproducible anywhere, slower)",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
Fault knobs (probabilities 0..1): ${FAULT_KINDS.join(", ")}.

Examples:
  zswap-ts soak                                       10^6 operations, every knob at 0.01
  zswap-ts soak --ops 20000 --json
  zswap-ts soak --fail decompress=0.2,swap_read=0.1 --seed 5
  zswap-ts soak --fail none --profile 6.12 --compressor lzo`,
    )
    .exitOverride()
    .action(async (flags: SoakFlags) => {
      const config = configure(
        parseSoakFlags(flags, process.stderr.isTTY === true && flags.json !== true),
      );
      let r: SoakResult;
      try {
        r = await soakJob(config);
      } catch (e) {
        if (e instanceof ZswapError && e.code !== "EBUG") throw new UsageError(e.message);
        if (!(e instanceof ZswapError)) throw e;
        writeErr(`zswap-ts: ${e.message}\n`);
        process.exitCode = 1;
        return;
      }
      write(flags.json === true ? `${jsonText(r)}\n` : soakText(r));
      if (!r.ok) {
        for (const p of [...r.problems, ...r.accountingErrors]) writeErr(`zswap-ts: soak: ${p}\n`);
        writeErr(
          `zswap-ts: soak failed: ${r.lost} page(s) lost, ${r.corrupted} corrupted, ${r.accountingErrors.length} counter mismatch(es) (seed ${r.config.seed})\n`,
        );
        process.exitCode = 1;
      }
    });
}

export function parseSoakFlags(flags: SoakFlags, progress: boolean): SoakConfig {
  const seed = usage(() => parseSeed(flags.seed));
  const failSeed =
    flags.failSeed === undefined
      ? seed
      : usage(() => parseSeed(flags.failSeed as string), "--fail-seed");
  let faults: FaultOptions | null = null;
  if (flags.fail.trim() !== "none") {
    const spec = usage(() => parseFailSpec(flags.fail));
    faults = checkFaults(spec) === null ? null : { ...spec, seed: failSeed };
  }
  const registry = realCompressorRegistry();
  usage(() => registry.get(flags.compressor));
  return {
    ops: intFlag("--ops", flags.ops, 1),
    seed,
    compressor: flags.compressor,
    profile: usage(() => checkProfile(flags.profile)),
    cpus: intFlag("--cpus", flags.cpus, 1, 64),
    faults,
    livePagesMax: intFlag("--live-pages", flags.livePages, 16, 1 << 20),
    progress,
    lockstep: flags.lockstep === true,
  };
}

/** Runs `parse`; its input errors become one-line UsageErrors. */
function usage<T>(parse: () => T, flag?: string): T {
  try {
    return parse();
  } catch (e) {
    const known =
      e instanceof CorpusError ||
      e instanceof ParamError ||
      e instanceof FaultSpecError ||
      e instanceof UnknownCompressorError;
    if (!known) throw e;
    throw new UsageError(flag === undefined ? e.message : `${flag}: ${e.message}`);
  }
}

function intFlag(flag: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    throw new UsageError(`Cannot use ${flag}: expected an integer ${range}, got '${v}'`);
  }
  return n;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** The human summary (docs/soak.md explains every line). */
export function soakText(r: SoakResult): string {
  const c = r.config;
  const f = r.faults;
  const lines = [
    `soak: ${fmt(r.ops)} operations in ${r.seconds.toFixed(1)} s (${fmt(r.opsPerSecond)} ops/s); seed ${c.seed}, ${c.compressor}, profile ${c.profile}, ${c.cpus} CPUs, up to ${fmt(c.livePagesMax)} pages out`,
    `operations:       ${Object.entries(r.opsByKind)
      .map(([k, n]) => `${k} ${fmt(n)}`)
      .join(", ")}`,
    `pages verified:   ${fmt(r.pagesVerified)} (byte for byte against the oracle)`,
    `faults injected:  ${FAULT_KINDS.map((k) => `${k} ${fmt(f[k])}`).join(", ")}`,
    `  loads failed by an injected fault (EIO, page kept, loaded later): ${fmt(r.loadsFailedInjected)}`,
    `  swap-outs failed by an injected fault (EIO, caller kept the page): ${fmt(r.storesFailedInjected)}`,
    `kernel counters:  reject_kmemcache_fail ${fmt(r.end.debugfs.reject_kmemcache_fail ?? 0)}, reject_alloc_fail ${fmt(r.end.debugfs.reject_alloc_fail ?? 0)}, reject_compress_fail ${fmt(r.end.debugfs.reject_compress_fail ?? 0)}, decompress_fail ${r.end.debugfs.decompress_fail === undefined ? "n/a" : fmt(r.end.debugfs.decompress_fail)}, reject_reclaim_fail ${fmt(r.end.debugfs.reject_reclaim_fail ?? 0)}, written_back_pages ${fmt(r.end.debugfs.written_back_pages ?? 0)}, pswpout ${fmt(r.end.vmstat.pswpout)}`,
    `lost: ${fmt(r.lost)}, corrupted: ${fmt(r.corrupted)}, unreadable after retries (injected): ${fmt(r.unreadableInjected)}, counter mismatches: ${r.accountingErrors.length}`,
    r.ok ? "verdict: OK, nothing lost" : "verdict: FAILED",
  ];
  return `${lines.join("\n")}\n`;
}
