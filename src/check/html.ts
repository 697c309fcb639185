/**
 * HTML pages of a check result, self-contained (no scripts, no external files) so they can be
 * attached to a review.
 *
 * A bug: the kernel report (monospace, scrolling sideways rather than wrapping), then the
 * timeline: one column per CPU that has events, each event in the column of the CPU its task
 * was on, coloured by task; the marked rows of trace_view.ts (the free, the bad access, the
 * migrations, the deciding choices, the cited steps) tagged and outlined; per task a lane
 * showing the locks it holds; setup steps folded into a <details> row. A clean result: what
 * was verified (or why it is inconclusive), with the bounds and the coverage.
 */
import type { Trace, TraceEvent } from "../sim/trace.ts";
import { columnOf, eventText, MARK_TEXT, type Mark, type Row, traceView } from "./trace_view.ts";

const PALETTE = [
  "#dbeafe",
  "#fde68a",
  "#dcfce7",
  "#fce7f3",
  "#e9d5ff",
  "#fed7aa",
  "#ccfbf1",
  "#e5e7eb",
];
/** The darker shade of each task colour, for its lock lane. */
const LANE = [
  "#2563eb",
  "#b45309",
  "#15803d",
  "#be185d",
  "#7e22ce",
  "#c2410c",
  "#0f766e",
  "#4b5563",
];

export function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

export interface TimelineInput {
  readonly title: string;
  readonly report: string;
  readonly token: string | null;
  readonly trace: Trace;
  /** Earlier executions of a composite replay (their cited steps are shown too). */
  readonly earlier?: readonly Trace[];
}

const STYLE = `
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:12px;color:#111;max-width:100%}
h1{font-size:17px;margin:0 0 8px;overflow-wrap:anywhere} h2{font-size:15px;margin:18px 0 6px}
code,pre,table.tl{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
pre.report{background:#f8fafc;border:1px solid #cbd5e1;padding:10px;white-space:pre;overflow-x:auto;margin:0}
.scroll{overflow-x:auto;max-width:100%;border:1px solid #e2e8f0}
table.tl{border-collapse:collapse;width:100%}
table.tl th{position:sticky;top:0;background:#1e293b;color:#fff;padding:4px 6px;text-align:left;z-index:1}
table.tl td{border:1px solid #e2e8f0;padding:2px 6px;vertical-align:top}
td.ev{overflow-wrap:anywhere} td .c{min-width:14em;max-width:40em} td.lane .c{min-width:7em;max-width:12em} td.step{color:#64748b;text-align:right;width:3.5em}
td.lane{font-size:11px;overflow-wrap:anywhere;color:#fff}
td.fold{color:#475569;background:#f1f5f9} details summary{cursor:pointer}
tr.m-bug td.ev.on{outline:3px solid #dc2626;outline-offset:-3px;font-weight:bold}
tr.m-free td.ev.on{outline:3px solid #ea580c;outline-offset:-3px;font-weight:bold}
tr.m-migration td.ev.on{outline:3px dashed #7c3aed;outline-offset:-3px}
tr.m-choice td.ev.on{box-shadow:inset 6px 0 0 #0284c7}
tr.m-cited td.ev.on{box-shadow:inset -6px 0 0 #64748b}
.tag{display:inline-block;font:bold 11px system-ui,sans-serif;color:#fff;border-radius:3px;padding:0 4px;margin-right:4px}
.t-bug{background:#dc2626}.t-free{background:#ea580c}.t-migration{background:#7c3aed}.t-choice{background:#0284c7}.t-cited{background:#64748b}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0;padding:0;list-style:none}
.legend li{white-space:normal} .sw{display:inline-block;padding:0 6px;border-radius:3px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px} dl.facts dd{margin:0;overflow-wrap:anywhere}
.verdict{font-weight:bold} .v-verified{color:#15803d} .v-inconclusive{color:#b45309} .v-bug{color:#dc2626}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style></head><body>
<h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

function tags(marks: readonly Mark[]): string {
  return marks.map((m) => `<span class="tag t-${m}">${m}</span>`).join("");
}

/** Per task, the locks it holds after each event (in trace order), for the lock lanes. */
function heldAfter(events: readonly TraceEvent[]): Map<TraceEvent, Map<number, string[]>> {
  const held = new Map<number, string[]>();
  const out = new Map<TraceEvent, Map<number, string[]>>();
  for (const e of events) {
    const lock = e.extra?.lock;
    if (lock !== undefined) {
      const mine = held.get(e.taskId) ?? [];
      if (e.effect === "lock") mine.push(lock);
      else if (mine.lastIndexOf(lock) >= 0) mine.splice(mine.lastIndexOf(lock), 1);
      held.set(e.taskId, mine);
    }
    out.set(e, new Map([...held].map(([t, l]) => [t, [...l]])));
  }
  return out;
}

function laneCell(e: TraceEvent, task: number, locks: readonly string[], colour: string): string {
  if (locks.length === 0 && !(e.taskId === task && e.effect === "unlock")) return "<td></td>";
  const change =
    e.taskId === task && e.extra?.lock !== undefined
      ? `${e.effect === "lock" ? "+" : "−"}${esc(e.extra.lock)}`
      : "";
  const bg = locks.length > 0 ? ` style="background:${colour}"` : ' style="color:#111"';
  return `<td class="lane"${bg} title="${esc(locks.join(", ") || "no locks")}"><div class="c">${change}</div></td>`;
}

/** The timeline table of one execution. */
function timeline(events: readonly TraceEvent[], report: string): string {
  const view = traceView(events, report);
  const tasks = [...new Map(events.map((e) => [e.taskId, e.task])).entries()];
  const colourOf = (id: number) => PALETTE[Math.max(0, tasksIndex(tasks, id)) % PALETTE.length];
  const laneOf = (id: number) => LANE[Math.max(0, tasksIndex(tasks, id)) % LANE.length] as string;
  const lanes = tasks.filter(([id]) => events.some((e) => e.taskId === id && e.effect === "lock"));
  const held = heldAfter(events);
  const width = 1 + view.cpus.length + lanes.length;
  const head = `<tr><th>step</th>${view.cpus.map((c) => `<th>CPU${c}</th>`).join("")}${lanes
    .map(([, name]) => `<th>${esc(name)} locks</th>`)
    .join("")}</tr>`;
  const rows = view.rows.map((row: Row) => {
    if (row.kind === "fold") {
      const inner = row.events
        .map((e) => `${e.step} cpu${e.cpu} ${esc(eventText(e))}`)
        .join("<br>");
      return `<tr class="fold"><td class="fold" colspan="${width}"><details><summary>${esc(row.text)}</summary>${inner}</details></td></tr>`;
    }
    const e = row.event;
    const col = columnOf(e, view.cpus);
    const cells = view.cpus.map((_, c) =>
      c === col
        ? `<td class="ev on" style="background:${colourOf(e.taskId)}"><div class="c">${tags(row.marks)}${esc(eventText(e))}</div></td>`
        : '<td class="ev"></td>',
    );
    const after = held.get(e) ?? new Map<number, string[]>();
    const laneCells = lanes.map(([id]) => laneCell(e, id, after.get(id) ?? [], laneOf(id)));
    const cls = row.marks.map((m) => `m-${m}`).join(" ");
    return `<tr${cls ? ` class="marked ${cls}"` : ""}><td class="step">${e.step}</td>${cells.join("")}${laneCells.join("")}</tr>`;
  });
  const used = new Set(view.rows.flatMap((r) => (r.kind === "event" ? r.marks : [])));
  const markItems = (Object.keys(MARK_TEXT) as Mark[])
    .filter((m) => used.has(m))
    .map((m) => `<li>${tags([m])}${esc(MARK_TEXT[m])}</li>`);
  const taskItems = tasks.map(
    ([id, name]) =>
      `<li><span class="sw" style="background:${colourOf(id)}">${esc(name)}</span></li>`,
  );
  const laneNote =
    lanes.length > 0
      ? "<li>“T locks” columns: the locks task T holds (+ taken, − released); hover for the list</li>"
      : "";
  return `<ul class="legend">${markItems.join("")}${laneNote}</ul>
