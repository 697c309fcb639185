/**
 * `zswap-ts corpus --pid PID` and `--core FILE`: a corpus captured from a real process. The
 * capture itself is in src/workload/capture_pid.ts and capture_core.ts; see docs/corpus.md.
 *
 * @example
 * zswap-ts corpus --pid 1234 --out /tmp/p.pages --max-size 256M
 */
import type { Command } from "commander";
import { type CaptureManifest, writeCapture } from "../workload/capture.ts";
import { captureCore } from "../workload/capture_core.ts";
import { capturePid } from "../workload/capture_pid.ts";
import { parseSize } from "../workload/corpus.ts";
import { jsonText } from "./json_out.ts";
import { sizeText } from "./size_text.ts";
import { asUsageError, UsageError } from "./usage_error.ts";

export interface CaptureFlags {
  out: string;
  json?: boolean;
  pid?: string;
  core?: string;
  maxSize?: string;
}

export function captureFlagsGiven(f: CaptureFlags): boolean {
  return f.pid !== undefined || f.core !== undefined || f.maxSize !== undefined;
}

export function runCapture(f: CaptureFlags, cmd: Command, write: (text: string) => void): void {
  const started = performance.now();
  checkCaptureFlags(f, cmd);
  let manifest: CaptureManifest;
  try {
    const maxSizeBytes = f.maxSize === undefined ? undefined : parseSize(f.maxSize);
    const opts = maxSizeBytes === undefined ? {} : { maxSizeBytes };
    const capture =
      f.pid !== undefined ? capturePid(parsePid(f.pid), opts) : captureCore(f.core as string, opts);
    manifest = writeCapture(f.out, capture);
  } catch (e) {
    throw asUsageError(e);
  }
  const manifestPath = `${f.out}.manifest.json`;
  if (f.json) {
    const { kinds: _kinds, ...summary } = manifest;
    write(`${jsonText({ out: f.out, manifest: manifestPath, ...summary })}\n`);
  } else {
    write(`${captureSummaryText(f.out, manifestPath, manifest, performance.now() - started)}\n`);
  }
}

function checkCaptureFlags(f: CaptureFlags, cmd: Command): void {
  if (f.pid !== undefined && f.core !== undefined) {
    throw new UsageError("Cannot use --pid and --core together: capture one process at a time");
  }
  if (f.pid === undefined && f.core === undefined) {
    throw new UsageError("Cannot use --max-size without --pid or --core: it samples a capture");
  }
  for (const flag of ["size", "seed", "mix"]) {
    if (cmd.getOptionValueSource(flag) === "cli") {
      throw new UsageError(
        `Cannot use --${flag} with --pid or --core: it describes a generated corpus`,
      );
    }
  }
  if (f.out.trim() === "") throw new UsageError("Cannot write corpus: --out is empty");
}

function parsePid(s: string): number {
  const n = /^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`Cannot use --pid "${s}": expected a process id, a positive integer`);
  }
  return n;
}

/** One paragraph: whose pages, how many of what, what was left out. */
export function captureSummaryText(
  out: string,
  manifestPath: string,
  m: CaptureManifest,
  elapsedMs: number,
): string {
  const c = m.capture;
  const p = c.pages;
  const who =
    c.source === "pid"
      ? `pid ${c.pid} (${c.comm || "?"})`
      : `core ${c.file}${c.comm ? ` (${c.comm}${c.pid !== null ? `, pid ${c.pid}` : ""})` : ""}`;
  const eligible =
    p.resident !== null
      ? `${p.eligible} eligible pages (${p.resident} resident, ${p.swapped} swapped)`
      : `${p.eligible} pages in writable segments`;
  const split = (["zero", "same", "data"] as const)
    .map((k) => `${k} ${m.counts[k]} (${((100 * m.counts[k]) / m.pages).toFixed(1)}%)`)
    .join(", ");
  return (
    `Captured ${sizeText(m.sizeBytes)} (${m.pages} pages) of ${who} from ${c.mappings.length} ` +
    `mappings to ${out}: ${split}. Of ${eligible}: ${p.sampledOut} left out by --max-size, ` +
    `${p.zeroPageDropped} ${c.source === "pid" ? "shared zero pages" : "all-zero pages"} dropped, ` +
    `${p.unreadable} unreadable. sha256 ${m.sha256}; manifest ${manifestPath}; ` +
    `${(elapsedMs / 1000).toFixed(1)} s.`
  );
}
