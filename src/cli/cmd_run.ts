/**
 * `zswap-ts run`: the main job. Swaps every page of a corpus out through zswap (the pages zswap
 * rejects go to a real swap file), swaps every page back in, checks each against a 128-bit
 * digest of the original, and prints the kernel's statistics by their names, the derived figures
 * and the throughput of each phase. See docs/run.md.
 *
 * @example
 * zswap-ts run                                         # 64 MiB generated corpus, lz4, this machine
 * zswap-ts run --compressor zstd --size 16M --json
 * zswap-ts run --total-ram 64M --size 32M              # the pool limit binds: writeback, hysteresis
 * zswap-ts run --hotplug --switch-compressor-every 1000
 */
import { totalmem } from "node:os";
import { Command } from "commander";
import { type FaultOptions, FaultSpecError, parseFailSpec } from "../real/faults.ts";
import { realCompressorRegistry } from "../real/zswap_instance.ts";
import { CorpusError, parseSeed, parseSize } from "../workload/corpus.ts";
import { checkProfile, ParamError, UINT_MAX } from "../zswap/params.ts";
import { parseFolioSize } from "./folio_size.ts";
import { jsonText } from "./json_out.ts";
import { finish, interruptHooks, settleJob } from "./run_action.ts";
import { compareAction } from "./run_compare.ts";
import type { RunConfig, RunFlags } from "./run_config.ts";
import { runJob } from "./run_job.ts";
import type { RunResult } from "./run_result.ts";
import { HOTPLUG_PAGES } from "./run_stress.ts";
import { summaryText } from "./run_summary.ts";
import { Interrupts } from "./signals.ts";
import { UsageError } from "./usage_error.ts";

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

const DEFAULT_SIZE = "64M";

