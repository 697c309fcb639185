/**
 * `zswap-ts corpus`: writes a page corpus (raw 4 KiB pages) and its manifest.
 *
 * @example
 * zswap-ts corpus --out /tmp/c.pages --size 64M --seed 1 --mix text=35,bin=35,zero=12,same=3,random=15
 */
import cliProgress from "cli-progress";
import { Command } from "commander";
import {
  CorpusError,
  type CorpusManifest,
  DEFAULT_MIX,
  formatMix,
  generateCorpus,
  KINDS,
  PAGE_SIZE,
  parseMix,
  parseSeed,
  parseSize,
  type SourceSummary,
  writeCorpus,
} from "../workload/corpus.ts";
import { UsageError } from "./main.ts";

interface CorpusOptions {
  out: string;
  size: string;
  seed: string;
  mix: string;
  json?: boolean;
}

/** The `corpus` subcommand; `write` receives stdout text (tests capture it). */
export function corpusCommand(
  write: (text: string) => void = (text) => process.stdout.write(text),
): Command {
  return new Command("corpus")
    .description(
      "Write a page corpus: raw 4 KiB pages of text, binary, zero, same-filled and random data, " +
        "with a manifest next to it (<file>.manifest.json). See docs/corpus.md.",
    )
    .requiredOption("--out <file>", "where to write the pages")
    .option("--size <bytes>", "corpus size, a multiple of 4096; K, M, G suffixes", "64M")
    .option("--seed <n>", "seed, 0..4294967295: the same seed gives the same pages", "1")
    .option("--mix <weights>", "page kind weights (kinds left out weigh 0)", formatMix(DEFAULT_MIX))
    .option("--json", "print the summary as JSON")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .action((opts: CorpusOptions) => {
      runCorpus(opts, write);
    });
}

function runCorpus(opts: CorpusOptions, write: (text: string) => void): void {
  const started = performance.now();
  let sizeBytes: number;
  let seed: number;
  let mix: ReturnType<typeof parseMix>;
  try {
    sizeBytes = parseSize(opts.size);
    seed = parseSeed(opts.seed);
    mix = parseMix(opts.mix);
  } catch (e) {
    throw asUsageError(e);
  }
  if (opts.out.trim() === "") throw new UsageError("Cannot write corpus: --out is empty");
  const bar = process.stderr.isTTY ? newProgressBar() : null;
  bar?.start(sizeBytes / PAGE_SIZE, 0);
  let manifest: CorpusManifest;
  try {
    const corpus = generateCorpus({
      sizeBytes,
      seed,
      mix,
      onProgress: (done) => bar?.update(done),
    });
    bar?.stop();
    manifest = writeCorpus(opts.out, corpus);
  } catch (e) {
    bar?.stop();
    throw asUsageError(e);
  }
  const manifestPath = `${opts.out}.manifest.json`;
  if (opts.json) {
    const { kinds: _kinds, ...summary } = manifest;
    write(`${JSON.stringify({ out: opts.out, manifest: manifestPath, ...summary }, null, 2)}\n`);
  } else {
    write(`${summaryText(opts.out, manifestPath, manifest, performance.now() - started)}\n`);
  }
}

function asUsageError(e: unknown): unknown {
  return e instanceof CorpusError ? new UsageError(e.message) : e;
}

function newProgressBar(): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      format: "corpus [{bar}] {percentage}% | {value}/{total} pages | ETA {eta}s",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
}

/** One paragraph: what was written, how it splits, where it came from. */
export function summaryText(
  out: string,
  manifestPath: string,
  m: CorpusManifest,
  elapsedMs: number,
): string {
  const split = KINDS.map(
    (k) => `${k} ${m.counts[k]} (${((100 * m.counts[k]) / m.pages).toFixed(1)}%)`,
  ).join(", ");
  return (
    `Wrote ${sizeText(m.sizeBytes)} (${m.pages} pages) to ${out} with seed ${m.seed}: ${split}. ` +
    `Text pages from ${sourceText(m.sources.text, "text files")}; ` +
    `bin pages from ${sourceText(m.sources.bin, "ELF files")}. ` +
    `sha256 ${m.sha256}; manifest ${manifestPath}; ${(elapsedMs / 1000).toFixed(1)} s.`
  );
}

function sourceText(s: SourceSummary, what: string): string {
  if (s.fallback === "generated-text") return "generated English-like text (no text files found)";
  if (s.fallback !== null) return `${s.fallback} (no ELF files found)`;
  return `${s.files} ${what} (${sizeText(s.bytes)})`;
}

function sizeText(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(bytes / 2 ** 10)} KiB`;
}
