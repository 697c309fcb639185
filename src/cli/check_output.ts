/**
 * The files `check` and `replay` write besides their report: the HTML page (`--html`) and the
 * trace-event JSON (`--trace-json`), and the text trace section of the report.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { replayCheckToken } from "../check/check_token.ts";
import type { CellResult, CheckOptions } from "../check/checker.ts";
import { resultHtml, timelineHtml } from "../check/html.ts";
import { cellJson, formatCell } from "../check/report.ts";
import { traceEventJson } from "../check/trace_json.ts";
import { traceReport } from "../check/trace_text.ts";
import { coverageLine } from "../sim/coverage.ts";
import type { ExecutionResult } from "../sim/executor.ts";
import { exitCode, out } from "./check_flags.ts";
import { jsonText } from "./json_out.ts";
import { UsageError } from "./usage_error.ts";

export interface OutputFlags {
  readonly html?: string;
  readonly traceJson?: string;
  readonly wide?: boolean;
}

function write(path: string, what: string, text: string): void {
  // Through a temporary file and a rename: an interrupted write leaves no half a file.
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`Cannot write the ${what} to ${path}: ${(e as Error).message}`);
  }
  process.stderr.write(`${what} written to ${path}\n`);
}

/** The text trace section of a bug report, or null without a trace. */
export function traceSection(result: ExecutionResult | null, report: string, f: OutputFlags) {
  if (result?.trace == null) return null;
  return traceReport(result.trace, report, {
    wide: f.wide === true,
    ...(result.earlier ? { earlier: result.earlier } : {}),
  });
}

/** Writes the files asked for, for a bug with its traced replay. */
export function writeBugFiles(
  f: OutputFlags,
  title: string,
  report: string,
  token: string | null,
  result: ExecutionResult,
): void {
  const trace = result.trace;
  if (trace === null) return;
  if (f.html !== undefined) {
    const earlier = result.earlier ? { earlier: result.earlier } : {};
    write(f.html, "timeline", timelineHtml({ title, report, token, trace, ...earlier }));
  }
  if (f.traceJson !== undefined)
    write(f.traceJson, "trace JSON", JSON.stringify(traceEventJson(trace, report, title)));
}

/** `--html` on a result without a bug: a page saying what was verified; `--trace-json`: refused. */
export function writeCleanFiles(f: OutputFlags, r: CellResult, o: CheckOptions): void {
  if (f.traceJson !== undefined)
    process.stderr.write(`no trace JSON written: ${r.verdict} results have no failing execution\n`);
  if (f.html === undefined) return;
  const bounds: Array<[string, string]> = [
    ["strategy", o.strategy ?? "auto"],
    ["preemption bound (--bound)", String(o.bound ?? "")],
    ["dfs executions cap (--dfs-executions)", String(o.dfsExecutionsMax ?? "")],
    ["steps per execution (--steps-max)", String(o.stepsMax ?? "")],
    ["random/pct executions (--executions)", String(o.executions ?? "")],
    ["lockdep ordering checks", o.lockdep === false ? "off (exact mode)" : "on"],
    ["executions run", String(r.executions)],
    ["time", `${r.timeMs} ms`],
  ];
  const page = resultHtml({
    title: `${r.design} x ${r.scenario}: ${r.verdict}`,
    verdict: r.verdict === "bug" ? "inconclusive" : r.verdict,
    how: r.how,
    reasons: r.inconclusive.map((x) => x.text),
    bounds,
    coverage: r.coverage ? coverageLine(r.coverage) : null,
  });
  write(f.html, "result page", page);
}

/** The report of one cell (text or --json, with the trace of its bug), and the exit code. */
export function printCell(
  f: OutputFlags & { readonly json?: boolean | undefined },
  r: CellResult,
  o: CheckOptions,
): number {
  const replayed = r.token ? replayCheckToken(r.token) : null;
  const result = replayed?.result ?? null;
  const report = r.bug?.text ?? "";
  if (f.json) out(jsonText(cellJson(r, result?.trace ?? null)));
  else out(formatCell(r, traceSection(result, report, f)));
  if (result !== null)
    writeBugFiles(f, `${r.design} x ${r.scenario}: ${r.bug?.title ?? ""}`, report, r.token, result);
  else writeCleanFiles(f, r, o);
  return exitCode([r]);
}
