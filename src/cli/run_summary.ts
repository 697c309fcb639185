/**
 * The `run` summary as text (the JSON form is the RunResult itself).
 */

import type { MemcgStats } from "../real/types.ts";
import { folioSizeText } from "./folio_size.ts";
import type { PhaseResult, RunResult } from "./run_result.ts";
import { sizeText as bytesText } from "./size_text.ts";

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/** The human summary (docs/run.md explains every line). */
export function summaryText(r: RunResult): string {
  const c = r.config;
  const lines: string[] = [];
  const what =
    r.corpus.source === "generated"
      ? `generated corpus (seed ${r.corpus.seed}, mix ${r.corpus.mix})`
      : r.corpus.source;
  lines.push(
    `zswap-ts run: ${r.corpus.pages} pages (${bytesText(r.corpus.sizeBytes)}) of ${what}`,
    `  corpus sha256 ${r.corpus.sha256}`,
    `  compressor ${c.compressor}, profile ${c.profile}, ${c.folioPages > 1 ? `${folioSizeText(c.folioPages)} folios, ` : ""}${c.cpus} CPUs, total RAM ${bytesText(c.totalRamBytes)}, ` +
      `max_pool_percent ${c.max_pool_percent} (limit ${bytesText(r.poolLimit.limitBytes)}), ` +
      `accept_threshold_percent ${c.accept_threshold_percent}, shrinker_enabled ${c.shrinker_enabled ? "Y" : "N"}`,
    `  swap file ${c.swapFile}${c.verifySwap ? " (a checksum per slot: --verify-swap)" : ""}`,
    "",
    `swap-out  ${bytesText(r.corpus.sizeBytes)} in ${phaseText(r.phases.swapOut, "compress")}`,
    `swap-in   ${bytesText(r.corpus.sizeBytes)} in ${phaseText(r.phases.swapIn, "decompress")}`,
    `verify    ${verifyText(r.verification)}`,
    "",
    "debugfs after swap-out (/sys/kernel/debug/zswap):",
    ...table(r.afterSwapOut.debugfs),
    "",
    "vmstat at the end (/proc/vmstat):",
    ...table(r.end.vmstat),
    "",
    "derived after swap-out:",
    ...table({
      compression_ratio: `${r.afterSwapOut.derived.compressionRatio.toFixed(2)}  (stored bytes / compressed bytes)`,
      pool_efficiency: `${r.afterSwapOut.derived.poolEfficiency.toFixed(2)}  (compressed bytes / pool_total_size)`,
      stored_bytes: r.afterSwapOut.derived.storedBytes,
      compressed_bytes: r.afterSwapOut.derived.compressedBytes,
    }),
  );
  const p = r.poolLimit;
  if (p.rejectedAtLimit > 0 || p.rejectedByHysteresis > 0) {
    lines.push(
      "",
      `pool limit: ${p.rejectedAtLimit} stores rejected at the limit (${bytesText(p.limitBytes)}), ` +
        `${p.rejectedByHysteresis} below it while above the accept threshold (${bytesText(p.acceptThresholdBytes)})` +
        // A store over memory.zswap.max is refused with no counter too: it lands in the second figure.
        (r.afterSwapOut.memcg?.zswapMax != null ? " or over memory.zswap.max" : ""),
    );
  }
  const s = r.stress;
  if (s.hotplugEvents > 0 || s.compressorSwitches > 0) {
    lines.push(
      "",
      `stress: ${s.hotplugEvents} CPU hotplug events, ${s.compressorSwitches} compressor switches (${s.compressorsUsed.join(", ")})`,
    );
  }
  if (r.faults !== null) {
    const f = r.faults;
    lines.push(
      "",
      `faults (--fail ${f.spec}): injected ${Object.entries(f.injected)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")}; ${f.swapInRetries} swap-ins retried after an injected fault (EIO)`,
    );
  }
  const f = r.end.swapFile;
  if (f.readErrors > 0) {
    lines.push(
      "",
      `swap file: ${f.readErrors} reads failed (${f.shortReads} past its end, ${f.vanishedReads} zeros where a page was written, ${f.checksumErrors} checksum mismatches)`,
    );
  }
  const m = r.afterSwapOut.memcg;
  if (m !== null) lines.push("", ...memcgLines(m));
  if (r.notSwappedOut > 0)
    lines.push("", `${r.notSwappedOut} pages could not be swapped out and stayed in memory`);
  if (r.zsmallocClasses !== undefined) lines.push("", r.zsmallocClasses);
  if (r.perCpuMemory !== undefined) lines.push("", r.perCpuMemory.trimEnd());
  lines.push("", ...poolLine(r));
  return `${lines.join("\n")}\n`;
}

/**
 * The closing zramctl-like table: one header and one row, the pool after swap-out. PAGES is
 * the corpus, STORED the pages zswap held (stored_pages), COMPR their compressed bytes, TOTAL
 * the pool's pages (pool_total_size), RATIO stored bytes over compressed bytes.
 */
export function poolLine(r: RunResult): string[] {
  const d = r.afterSwapOut.derived;
  const cells = [
    ["COMPRESSOR", r.config.compressor],
    ["PAGES", String(r.corpus.pages)],
    ["STORED", String(r.afterSwapOut.debugfs.stored_pages ?? 0)],
    ["DATA", bytesText(d.storedBytes)],
    ["COMPR", bytesText(d.compressedBytes)],
    ["TOTAL", bytesText(r.afterSwapOut.debugfs.pool_total_size ?? 0)],
    ["RATIO", d.compressionRatio.toFixed(2)],
  ];
  const widths = cells.map(([h, v]) => Math.max((h as string).length, (v as string).length));
  const pad = (s: string, j: number) =>
    j === 0 ? s.padEnd(widths[j] as number) : s.padStart(widths[j] as number);
  const row = (i: number) => cells.map((c, j) => pad(c[i] as string, j)).join(" ");
  return [row(0), row(1)];
}

/** "0.52 s: 129 MB/s, 31500 pages/s; compress 41% of the time, the rest 59%". */
function phaseText(p: PhaseResult, what: string): string {
  const share = Math.round(100 * p.compressorShare);
  return (
    `${p.seconds.toFixed(2)} s: ${p.mbPerSecond.toFixed(0)} MB/s, ${p.pagesPerSecond.toFixed(0)} pages/s; ` +
    `${what} ${share}% of the time, the rest ${100 - share}%`
  );
}

function verifyText(v: RunResult["verification"]): string {
  if (v.ok) return `OK: ${v.pages} pages, each equal to its original (128-bit digest)`;
  const lost = v.unreadable > 0 ? `, ${v.unreadable} could not be read back (lost)` : "";
  const first = v.firstMismatch === null ? "" : ` (first: page ${v.firstMismatch})`;
  return `FAILED: ${v.mismatches} of ${v.pages} pages differ${first}${lost}`;
}

function table(o: object): string[] {
  return Object.entries(o).map(([k, v]) => `  ${k.padEnd(28)} ${v}`);
}

/** The memcg's files after swap-out, as `cat` shows them (--memcg-max and friends). */
function memcgLines(m: MemcgStats): string[] {
  const max = (v: number | null) => (v === null ? "max" : String(v));
  const st = Object.entries(m.stat)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return [
    `memcg ${m.path} after swap-out: memory.max ${max(m.memoryMax)}, memory.zswap.max ${max(m.zswapMax)}, memory.zswap.current ${m.zswapCurrent}, memory.zswap.writeback ${m.zswapWriteback ? 1 : 0}`,
    `  memory.stat: ${st}`,
  ];
}
