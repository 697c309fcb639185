/**
 * `zswap-ts run --compare lz4,zstd,...` and `--compare-profiles 7.3,6.12`: the run job once
 * per compressor (and profile) on the same corpus, and one table of the figures that decide a
 * choice. With a corpus manifest that has page kinds, also the compression ratio per kind.
 * See docs/run.md ("Comparing compressors").
 *
 * @example
 * zswap-ts run --corpus /tmp/p.pages --compare lz4,lz4hc,zstd,lzo,deflate
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { CompressorBackend } from "../crypto/algorithms/types.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { realCompressorRegistry } from "../real/zswap_instance.ts";
import { CAPTURE_KIND_LETTERS, isZeroPage } from "../workload/capture.ts";
import {
  CorpusError,
  CorpusGenerator,
  DEFAULT_MIX,
  formatMix,
  KIND_LETTERS,
} from "../workload/corpus.ts";
import {
  CHUNK_PAGES,
  CorpusReader,
  type TempFiles,
  writeCorpusStream,
} from "../workload/corpus_stream.ts";
import { checkProfile, ParamError, type Profile } from "../zswap/params.ts";
import { jsonText } from "./json_out.ts";
import { Progress } from "./progress.ts";
import { finish, interruptHooks, settleJob } from "./run_action.ts";
import type { CompareResult, CompareRow, KindFigures } from "./run_compare_result.ts";
import { compareText } from "./run_compare_summary.ts";
import type { RunConfig, RunFlags, RunHooks } from "./run_config.ts";
import { runJob } from "./run_job.ts";
import type { RunResult } from "./run_result.ts";
import { Interrupts } from "./signals.ts";
import { UsageError } from "./usage_error.ts";

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

/** `run --compare` / `--compare-profiles`: checks the flags, runs, prints the table or JSON. */
export async function compareAction(
  flags: RunFlags,
  cmd: Command,
  config: RunConfig,
  write: (text: string) => void,
  writeErr: (text: string) => void,
): Promise<void> {
  const fromCli = (key: string) => cmd.getOptionValueSource(key) === "cli";
  if (flags.compare !== undefined && fromCli("compressor")) {
    throw new UsageError("Cannot use --compressor with --compare: --compare names the compressors");
  }
  if (flags.compareProfiles !== undefined && fromCli("profile")) {
    throw new UsageError(
      "Cannot use --profile with --compare-profiles: --compare-profiles names the profiles",
    );
  }
  if (config.switchCompressorEvery > 0) {
    throw new UsageError(
      "Cannot use --switch-compressor-every with --compare or --compare-profiles",
    );
  }
  const compressors =
    flags.compare === undefined ? [config.compressor] : parseCompressorList(flags.compare);
  const profiles =
    flags.compareProfiles === undefined
      ? [config.profile]
      : parseProfileList(flags.compareProfiles);
  // A signal removes the temporary swap file and corpus, and says where it stopped.
  const stop = Interrupts.install("run --compare", writeErr);
  let result: CompareResult | null;
  try {
    const job = () => runCompare(config, compressors, profiles, interruptHooks(stop), stop.temps);
    result = await settleJob(job, writeErr);
  } finally {
    stop.dispose();
  }
  if (result === null) return;
  write(config.json ? `${jsonText(result)}\n` : compareText(result));
  for (const run of result.runs) finish(run, writeErr);
}

/** Parses "lz4,zstd": distinct names the registry knows. */
export function parseCompressorList(s: string): string[] {
  const registry = realCompressorRegistry();
  return parseList("--compare", s, (name) => {
    try {
      registry.get(name);
    } catch (e) {
      throw new UsageError(`--compare: ${(e as Error).message}`);
    }
    return name;
  });
}

/** Parses "7.3,6.12" (an alias such as latest names its profile: 7.3). */
export function parseProfileList(s: string): Profile[] {
  const profiles = parseList("--compare-profiles", s, (name) => {
    try {
      return checkProfile(name);
    } catch (e) {
      if (e instanceof ParamError) throw new UsageError(`--compare-profiles: ${e.message}`);
      throw e;
    }
  });
  const dup = profiles.find((p, i) => profiles.indexOf(p) !== i);
  if (dup !== undefined)
    throw new UsageError(`Cannot use --compare-profiles "${s}": profile ${dup} given twice`);
  return profiles;
}

