/**
 * `zswap-ts corpus`: writes a page corpus (raw 4 KiB pages) and its manifest.
 *
 * @example
 * zswap-ts corpus --out /tmp/c.pages --size 64M --seed 1 --mix text=35,bin=35,zero=12,same=3,random=15
 */
import { Command } from "commander";
import {
  CorpusGenerator,
  DEFAULT_MIX,
  formatMix,
  KINDS,
  parseMix,
  parseSeed,
  parseSize,
} from "../workload/corpus.ts";
import type { CorpusManifest } from "../workload/corpus_file.ts";
import { writeCorpusStream } from "../workload/corpus_stream.ts";
import { captureFlagsGiven, runCapture } from "./corpus_capture.ts";
import { jsonText } from "./json_out.ts";
import { Progress } from "./progress.ts";
import { Interrupts, turn } from "./signals.ts";
import { sizeText } from "./size_text.ts";
import { asUsageError, UsageError } from "./usage_error.ts";

interface CorpusOptions {
  out: string;
  size: string;
  seed: string;
  mix: string;
  json?: boolean;
  pid?: string;
  core?: string;
  maxSize?: string;
}

/** The `corpus` subcommand; `write` receives stdout text (tests capture it). */
export function corpusCommand(
  write: (text: string) => void = (text) => process.stdout.write(text),
): Command {
  return new Command("corpus")
    .description(
      "Write a page corpus: raw 4 KiB pages of text, binary, zero, same-filled and random data, " +
        "with a manifest next to it (<file>.manifest.json); or, with --pid or --core, the " +
        "private anonymous pages of a live process or an ELF core dump. See docs/corpus.md.",
    )
    .requiredOption(
      "--out <file>",
      "where to write the pages: a new or regular file (written whole, then renamed into place)",
    )
    .option("--size <bytes>", "corpus size, a multiple of 4096; K, M, G suffixes", "64M")
    .option("--seed <n>", "seed, 0..4294967295: the same seed gives the same pages", "1")
    .option("--mix <weights>", "page kind weights (kinds left out weigh 0)", formatMix(DEFAULT_MIX))
    .option("--json", "print the summary as JSON")
    .option("--pid <pid>", "capture a live process's private anonymous pages instead")
    .option("--core <file>", "capture an ELF core dump's writable segments instead")
    .option("--max-size <bytes>", "with --pid or --core: sample at most this much")
    .addHelpText(
      "after",
      `
Examples:
  zswap-ts corpus --out c.pages --size 64M --seed 1          generated
  zswap-ts corpus --pid 1234 --out p.pages --max-size 256M   a live process (same user or CAP_SYS_PTRACE)
  zswap-ts corpus --core core.1234 --out p.pages             an ELF core dump (gcore, or the kernel's)`,
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .action(async (opts: CorpusOptions, cmd: Command) => {
      if (captureFlagsGiven(opts)) runCapture(opts, cmd, write);
      else await runCorpus(opts, write);
    });
}

async function runCorpus(opts: CorpusOptions, write: (text: string) => void): Promise<void> {
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
  const bar = Progress.open("corpus", "pages", { quiet: opts.json === true });
  // A signal removes the temporary file being written; the target is untouched until the rename.
  const stop = Interrupts.install(`corpus --out ${opts.out}`);
  let manifest: CorpusManifest;
  try {
    const gen = new CorpusGenerator({ sizeBytes, seed, mix });
    bar?.phase("generate", gen.nrPages);
    // Generated and written a chunk at a time: memory stays at one chunk whatever --size.
    manifest = await writeCorpusStream(opts.out, gen, {
      onProgress: (done, total) => {
        bar?.update(done);
        stop.status = `page ${done} of ${total}`;
      },
      between: turn,
      temps: stop.temps,
    });
  } catch (e) {
    throw asUsageError(e);
  } finally {
    bar?.stop();
    stop.dispose();
  }
  const manifestPath = `${opts.out}.manifest.json`;
  if (opts.json) {
    const { kinds: _kinds, ...summary } = manifest;
    write(`${jsonText({ out: opts.out, manifest: manifestPath, ...summary })}\n`);
  } else {
    write(`${summaryText(opts.out, manifestPath, manifest, performance.now() - started)}\n`);
  }
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
    `Text pages: ${m.sources.text}; bin pages: ${m.sources.bin}. ` +
    `sha256 ${m.sha256}; manifest ${manifestPath}; ${(elapsedMs / 1000).toFixed(1)} s.`
  );
}