<ul class="legend"><li>Tasks:</li>${taskItems.join("")}</ul>
<div class="scroll"><table class="tl">${head}
${rows.join("\n")}
</table></div>`;
}

function tasksIndex(tasks: ReadonlyArray<[number, string]>, id: number): number {
  return tasks.findIndex(([t]) => t === id);
}

/** The page of a bug: report, replay token, the earlier executions it cites, the timeline. */
export function timelineHtml(t: TimelineInput): string {
  const earlier = (t.earlier ?? []).flatMap((tr, i, all) => {
    const cited = traceView(tr.events, t.report).rows.some(
      (r) => r.kind === "event" && r.marks.includes("cited"),
    );
    if (!cited) return [];
    return [
      `<h2>Earlier execution ${i + 1} of ${all.length + 1} of the replay (it added a lock-order edge the report cites)</h2>`,
      timeline(tr.events, t.report),
    ];
  });
  const body = `<p class="verdict v-bug">BUG</p>
<pre class="report">${esc(t.report)}</pre>
${t.token ? `<p>Replay: <code>zswap-ts replay ${esc(t.token)}</code></p>` : ""}
${earlier.join("\n")}
<h2>The failing execution${earlier.length > 0 ? ` (execution ${(t.earlier?.length ?? 0) + 1})` : ""}</h2>
${timeline(t.trace.events, t.report)}`;
  return page(t.title, body);
}

export interface ResultPageInput {
  readonly title: string;
  readonly verdict: "verified" | "inconclusive" | "n/a";
  /** One line: how it was verified, or what the search did. */
  readonly how: string;
  /** Why the verdict is inconclusive (one entry per bound hit), empty otherwise. */
  readonly reasons: readonly string[];
  /** The search's bounds and options, as label and value. */
  readonly bounds: ReadonlyArray<readonly [string, string]>;
  readonly coverage: string | null;
}

/** The page of a result without a bug: what was verified, within which bounds, what it covered. */
export function resultHtml(r: ResultPageInput): string {
  const verdict =
    r.verdict === "verified"
      ? "VERIFIED: no bug in any execution of the bounded search, and every execution ended"
      : r.verdict === "inconclusive"
        ? "INCONCLUSIVE: no bug found, but nothing verified"
        : "NOT APPLICABLE";
  const reasons =
    r.reasons.length > 0 ? `<ul>${r.reasons.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>` : "";
  const facts = [["how", r.how], ...r.bounds, ["coverage", r.coverage ?? "none"]]
    .map(([k, v]) => `<dt>${esc(k as string)}</dt><dd>${esc(v as string)}</dd>`)
    .join("");
  const body = `<p class="verdict v-${r.verdict === "n/a" ? "na" : r.verdict}">${verdict}</p>
${reasons}
<dl class="facts">${facts}</dl>
<p>No trace is shown: without a bug there is no single execution to show.</p>`;
  return page(r.title, body);
}