function parseList<T>(flag: string, s: string, check: (name: string) => T): T[] {
  const names = s.split(",").map((n) => n.trim());
  if (names.some((n) => n === "")) {
    throw new UsageError(`Cannot use ${flag} "${s}": expected names separated by commas`);
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`Cannot use ${flag} "${s}": "${dup}" given twice`);
  return names.map(check);
}

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

/**
 * Runs the job once per compressor and profile (compressors outer) on one corpus: a generated
 * corpus is generated once, a chunk at a time, into a temporary file, so every run reads the
 * same bytes. `hooks` go to each run; `temps` learns the temporary corpus files (an interrupt
 * removes them).
 */
export async function runCompare(
  base: RunConfig,
  compressors: readonly string[],
  profiles: readonly Profile[],
  hooks: RunHooks = {},
  temps: TempFiles = new Set<string>(),
): Promise<CompareResult> {
  const tmp = join(
    tmpdir(),
    `zswap-ts-compare-${process.pid}-${randomBytes(6).toString("hex")}.pages`,
  );
  const tmpFiles = [tmp, `${tmp}.manifest.json`];
  try {
    const corpus = await prepareCorpus(base, tmp, temps);
    for (const f of tmpFiles) temps.add(f);
    const runs: RunResult[] = [];
    for (const compressor of compressors) {
      for (const profile of profiles) {
        runs.push(await runJob({ ...base, corpusFile: corpus.file, compressor, profile }, hooks));
      }
    }
    const kinds =
      corpus.kinds === null ? null : kindTableOfFile(corpus.file, corpus.kinds, compressors);
    return { corpus: corpus.summary, rows: runs.map(rowOf), kinds, runs };
  } finally {
    for (const f of tmpFiles) {
      fs.rmSync(f, { force: true });
      temps.delete(f);
    }
  }
}

interface PreparedCorpus {
  readonly file: string;
  /** One letter per page, from the manifest; null without one. */
  readonly kinds: string | null;
  readonly summary: CompareResult["corpus"];
}

async function prepareCorpus(
  base: RunConfig,
  tmp: string,
  temps: TempFiles,
): Promise<PreparedCorpus> {
  try {
    if (base.corpusFile !== null) {
      const file = base.corpusFile;
      const sha = createHash("sha256");
      const nrPages = eachChunk(file, (chunk) => sha.update(chunk));
      return {
        file,
        kinds: manifestKinds(file, nrPages),
        summary: summaryOf(file, nrPages, sha.digest("hex"), null, null),
      };
    }
    const g = new CorpusGenerator({ sizeBytes: base.sizeBytes, seed: base.seed, mix: DEFAULT_MIX });
    const bar = Progress.open("run --compare", "pages", { quiet: base.json });
    bar?.phase("generate", g.nrPages);
    const m = await writeCorpusStream(tmp, g, { temps, onProgress: (done) => bar?.update(done) });
    bar?.stop();
    return {
      file: tmp,
      kinds: m.kinds,
      summary: summaryOf("generated", g.nrPages, m.sha256, base.seed, formatMix(DEFAULT_MIX)),
    };
  } catch (e) {
    if (e instanceof CorpusError) throw new UsageError(e.message);
    throw e;
  }
}

/** Calls `use` with each chunk of a corpus file, in order; returns its number of pages. */
function eachChunk(file: string, use: (chunk: Uint8Array, firstPage: number) => void): number {
  const r = CorpusReader.open(file);
  try {
    const buf = new Uint8Array(CHUNK_PAGES * PAGE_SIZE);
    for (let at = 0, n = r.read(buf, 0); n > 0; at += n, n = r.read(buf, at)) {
      use(buf.subarray(0, n * PAGE_SIZE), at);
    }
    return r.nrPages;
  } finally {
    r.close();
  }
}

function summaryOf(
  source: string,
  nrPages: number,
  sha256: string,
  seed: number | null,
  mix: string | null,
): CompareResult["corpus"] {
  return { source, pages: nrPages, sizeBytes: nrPages * PAGE_SIZE, sha256, seed, mix };
}

/** The manifest's per-page kinds, if it has them (one letter per page); else null. */
function manifestKinds(corpusFile: string, nrPages: number): string | null {
  const path = `${corpusFile}.manifest.json`;
  if (!fs.existsSync(path)) return null;
  const m = JSON.parse(fs.readFileSync(path, "utf8")) as { kinds?: unknown };
  return typeof m.kinds === "string" && m.kinds.length === nrPages ? m.kinds : null;
}

