/**
 * The text trace of a counterexample: one column per CPU that has events, each event in the
 * column of the CPU its task was on, text wrapped within the column (nothing is cut), marked
 * events tagged, and a legend of the marks. `wide` gives one line per event instead, for
 * terminals too narrow for the columns and for grep.
 */
import type { Trace, TraceEvent } from "../sim/trace.ts";
import {
  columnOf,
  eventText,
  MARK_TEXT,
  type Mark,
  type TraceView,
  traceView,
} from "./trace_view.ts";

export const COLUMN_WIDTH = 44;

/** Text wrapped at spaces (or anywhere in a word longer than the width) into lines <= width. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    let w = word;
    const sep = line === "" ? "" : " ";
    if (line.length + sep.length + w.length <= width) {
      line += sep + w;
      continue;
    }
    if (line !== "") lines.push(line);
    while (w.length > width) {
      lines.push(w.slice(0, width));
      w = w.slice(width);
    }
    line = w;
  }
  lines.push(line);
  return lines;
}

function tags(marks: readonly Mark[]): string {
  return marks.map((m) => `[${m}] `).join("");
}

function gutter(step: string, marks: readonly Mark[]): string {
  return `${step.padStart(5)}${marks.length > 0 ? ">" : " "}`;
}

/** The trace in CPU columns of `width` characters. */
export function traceColumns(view: TraceView, width = COLUMN_WIDTH): string {
  const n = view.cpus.length;
  const head = [" step ", ...view.cpus.map((c) => `CPU${c}`.padEnd(width))].join("| ").trimEnd();
  const lines = [head];
  for (const row of view.rows) {
    if (row.kind === "fold") {
      lines.push(`${"".padStart(6)}| ${row.text}`);
      continue;
    }
    const e = row.event;
    const cell = wrapText(`${tags(row.marks)}${eventText(e)}`, width);
    const col = columnOf(e, view.cpus);
    cell.forEach((text, i) => {
      const cols = Array.from({ length: n }, (_, c) => (c === col ? text : "").padEnd(width));
      const g = i === 0 ? gutter(String(e.step), row.marks) : "".padStart(6);
      lines.push([g, ...cols].join("| ").trimEnd());
    });
  }
  return lines.join("\n");
}

/** One line per event: step, CPU, marks, text. */
export function traceWide(view: TraceView): string {
  const lines = [" step  cpu   event"];
  for (const row of view.rows) {
    if (row.kind === "fold") {
      lines.push(`            ${row.text}`);
      continue;
    }
    const e: TraceEvent = row.event;
    const cpu = e.cpu < 0 ? "-" : `cpu${e.cpu}`;
    lines.push(
      `${gutter(String(e.step), row.marks)} ${cpu.padEnd(5)} ${tags(row.marks)}${eventText(e)}`,
    );
  }
  return lines.join("\n");
}

/** The legend of the marks that occur in the view. */
export function markLegend(view: TraceView): string {
  const used = new Set(view.rows.flatMap((r) => (r.kind === "event" ? r.marks : [])));
  if (used.size === 0) return "";
  const lines = (Object.keys(MARK_TEXT) as Mark[])
    .filter((m) => used.has(m))
    .map((m) => `  [${m}] ${MARK_TEXT[m]}`);
  return ["Marked rows (> in the step column):", ...lines].join("\n");
}

export interface TraceTextOptions {
  /** One line per event instead of CPU columns. */
  readonly wide?: boolean;
  /** The earlier executions of a composite replay (ExecutionResult.earlier). */
  readonly earlier?: readonly Trace[];
}

/**
 * The trace section of a report: the earlier executions whose steps the report cites (a
 * circular-locking report resting on lock-order edges they added), then the failing execution,
 * then the legend of the marks.
 */
export function traceReport(trace: Trace, report: string, o: TraceTextOptions = {}): string {
  const render = (v: TraceView) => (o.wide ? traceWide(v) : traceColumns(v));
  const parts: string[] = [];
  const all = o.earlier ?? [];
  all.forEach((t, i) => {
    const v = traceView(t.events, report);
    if (!v.rows.some((r) => r.kind === "event" && r.marks.includes("cited"))) return;
    parts.push(
      `Earlier execution ${i + 1} of ${all.length + 1} of the replay (it added a lock-order edge the report cites; setup steps of task init folded):`,
      render(v),
      "",
    );
  });
  const v = traceView(trace.events, report);
  const which = all.length > 0 ? `execution ${all.length + 1} of ${all.length + 1}, ` : "";
  parts.push(
    `Trace of the failing execution (${which}setup steps of task init folded):`,
    render(v),
  );
  const legend = markLegend(v);
  if (legend !== "") parts.push("", legend);
  return parts.join("\n");
}
