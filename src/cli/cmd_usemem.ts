/**
 * `zswap-ts usemem`: the batching series' usemem30 benchmark, modelled (see usemem_job.ts and
 * docs/batching.md): baseline and batching side by side, in the series' table layout.
 *
 * @example
 * zswap-ts usemem --compressor deflate-iaa --iaa-engines 2 --folio-size 64K
 * zswap-ts usemem --compressor zstd --folio-size 2M --repeat 5 --json
 */
import { availableParallelism } from "node:os";
import { Command } from "commander";
import { IAA_SYNC_MODES, type IaaSyncMode } from "../crypto/iaa_crypto.ts";
import { realCompressorRegistry } from "../real/zswap_instance.ts";
import {
  CorpusError,
  DEFAULT_MIX,
  generateCorpus,
  parseSeed,
  parseSize,
} from "../workload/corpus.ts";
import { parseFolioSize } from "./folio_size.ts";
import { jsonText } from "./json_out.ts";
import { UsageError } from "./usage_error.ts";
import { runUsemem, type UsememConfig, usememText } from "./usemem_job.ts";

interface UsememFlags {
  producers: string;
  size: string;
  folioSize: string;
  compressor: string;
  iaaEngines?: string;
  iaaSyncMode: string;
  cpus?: string;
  repeat: string;
  seed: string;
  json?: boolean;
}

export function usememCommand(
  write: (text: string) => void = (text) => process.stdout.write(text),
): Command {
  return new Command("usemem")
    .description(
      "The batching series' usemem30 benchmark, modelled: N producers each write M bytes of " +
        "pages that swap out as large folios through zswap. Prints total throughput (KB/s), " +
        "elapsed and CPU time for the baseline (profile 7.3, page by page) and batching " +
        "(profile 7.3-batching) side by side, medians of --repeat alternating runs. See docs/batching.md.",
    )
    .option("--producers <n>", "number of producers (usemem -n)", "4")
    .option("--size <bytes>", "bytes each producer writes; K, M, G suffixes", "16M")
    .option("--folio-size <size>", "folio size: 4K, 16K, 64K, ..., 2M", "64K")
    .option("--compressor <name>", "deflate-iaa, zstd, lz4, lzo, deflate, lz4hc", "deflate-iaa")
    .option(
      "--iaa-engines <n>",
      "deflate-iaa engines (worker threads) for batching (default: one per core)",
    )
    .option(
      "--iaa-sync-mode <mode>",
      `deflate-iaa sync_mode: ${IAA_SYNC_MODES.join(", ")}`,
      "async",
    )
    .option("--cpus <n>", "CPUs of the model, 1..64 (default: this machine's)")
    .option("--repeat <n>", "runs of each, alternating; medians are reported", "3")
    .option("--seed <n>", "seed of the generated corpus", "1")
    .option("--json", "print the result as JSON")
    .exitOverride()
    .action(async (flags: UsememFlags) => {
      const c = parseUsememFlags(flags);
      const corpus = corpusOf(() =>
        generateCorpus({
          sizeBytes: c.bytesPerProducer,
          seed: parseSeed(flags.seed),
          mix: DEFAULT_MIX,
        }),
      );
      const r = await runUsemem(c, corpus);
      write(flags.json === true ? `${jsonText(r)}\n` : usememText(r));
    });
}

export function parseUsememFlags(f: UsememFlags): UsememConfig {
  const folioPages = parseFolioSize(f.folioSize);
  const bytesPerProducer = corpusOf(() => parseSize(f.size));
  if (bytesPerProducer % (folioPages * 4096) !== 0)
    throw new UsageError(
      `Cannot use --size ${f.size}: expected a multiple of the folio size (${folioPages * 4} KiB)`,
    );
  if (!realCompressorRegistry().has(f.compressor))
    throw new UsageError(
      `Unknown compressor '${f.compressor}'; available: ${realCompressorRegistry().names().join(", ")}`,
    );
  if (!(IAA_SYNC_MODES as readonly string[]).includes(f.iaaSyncMode))
    throw new UsageError(
      `Cannot use --iaa-sync-mode: expected one of ${IAA_SYNC_MODES.join(", ")}, got '${f.iaaSyncMode}'`,
    );
  const cores = Math.min(64, availableParallelism());
  const isIaa = f.compressor === "deflate-iaa";
  return {
    producers: intFlag("--producers", f.producers, 1, 1024),
    bytesPerProducer,
    folioPages,
    compressor: f.compressor,
    iaaEngines: isIaa
      ? f.iaaEngines === undefined
        ? cores
        : intFlag("--iaa-engines", f.iaaEngines, 1, 64)
      : 0,
    iaaSyncMode: f.iaaSyncMode as IaaSyncMode,
    cpus: f.cpus === undefined ? cores : intFlag("--cpus", f.cpus, 1, 64),
    repeat: intFlag("--repeat", f.repeat, 1, 100),
  };
}

function corpusOf<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CorpusError) throw new UsageError(e.message);
    throw e;
  }
}

function intFlag(flag: string, v: string, min: number, max: number): number {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`Cannot use ${flag}: expected an integer ${min}..${max}, got '${v}'`);
  return n;
}