/** The `run` subcommand; `write` and `writeErr` receive stdout and stderr text. */
export function runCommand(
  write: (text: string) => void = (text) => process.stdout.write(text),
  writeErr: (text: string) => void = (text) => process.stderr.write(text),
): Command {
  return new Command("run")
    .description(
      "Swap every page of a corpus out through zswap (rejected pages go to a real swap file) and " +
        "back in, verify each against its original (a 128-bit digest), and print the kernel's statistics (debugfs, vmstat), " +
        "the compression ratio, the pool efficiency and each phase's throughput. See docs/run.md.",
    )
    .option("--corpus <file>", "raw 4 KiB pages to use (default: a generated corpus)")
    .option("--size <bytes>", "size of the generated corpus; K, M, G suffixes", DEFAULT_SIZE)
    .option("--seed <n>", "seed of the generated corpus", "1")
    .option(
      "--compressor <name>",
      "zswap compressor: lz4, lz4hc, zstd, lzo, lzo-rle, deflate",
      "lz4",
    )
    .option(
      "--profile <name>",
      "kernel behaviour: 7.3 (Linux 7.3.4; alias latest), 6.12 (Debian's 6.12.117), or 7.3-batching (7.3 storing large folios in batches)",
      "7.3",
    )
    .option("--max-pool-percent <n>", "max_pool_percent: the pool limit, % of total RAM", "20")
    .option(
      "--accept-threshold-percent <n>",
      "accept_threshold_percent: after the limit is hit, stores resume below this % of it",
      "90",
    )
    .option("--shrinker", "shrinker_enabled: the memcg shrinker writes cold entries back too")
    .option("--total-ram <bytes>", "total RAM as zswap sees it (default: this machine's)")
    .option(
      "--memcg-max <bytes>",
      "pages belong to a memcg with this memory.max (K, M, G), like a VM's test cgroup: entries are charged to it (default: the root cgroup)",
    )
    .option(
      "--memcg-zswap-max <bytes>",
      "that memcg's memory.zswap.max (K, M, G, or max): a store over it writes back from the memcg's LRU first, then is refused",
    )
    .option(
      "--memcg-writeback <0|1>",
      "that memcg's memory.zswap.writeback: 0 keeps its entries from writeback and its refused pages in memory",
    )
    .option("--cpus <n>", "number of CPUs, 1..64 (default: this machine's)")
    .option(
      "--parallel",
      "multi-core: one worker thread per CPU compresses pages while many swap-outs and swap-ins wait in flight; same results as one thread; on 2 cores the CPU times allow x1.8 for deflate's swap-out, x1.4 for zstd's, x1.2 for lzo's, about x1 otherwise (docs/multicore.md)",
    )
    .option(
      "--swap-file <path>",
      "swap file: a new regular file, or with --force an existing one or a block device (default: a temporary file, removed)",
    )
    .option("--force", "let --swap-file overwrite an existing file or a block device")
    .option(
      "--verify-swap",
      "keep a 64-bit checksum per swap file slot: a page changed on disk is an I/O error, not wrong data",
    )
    .option("--json", "print the summary as JSON")
    .option("--zsmalloc-stats", "also print zsmalloc's per-class table after swap-out")
    .option(
      "--hotplug",
      `stress: a CPU goes offline or online every ${HOTPLUG_PAGES} pages (an eighth of a smaller corpus)`,
    )
    .option("--switch-compressor-every <n>", "stress: switch the compressor every n pages")
    .option(
      "--fail <spec>",
      "inject faults: knob=probability,... (kmalloc, zs_malloc, compress, decompress, swap_write, swap_read)",
    )
    .option("--fail-seed <n>", "seed of the fault draws (default: --seed)")
    .option(
      "--compare <compressors>",
      "run once per compressor (lz4,lz4hc,zstd,lzo,lzo-rle,deflate): one table",
    )
    .option(
      "--compare-profiles <profiles>",
      "run once per profile (7.3,6.12; latest is 7.3): one table",
    )
    .option("--folio-size <size>", "swap out in folios of 4K (pages), 16K, 64K, ... or 2M", "4K")
    .option("--iaa-engines <n>", "deflate-iaa: worker-thread engines for batches (default 0)")
    .addHelpText(
      "after",
      `
Examples:
  zswap-ts run                                    64 MiB generated corpus, lz4
  zswap-ts run --compressor zstd --size 16M --json
  zswap-ts run --total-ram 16M --size 8M          the pool limit binds: writeback, hysteresis
  zswap-ts run --profile 6.12 --compressor lzo    6.12 rejects incompressible pages (reject_compress_fail)
  zswap-ts corpus --out c.pages --size 64M && zswap-ts run --corpus c.pages --hotplug
  zswap-ts run --compressor zstd --cpus 2 --parallel   compress on 2 worker threads
  zswap-ts run --fail zs_malloc=0.05,decompress=0.01   faults take the kernel's paths
  zswap-ts run --corpus p.pages --compare lz4,lz4hc,zstd,lzo,deflate   one table
  zswap-ts run --compare lz4,zstd --compare-profiles 7.3,6.12          four rows`,
    )
    .exitOverride()
    .action(async (flags: RunFlags, cmd: Command) => {
      const config = parseRunFlags(flags, cmd);
      if (flags.compare !== undefined || flags.compareProfiles !== undefined) {
        await compareAction(flags, cmd, config, write, writeErr);
        return;
      }
      let result: RunResult | null;
      // A signal removes the temporary swap file (it holds page data) and says where it stopped.
      const stop = Interrupts.install("run", writeErr);
      try {
        result = await settleJob(() => runJob(config, interruptHooks(stop)), writeErr);
      } finally {
        stop.dispose();
      }
      if (result === null) return;
      write(config.json ? `${jsonText(result)}\n` : summaryText(result));
      finish(result, writeErr);
    });
}

