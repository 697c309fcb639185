/**
 * What a reader of a counterexample needs from its trace, shared by the text, HTML and
 * trace-event renderings: the events marked (the free behind a bad access, the bad access, the
 * migrations of the task that hit the bug, the non-default choices, the steps the report
 * cites), and the rows to show, where setup steps and the middle of a very long trace are
 * folded into one line each but every marked event stays.
 */
import { FS_RECLAIM } from "../kernel/lockdep.ts";
import type { TraceEvent } from "../sim/trace.ts";

export type Mark = "bug" | "free" | "migration" | "choice" | "cited";

/** How each mark is named in the text trace and the HTML legend. */
export const MARK_TEXT: Readonly<Record<Mark, string>> = {
  bug: "the bug: where the detector fired (the bad access)",
  free: "the free of the object the bug is about",
  migration: "a migration of the task that hit the bug",
  choice: "a non-default choice (0 is the normal answer)",
  cited: "a step the report cites",
};

export type Row =
  | { readonly kind: "event"; readonly event: TraceEvent; readonly marks: readonly Mark[] }
  | { readonly kind: "fold"; readonly text: string; readonly events: readonly TraceEvent[] };

export interface TraceView {
  readonly rows: readonly Row[];
  /** CPUs that have at least one event (the others get no column). */
  readonly cpus: readonly number[];
}

/** Events shown from the start and the end of a long trace (a livelock runs 150,000 steps). */
export const TRACE_HEAD_EVENTS = 300;
export const TRACE_TAIL_EVENTS = 60;

export interface CitedSite {
  readonly task: string;
  readonly step: number;
  /** The kind of event the line names (a lockdep chain link: "lock"), if it names one. */
  readonly effect: "alloc" | "free" | "lock" | "bug" | null;
  /** For a lockdep chain link, the class taken ("-> #1 (scomp_lock):"). */
  readonly lock: string | null;
}

/**
 * The sites the report cites: "<what> by task T on cpu C at step N", with what the line says
 * happened there ("Allocated", "Freed", "taken while holding", "Accessed"/"attempted").
 */
export function citedSites(report: string): CitedSite[] {
  const out: CitedSite[] = [];
  let link: string | null = null;
  for (const line of report.split("\n")) {
    const chain = /^-> #\d+ \((.*)\):$/.exec(line);
    if (chain) link = chain[1] as string;
    const m = /^(.*?)by task (\S+) on cpu -?\d+ at step (\d+)/.exec(line);
    if (!m) continue;
    const what = m[1] as string;
    const effect = /taken while holding/.test(what)
      ? "lock"
      : /Allocated/.test(what)
        ? "alloc"
        : /Freed/.test(what)
          ? "free"
          : /Accessed|attempted/.test(what)
            ? "bug"
            : null;
    out.push({
      task: m[2] as string,
      step: Number(m[3]),
      effect,
      lock: effect === "lock" ? link : null,
    });
  }
  return out;
}

