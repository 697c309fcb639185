/**
 * Reports: one cell in the kernel's own style (the detector's report, a per-CPU trace of the
 * failing execution, the replay token), the matrix as a table, and JSON for machines.
 */
import { coverageLine } from "../sim/coverage.ts";
import type { Trace, TraceEvent } from "../sim/trace.ts";
import type { CellResult } from "./checker.ts";
import { DESIGN_COLUMNS, type Expect, expectedCell } from "./expected.ts";
import { type Mark, markEvents, TRACE_HEAD_EVENTS, TRACE_TAIL_EVENTS } from "./trace_view.ts";

/**
 * The events of a trace without the boot task's setup steps (they are the same in every
 * execution); a long trace keeps its start and its end, and says how many events it left out.
 */
export function scenarioEvents(trace: Trace): {
  head: TraceEvent[];
  tail: TraceEvent[];
  elided: number;
} {
  const kept = trace.events.filter((e) => e.task !== "init");
  if (kept.length <= TRACE_HEAD_EVENTS + TRACE_TAIL_EVENTS)
    return { head: kept, tail: [], elided: 0 };
  return {
    head: kept.slice(0, TRACE_HEAD_EVENTS),
    tail: kept.slice(kept.length - TRACE_TAIL_EVENTS),
    elided: kept.length - TRACE_HEAD_EVENTS - TRACE_TAIL_EVENTS,
  };
}

export function formatCell(r: CellResult, trace: string | null): string {
  const head = `zswap-ts check: ${r.design} x ${r.scenario}`;
  if (r.verdict === "n/a") return `${head}: not applicable`;
  const cover = r.coverage ? `\n${coverageLine(r.coverage)}` : "";
  const points = r.points === undefined ? "" : `; points ${r.points}`;
  if (r.verdict === "verified") return `${head}: ${r.how} in ${r.timeMs} ms${points}${cover}`;
  if (r.verdict === "inconclusive") {
    const why = r.inconclusive.map((x) => `  - ${x.text}`).join("\n");
    return `${head}: INCONCLUSIVE, no bug found but nothing verified (${r.how}) in ${r.timeMs} ms${points}\n${why}${cover}`;
  }
  const lines = [
    `${head}: BUG (${r.bugClass}) ${r.how}, ${r.timeMs} ms${points}`,
    "",
    "==================================================================",
    r.bug?.text ?? "",
    "==================================================================",
  ];
  if (trace !== null) lines.push("", trace);
  lines.push("", `Replay: zswap-ts replay ${r.token}`);
  return lines.join("\n");
}

export function cellJson(r: CellResult, trace: Trace | null): object {
  return {
    design: r.design,
    scenario: r.scenario,
    verdict: r.verdict,
    inconclusive: r.inconclusive,
    bugClass: r.bugClass,
    bugKind: r.bug?.kind ?? null,
    title: r.bug?.title ?? null,
    report: r.bug?.text ?? null,
    how: r.how,
    executions: r.executions,
    preemptions: r.preemptions,
    token: r.token,
    timeMs: r.timeMs,
    stepBoundHits: r.stepBoundHits,
    coverage: r.coverage,
    points: r.points ?? null,
    ...(trace ? traceJson(trace, r.bug?.text ?? "") : {}),
  };
}

/** The scenario's events, each with its marks (see trace_view.ts) when it has any. */
function traceJson(trace: Trace, report: string): object {
  const { head, tail, elided } = scenarioEvents(trace);
  const all = markEvents(trace.events, report);
  const marks = new Map(trace.events.map((e, i) => [e, all[i] as Mark[]]));
  const withMarks = (events: TraceEvent[]) =>
    events.map((e) => ((marks.get(e)?.length ?? 0) > 0 ? { ...e, marks: marks.get(e) } : e));
  return elided === 0
    ? { trace: withMarks(head) }
    : { trace: withMarks([...head, ...tail]), traceEventsLeftOut: elided };
}

export function expectText(e: Expect): string {
  if (e.kind === "safe") return "✔";
  if (e.kind === "n/a") return "–";
  return `✘ ${e.classes.join("/")}`;
}

const SHORT = { strategy: "strategy", "dfs-executions": "cap", "steps-max": "steps" } as const;

export function cellText(r: CellResult): string {
  if (r.verdict === "n/a") return "–";
  if (r.verdict === "verified") return "✔";
  if (r.verdict === "inconclusive")
    return `? ${r.inconclusive.map((x) => SHORT[x.bound]).join(",")}`;
  return `✘ ${r.bugClass}`;
}

/**
 * Whether a result matches its expected cell. In exact mode (lockdep's ordering checks off) a
 * cell expected to give only a lockdep report must be clean, and one that allows other bugs
 * may give one of them or be verified (whether the deadlock is reachable is what exact mode
 * asks). An inconclusive cell matches nothing.
 */
export function matches(r: CellResult, exact = false): boolean {
  const e = expectedCell(r.scenario, r.design)?.expect;
  if (e === undefined) return false;
  if (e.kind === "n/a") return r.verdict === "n/a";
  if (e.kind === "safe") return r.verdict === "verified";
  const classes = exact ? e.classes.filter((c) => c !== "lockdep") : e.classes;
  if (exact && r.verdict === "verified") return true;
  return r.verdict === "bug" && r.bugClass !== null && classes.includes(r.bugClass);
}

export function formatMatrix(
  results: readonly CellResult[],
  scenarios: readonly string[],
  exact = false,
): string {
  const w = 14;
  const head = ["scenario".padEnd(9), ...DESIGN_COLUMNS.map((d) => d.padEnd(w))].join("| ");
  const lines = [head, "-".repeat(head.length)];
  for (const s of scenarios) {
    const cells = DESIGN_COLUMNS.map((d) => {
      const r = results.find((x) => x.scenario === s && x.design === d);
      if (r === undefined) return "".padEnd(w);
      const mark = matches(r, exact) ? "" : " !";
      const amended = expectedCell(s, d)?.source === "amended" ? "*" : "";
      return `${cellText(r)}${amended}${mark}`.padEnd(w);
    });
    lines.push([s.padEnd(9), ...cells].join("| "));
  }
  lines.push(
    "",
    "✔ verified (bounded exhaustive search, every execution ended), ✘ bug found, – not applicable,",
    "? inconclusive: no bug, but a bound was hit (cap: --dfs-executions, steps: --steps-max) or the strategy is not exhaustive,",
  );
  lines.push(
    "* expectation amended from the reference (see docs/matrix.md), ! does not match the expectation",
  );
  return lines.join("\n");
}

export function mismatches(results: readonly CellResult[], exact = false): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (matches(r, exact)) continue;
    const e = expectedCell(r.scenario, r.design);
    out.push(
      `${r.design} x ${r.scenario}: expected ${e ? expectText(e.expect) : "(no expectation)"}, got ${cellText(r)}${r.bug ? ` (${r.bug.title})` : ""}`,
    );
  }
  return out;
}
