/**
 * An HTML timeline of one execution: the report at the top, then one column per CPU with every
 * effect in the column of the CPU its task was on, coloured by task, migrations and the bug
 * marked. Self-contained (no scripts, no external files), so it can be attached to a review.
 */
import type { TraceEvent } from "../sim/trace.ts";

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

function esc(s: string): string {
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
  readonly nrCpus: number;
  readonly events: readonly TraceEvent[];
}

/** The page as a string; the CLI writes it to the file the user named. */
export function timelineHtml(t: TimelineInput): string {
  const tasks = [...new Set(t.events.map((e) => e.task))];
  const colour = (task: string) => PALETTE[tasks.indexOf(task) % PALETTE.length] as string;
  const head = `<tr><th>step</th>${Array.from({ length: t.nrCpus }, (_, c) => `<th>CPU${c}</th>`).join("")}</tr>`;
  const rows = t.events.map((e) => {
    const cells = Array.from({ length: t.nrCpus }, (_, c) => {
      if (c !== e.cpu && !(e.cpu < 0 && c === 0)) return "<td></td>";
      const cls =
        e.effect === "bug"
          ? "bug"
          : e.effect === "migrate"
            ? "mig"
            : e.effect === "note"
              ? "note"
              : "";
      const text = `<b>${esc(e.task)}</b> ${e.effect === "note" ? "" : `${esc(e.effect)} `}${esc(e.detail)}`;
      return `<td class="${cls}" style="background:${colour(e.task)}">${text}</td>`;
    });
    return `<tr><td class="step">${e.step}</td>${cells.join("")}</tr>`;
  });
  const legend = tasks
    .map((task) => `<span style="background:${colour(task)}">${esc(task)}</span>`)
    .join(" ");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(t.title)}</title>
<style>
body{font:13px/1.35 ui-monospace,Menlo,Consolas,monospace;margin:1.5em;color:#111}
h1{font-size:16px} pre{background:#f8fafc;border:1px solid #cbd5e1;padding:1em;white-space:pre-wrap}
table{border-collapse:collapse;width:100%} th{position:sticky;top:0;background:#1e293b;color:#fff;padding:4px}
td{border:1px solid #e2e8f0;padding:2px 6px;vertical-align:top;width:${Math.floor(95 / Math.max(1, t.nrCpus))}%}
td.step{width:3%;color:#64748b;text-align:right} td.bug{outline:3px solid #dc2626;font-weight:bold}
td.mig{font-style:italic} td.note{color:#334155} .legend span{padding:2px 6px;margin-right:4px}
</style></head><body>
<h1>${esc(t.title)}</h1>
<pre>${esc(t.report)}</pre>
${t.token ? `<p>Replay: <code>zswap-ts replay ${esc(t.token)}</code></p>` : ""}
<p class="legend">Tasks: ${legend}</p>
<table>${head}
${rows.join("\n")}
</table></body></html>
`;
}