/** Page kind names by manifest letter: generated corpora's and captured ones'. */
const KIND_NAMES: ReadonlyMap<string, string> = new Map([
  ...Object.entries(KIND_LETTERS).map(([name, l]) => [l, name] as const),
  ...Object.entries(CAPTURE_KIND_LETTERS).map(([name, l]) => [l, name] as const),
]);

function kindTableOfFile(file: string, kinds: string, compressors: readonly string[]) {
  const t = new KindTally(kinds, compressors);
  eachChunk(file, (chunk, first) => t.add(chunk, first));
  return t.result();
}

interface Tally {
  pages: number;
  zero: number;
  bytes: number;
  incompressible: number;
}

/**
 * Compresses every page alone with each compressor into a one-page buffer, as zswap_compress()
 * does, and sums by kind. Zero-filled pages never reach zswap (the swap layer's zero map takes
 * them), so they count in the kind's share but not in its ratio.
 */
export class KindTally {
  private readonly letters: string[];
  private readonly backends: CompressorBackend[];
  /** By compressor, then by letter. */
  private readonly tallies: Map<string, Tally>[];
  private readonly dst = new Uint8Array(PAGE_SIZE);

  constructor(
    private readonly kinds: string,
    private readonly compressors: readonly string[],
  ) {
    this.letters = [...new Set(kinds)].sort(
      (a, b) => kindOrder(a) - kindOrder(b) || a.localeCompare(b),
    );
    this.backends = compressors.map((c) => realCompressorRegistry().get(c).create());
    this.tallies = compressors.map(
      () =>
        new Map(this.letters.map((l) => [l, { pages: 0, zero: 0, bytes: 0, incompressible: 0 }])),
    );
  }

  /** Adds the pages of `chunk`, the first of which is page `firstPage` of the corpus. */
  add(chunk: Uint8Array, firstPage: number): void {
    for (let j = 0; j < chunk.length / PAGE_SIZE; j++) {
      const page = chunk.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE);
      const letter = this.kinds[firstPage + j] as string;
      const zero = isZeroPage(page);
      this.backends.forEach((backend, c) => {
        const t = this.tallies[c]?.get(letter) as Tally;
        t.pages++;
        if (zero) {
          t.zero++;
          return;
        }
        const dlen = backend.compress(page, this.dst);
        const incompressible = dlen <= 0 || dlen >= PAGE_SIZE;
        if (incompressible) t.incompressible++;
        t.bytes += incompressible ? PAGE_SIZE : dlen;
      });
    }
  }

  result(): Record<string, KindFigures[]> {
    const out: Record<string, KindFigures[]> = {};
    this.compressors.forEach((compressor, c) => {
      out[compressor] = this.letters.map((l) => {
        const t = this.tallies[c]?.get(l) as Tally;
        return {
          kind: KIND_NAMES.get(l) ?? l,
          pages: t.pages,
          share: t.pages / this.kinds.length,
          zeroFilledPages: t.zero,
          compressedBytes: t.bytes,
          ratio: t.bytes > 0 ? ((t.pages - t.zero) * PAGE_SIZE) / t.bytes : null,
          incompressiblePages: t.incompressible,
        };
      });
    });
    return out;
  }
}

function kindOrder(letter: string): number {
  const order = "tbzsra";
  return order.includes(letter) ? order.indexOf(letter) : order.length;
}

function rowOf(r: RunResult): CompareRow {
  const d = r.afterSwapOut.debugfs;
  return {
    compressor: r.config.compressor,
    profile: r.config.profile,
    stored_pages: d.stored_pages ?? 0,
    compressionRatio: r.afterSwapOut.derived.compressionRatio,
    pool_total_size: d.pool_total_size ?? 0,
    poolEfficiency: r.afterSwapOut.derived.poolEfficiency,
    incompressiblePages:
      (d.stored_incompressible_pages ?? 0) +
      (d.reject_compress_poor ?? 0) +
      (d.reject_compress_fail ?? 0),
    storeMbPerSecond: r.phases.swapOut.mbPerSecond,
    loadMbPerSecond: r.phases.swapIn.mbPerSecond,
    verified: r.verification.ok,
  };
}
