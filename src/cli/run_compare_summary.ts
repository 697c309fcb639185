/**
 * The `run --compare` table as text (the JSON form is the CompareResult itself).
 */

import type { CompareResult, KindFigures } from "./run_compare_result.ts";
import { sizeText as bytesText } from "./size_text.ts";

/** One table, one row per compressor and profile; then the ratio per page kind, if known. */
export function compareText(r: CompareResult): string {
  const c = r.corpus;
  const first = r.runs[0]?.config;
  const what =
    c.source === "generated" ? `generated corpus (seed ${c.seed}, mix ${c.mix})` : c.source;
  const lines = [
    `zswap-ts run --compare: ${c.pages} pages (${bytesText(c.sizeBytes)}) of ${what}`,
    `  sha256 ${c.sha256}`,
  ];
  if (first !== undefined) {
    lines.push(
      `  ${first.cpus} CPUs, total RAM ${bytesText(first.totalRamBytes)}, max_pool_percent ${first.max_pool_percent}, ` +
        `accept_threshold_percent ${first.accept_threshold_percent}, shrinker_enabled ${first.shrinker_enabled ? "Y" : "N"}`,
    );
  }
  lines.push(
    "",
    ...columns([
      [
        "compressor",
        "profile",
        "stored_pages",
        "ratio",
        "pool_total_size",
        "pool_eff",
        "incompressible",
        "store MB/s",
        "load MB/s",
        "verify",
      ],
      ...r.rows.map((row) => [
        row.compressor,
        row.profile,
        String(row.stored_pages),
        row.compressionRatio.toFixed(2),
        String(row.pool_total_size),
        row.poolEfficiency.toFixed(2),
        String(row.incompressiblePages),
        row.storeMbPerSecond.toFixed(0),
        row.loadMbPerSecond.toFixed(0),
        row.verified ? "OK" : "FAILED",
      ]),
    ]),
  );
  if (r.kinds !== null) lines.push("", ...kindLines(r.kinds));
  return `${lines.join("\n")}\n`;
}

/** Rows: page kinds; columns: share, then the ratio under each compressor. */
function kindLines(kinds: Readonly<Record<string, readonly KindFigures[]>>): string[] {
  const compressors = Object.keys(kinds);
  const byKind = (kinds[compressors[0] as string] ?? []).map((k) => k.kind);
  const rows = byKind.map((kind, i) => {
    const f = kinds[compressors[0] as string]?.[i] as KindFigures;
    return [
      kind,
      `${(100 * f.share).toFixed(1)}%`,
      String(f.pages),
      ...compressors.map((c) => ratioText(kinds[c]?.[i] as KindFigures)),
    ];
  });
  return [
    "compression ratio by page kind (each page compressed alone into one page, as zswap does;",
    "zero-filled pages go to the swap layer's zero map, not to zswap; * = some incompressible):",
    ...columns([["kind", "share", "pages", ...compressors], ...rows], 1),
  ];
}

function ratioText(f: KindFigures): string {
  if (f.ratio === null) return "zero map";
  return `${f.ratio.toFixed(2)}${f.incompressiblePages > 0 ? "*" : ""}`;
}

/** The first `left` columns left-aligned, the others right-aligned, two spaces apart. */
function columns(rows: readonly (readonly string[])[], left = 2): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i < left ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