/** Checks every flag; throws a one-line UsageError. */
export function parseRunFlags(flags: RunFlags, cmd?: Command): RunConfig {
  const fromCli = (key: string) => cmd?.getOptionValueSource(key) === "cli";
  if (flags.corpus !== undefined && (fromCli("size") || fromCli("seed"))) {
    throw new UsageError(
      "Cannot use --size or --seed with --corpus: they describe a generated corpus",
    );
  }
  const compressor = flags.compressor;
  const registry = realCompressorRegistry();
  if (!registry.has(compressor)) {
    try {
      registry.get(compressor);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const config: RunConfig = {
    corpusFile: flags.corpus ?? null,
    sizeBytes: corpusValue(() => parseSize(flags.size)),
    seed: corpusValue(() => parseSeed(flags.seed)),
    compressor,
    profile: paramValue(() => checkProfile(flags.profile)),
    maxPoolPercent: percentFlag("max_pool_percent", flags.maxPoolPercent),
    acceptThresholdPercent: percentFlag("accept_threshold_percent", flags.acceptThresholdPercent),
    shrinker: flags.shrinker === true,
    totalRamBytes:
      flags.totalRam === undefined
        ? totalmem()
        : corpusValue(() => parseSize(flags.totalRam as string), "--total-ram"),
    cpus: flags.cpus === undefined ? undefined : intFlag("--cpus", flags.cpus, 1, 64),
    swapFile: flags.swapFile,
    force: flags.force === true,
    verifySwap: flags.verifySwap === true,
    memcgMaxBytes:
      flags.memcgMax === undefined
        ? null
        : corpusValue(() => parseSize(flags.memcgMax as string), "--memcg-max"),
    memcgZswapMaxBytes:
      flags.memcgZswapMax === undefined || flags.memcgZswapMax === "max"
        ? null
        : corpusValue(() => parseSize(flags.memcgZswapMax as string), "--memcg-zswap-max"),
    memcgZswapWriteback:
      flags.memcgWriteback === undefined ? null : memcgWritebackFlag(flags.memcgWriteback),
    json: flags.json === true,
    zsmallocStats: flags.zsmallocStats === true,
    hotplug: flags.hotplug === true,
    switchCompressorEvery:
      flags.switchCompressorEvery === undefined
        ? 0
        : intFlag(
            "--switch-compressor-every",
            flags.switchCompressorEvery,
            1,
            Number.MAX_SAFE_INTEGER,
          ),
    faults: flags.fail === undefined ? null : failFlag(flags.fail, flags.failSeed ?? flags.seed),
  };
  if (flags.fail === undefined && flags.failSeed !== undefined) {
    throw new UsageError("Cannot use --fail-seed without --fail");
  }
  if (config.swapFile !== undefined && config.swapFile.trim() === "") {
    throw new UsageError("Cannot use --swap-file: the path is empty");
  }
  if (config.force && config.swapFile === undefined) {
    throw new UsageError("Cannot use --force without --swap-file: it lets --swap-file overwrite");
  }
  return {
    ...config,
    folioPages: parseFolioSize(flags.folioSize ?? "4K"),
    iaaEngines:
      flags.iaaEngines === undefined ? 0 : intFlag("--iaa-engines", flags.iaaEngines, 0, 64),
    parallel: flags.parallel === true,
  };
}

/** --fail's knobs, seeded by --fail-seed (or --seed). */
function failFlag(spec: string, seedText: string): FaultOptions {
  try {
    return { ...parseFailSpec(spec), seed: parseSeed(seedText) };
  } catch (e) {
    if (e instanceof FaultSpecError) throw new UsageError(e.message);
    if (e instanceof CorpusError) throw new UsageError(`--fail-seed: ${e.message}`);
    throw e;
  }
}

function corpusValue<T>(parse: () => T, flag?: string): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof CorpusError)
      throw new UsageError(flag === undefined ? e.message : `${flag}: ${e.message}`);
    throw e;
  }
}

function paramValue<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ParamError) throw new UsageError(e.message);
    throw e;
  }
}

/** A `uint` module parameter: the kernel takes any value 0..UINT_MAX (kstrtouint). */
function percentFlag(name: string, v: string): number {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > UINT_MAX) {
    const got = /^\s*-?[\d.]+\s*$/.test(v) ? v.trim() : `'${v}'`;
    throw new UsageError(`Cannot set ${name}: expected an integer 0..${UINT_MAX}, got ${got}`);
  }
  return n;
}

function intFlag(flag: string, v: string, min: number, max: number): number {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    throw new UsageError(`Cannot use ${flag}: expected an integer ${range}, got '${v}'`);
  }
  return n;
}

/** --memcg-writeback: 0 or 1, as memory.zswap.writeback takes. */
function memcgWritebackFlag(v: string): boolean {
  if (v === "0" || v === "1") return v === "1";
  throw new UsageError(`Cannot use --memcg-writeback ${v}: expected 0 or 1`);
}