/** The object ids the report is about ("at addr ffff... (acomp_req#3)"). */
export function reportObjects(report: string): Set<number> {
  const ids = new Set<number>();
  for (const m of report.matchAll(/addr [0-9a-f]+ \([^()\s]*#(\d+)\)/g)) ids.add(Number(m[1]));
  return ids;
}

/** Events a report's site can stand for: the allocation, the free, the lock taken, the bug. */
const SITE_EFFECTS = new Set(["alloc", "free", "lock", "unlock", "bug", "migrate"]);

/**
 * The event each cited site stands for: of the task's events in that step, the one of the kind
 * the line names (for a lockdep chain link, the acquisition of that lock, or the first
 * acquisition when the lock's instance name differs from its class); failing that, the events
 * of any site kind; failing that, all of them.
 */
function citedEvents(events: readonly TraceEvent[], report: string): Set<TraceEvent> {
  const out = new Set<TraceEvent>();
  for (const c of citedSites(report)) {
    const at = events.filter((e) => e.step === c.step && e.task === c.task);
    const kind = at.filter((e) => e.effect === c.effect);
    const named = kind.filter((e) => c.lock !== null && e.extra?.lock === c.lock);
    // fs_reclaim is a lockdep annotation of every sleeping allocation, not a lock with events:
    // the step's events (the allocation's scheduling point among them) stand for it.
    if (c.lock === FS_RECLAIM) {
      for (const e of at) out.add(e);
      continue;
    }
    const one = named[0] ?? kind[0];
    if (one !== undefined) {
      out.add(one);
      continue;
    }
    const sites = at.filter((e) => SITE_EFFECTS.has(e.effect));
    for (const e of sites.length > 0 ? sites : at) out.add(e);
  }
  return out;
}

/** The marks of every event of one execution, given the report (empty for a clean result). */
export function markEvents(events: readonly TraceEvent[], report: string): Mark[][] {
  const cited = citedEvents(events, report);
  const objects = reportObjects(report);
  let bugTask: number | null = null;
  for (const e of events) if (e.effect === "bug") bugTask = e.taskId;
  return events.map((e) => {
    const marks: Mark[] = [];
    if (e.effect === "bug") marks.push("bug");
    if (e.effect === "free" && e.extra?.obj !== undefined && objects.has(e.extra.obj))
      marks.push("free");
    if (e.effect === "migrate" && e.taskId === bugTask) marks.push("migration");
    if (e.extra?.value !== undefined && e.extra.value !== 0) marks.push("choice");
    if (cited.has(e)) marks.push("cited");
    return marks;
  });
}

/**
 * The rows to show: every marked event; the scenario's events (all of them, or the first
 * TRACE_HEAD_EVENTS and last TRACE_TAIL_EVENTS of a long trace); runs of other events (the
 * boot task's setup, the middle of a long trace) folded into one row that says what it holds.
 */
export function traceView(events: readonly TraceEvent[], report: string): TraceView {
  const marks = markEvents(events, report);
  const scenario = events.map((e, i) => (e.task === "init" ? -1 : i)).filter((i) => i >= 0);
  const shown = new Set<number>();
  const long = scenario.length > TRACE_HEAD_EVENTS + TRACE_TAIL_EVENTS;
  scenario.forEach((i, n) => {
    if (!long || n < TRACE_HEAD_EVENTS || n >= scenario.length - TRACE_TAIL_EVENTS) shown.add(i);
  });
  const rows: Row[] = [];
  let folded: TraceEvent[] = [];
  const flush = () => {
    if (folded.length > 0) rows.push(foldRow(folded));
    folded = [];
  };
  events.forEach((e, i) => {
    const m = marks[i] as Mark[];
    if (!shown.has(i) && m.length === 0) {
      folded.push(e);
      return;
    }
    flush();
    rows.push({ kind: "event", event: e, marks: m });
  });
  flush();
  const cpus = [...new Set(events.map((e) => Math.max(0, e.cpu)))].sort((a, b) => a - b);
  return { rows, cpus };
}

function foldRow(events: readonly TraceEvent[]): Row {
  const first = (events[0] as TraceEvent).step;
  const last = (events[events.length - 1] as TraceEvent).step;
  const tasks = [...new Set(events.map((e) => e.task))];
  const what = tasks.length === 1 && tasks[0] === "init" ? "setup events of task init" : "events";
  const steps = first === last ? `step ${first}` : `steps ${first}-${last}`;
  return {
    kind: "fold",
    text: `... ${events.length} ${what} (${steps}) folded ...`,
    events,
  };
}

/** An event as one line of text: "T: mutex_lock ctx->mutex", "T: choose ... = 1". */
export function eventText(e: TraceEvent): string {
  const bare = e.effect === "note" || e.effect === "lock" || e.effect === "unlock";
  const own = e.effect === "alloc" || e.effect === "free";
  return `${e.task}: ${bare || own ? "" : `${e.effect} `}${e.detail}`;
}

/** The column an event goes in: its CPU's (an event outside any task goes in the first). */
export function columnOf(e: TraceEvent, cpus: readonly number[]): number {
  const c = cpus.indexOf(e.cpu);
  return c >= 0 ? c : 0;
}
