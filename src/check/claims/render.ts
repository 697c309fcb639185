/** The claims ledger as JSON, text, Markdown and one self-contained HTML page. */
import type { RowResult } from "./ledger.ts";
import { LEDGER_BOUNDS } from "./ledger.ts";

export interface LedgerJson {
  readonly thread: string;
  readonly bounds: string;
  readonly rows: readonly object[];
}

export function ledgerJson(rows: readonly RowResult[]): LedgerJson {
  return {
    thread:
      "Re: [PATCH v8 12/14] mm: zswap: Simplify acomp_ctx resource allocation/deletion and mutex lock usage (Yosry Ahmed, 10 Mar 2025)",
    bounds: LEDGER_BOUNDS,
    rows: rows.map((r) => ({
      name: r.row.name,
      who: r.row.who,
      quote: r.row.quote,
      property: r.row.property,
      verdict: r.verdict,
      why: r.why,
      memory: r.memory,
      command: r.command,
      checks: r.checks.map((c) => ({
        design: c.check.design,
        scenario: c.check.scenario,
        exact: c.check.exact === true,
        claim: c.check.claim ?? null,
        expect: c.check.expect,
        role: c.check.role,
        verdict: c.verdict,
        bugClass: c.bugClass,
        bug: c.bugTitle,
        token: c.token,
        met: c.met,
        command: c.command,
      })),
    })),
  };
}

function expectText(e: "safe" | readonly string[]): string {
  return e === "safe" ? "safe" : e.join("/");
}

export function ledgerText(rows: readonly RowResult[]): string {
  const out: string[] = [];
  for (const [i, r] of rows.entries()) {
    out.push(`${i + 1}. ${r.row.name}  [${r.verdict}]  (${r.row.who})`);
    out.push(`   "${r.row.quote}"`);
    out.push(`   property: ${r.row.property}`);
    out.push(`   verdict: ${r.verdict}: ${r.why}`);
    if (r.memory) out.push(`   memory: ${r.memory}`);
    for (const c of r.checks) {
      const got = c.verdict === "bug" ? `bug ${c.bugClass}` : c.verdict;
      out.push(
        `     ${c.met === true ? "ok  " : c.met === false ? "NO  " : "??  "}${c.check.design} x ${c.check.scenario}${c.check.exact ? " exact" : ""}${c.check.claim ? ` @${c.check.claim}` : ""}: expected ${expectText(c.check.expect)}, got ${got}${c.token ? ` (${c.token})` : ""}`,
      );
    }
    out.push(`   reproduce: ${r.command}`);
    out.push("");
  }
  out.push(`bounds: ${LEDGER_BOUNDS}`);
  return `${out.join("\n")}\n`;
}

function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

const COLOURS: Record<string, string> = {
  holds: "#1a7f37",
  "holds-within-bounds": "#2f6f3f",
  false: "#b3261e",
  "false-within-bounds": "#9a4a00",
  inconclusive: "#6b6b6b",
};

export function ledgerHtml(rows: readonly RowResult[]): string {
  const body = rows
    .map((r, i) => {
      const checks = r.checks
        .map(
          (c) =>
            `<li>${c.met ? "✔" : c.met === false ? "✘" : "?"} <code>${esc(c.command)}</code>: expected ${esc(expectText(c.check.expect))}, got ${esc(c.verdict === "bug" ? `bug ${c.bugClass}` : c.verdict)}${c.token ? ` <code>${esc(c.token)}</code>` : ""} <span class="role">(${esc(c.check.role)})</span></li>`,
        )
        .join("");
      return `<tr><td>${i + 1}</td><td>${esc(r.row.who)}</td><td><q>${esc(r.row.quote)}</q></td><td>${esc(r.row.property)}</td><td class="v" style="color:${COLOURS[r.verdict] ?? "#000"}">${esc(r.verdict)}</td><td>${esc(r.why)}${r.memory ? `<br>${esc(r.memory)}` : ""}<ul>${checks}</ul><code>${esc(r.command)}</code></td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>zswap acomp_ctx review: claims ledger</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4em;vertical-align:top}th{background:#f3f3f3}q{font-style:italic}.v{font-weight:bold;white-space:nowrap}ul{margin:.3em 0;padding-left:1.2em}.role{color:#666}code{font-size:12px}</style></head>
<body><h1>Claims of the v8 12/14 acomp_ctx review, checked</h1>
<p>Thread: Re: [PATCH v8 12/14] mm: zswap: Simplify acomp_ctx resource allocation/deletion and mutex lock usage (Yosry Ahmed and Kanchana P Sridhar, 10 Mar 2025). Computed by <code>zswap-ts claims</code>; bounds: ${esc(LEDGER_BOUNDS)}.</p>
<table><tr><th>#</th><th>Who</th><th>Claim</th><th>Checkable property</th><th>Verdict</th><th>Why, checks, reproduce</th></tr>
${body}
</table></body></html>
`;
}

/** Markdown table for docs/claims.md (from the JSON, so the doc script needs no checker). */
export function ledgerMarkdown(json: LedgerJson): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [
    "| # | Claim | Who | Checkable property | Checked on | Verdict | Why | Reproduce |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const [i, r] of (json.rows as Array<Record<string, unknown>>).entries()) {
    const checks = (r.checks as Array<Record<string, unknown>>)
      .map(
        (c) =>
          `${c.design} x ${c.scenario}${c.exact ? " (exact)" : ""}${c.claim ? ` @${c.claim}` : ""}: ${c.met ? "✔" : "✘"}`,
      )
      .join("; ");
    const why = `${r.why as string}${r.memory ? `. ${r.memory as string}` : ""}`;
    lines.push(
      `| ${i + 1} | ${cell(`\`${r.name as string}\`: "${r.quote as string}"`)} | ${r.who as string} | ${cell(r.property as string)} | ${cell(checks)} | **${r.verdict as string}** | ${cell(why)} | \`${r.command as string}\` |`,
    );
  }
  return lines.join("\n");
}
