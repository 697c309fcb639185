/**
 * `--trace-json FILE`: one execution in the Chrome trace-event format (the JSON Object Format
 * of the "Trace Event Format" document), which Perfetto (ui.perfetto.dev) and chrome://tracing
 * open. Process 1 has one track per CPU (a slice for each run of a task on it); process 2 one
 * track per task (a slice per event, and lock-hold spans as duration events enclosing the
 * events run under the lock); a flow arrow goes from the free the report is about to the bad
 * access.
 *
 * Time is logical: event i of the trace starts at 10*i microseconds (the simulator has no
 * clock); the step, the CPU and the marks are in each slice's args.
 */
import type { Trace, TraceEvent } from "../sim/trace.ts";
import { eventText, markEvents } from "./trace_view.ts";

export interface TraceEventJson {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid?: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: number;
  readonly bp?: string;
  readonly s?: string;
  readonly args?: Record<string, unknown>;
}

const CPU_PID = 1;
const TASK_PID = 2;
/** Microseconds per event, and the length of an event's own slice (inside its 10 us). */
const TICK_US = 10;
const EVENT_US = 8;
/** Lock spans that do not nest in the task's track go to extra tracks, tid + k * LANE_TID. */
const LANE_TID = 1000;

interface Span {
  readonly lock: string;
  readonly task: TraceEvent;
  readonly start: number;
  readonly end: number;
}

/** The trace-event JSON of one execution; `report` decides the marks and the flow arrow. */
export function traceEventJson(trace: Trace, report: string, title: string): object {
  const events = trace.events;
  const marks = markEvents(events, report);
  const out: TraceEventJson[] = [...metadata(events, title)];
  out.push(...cpuSlices(events));
  events.forEach((e, i) => {
    if (e.taskId < 0) return;
    const m = marks[i] as string[];
    out.push({
      name: `${m.map((x) => `[${x}] `).join("")}${e.effect} ${e.detail}`.trim(),
      cat: e.effect,
      ph: "X",
      ts: i * TICK_US,
      dur: EVENT_US,
      pid: TASK_PID,
      tid: e.taskId,
      args: { step: e.step, cpu: e.cpu, text: eventText(e), marks: m },
    });
  });
  out.push(...lockSpans(events));
  const free = marks.findIndex((m) => m.includes("free"));
  const bug = marks.findIndex((m) => m.includes("bug"));
  if (free >= 0 && bug >= 0) out.push(...flow(events, free, bug));
  return { traceEvents: out, displayTimeUnit: "ms", otherData: { title } };
}

function metadata(events: readonly TraceEvent[], title: string): TraceEventJson[] {
  const out: TraceEventJson[] = [
    { name: "process_name", ph: "M", pid: CPU_PID, tid: 0, args: { name: `CPUs (${title})` } },
    { name: "process_name", ph: "M", pid: TASK_PID, tid: 0, args: { name: "Tasks" } },
  ];
  const cpus = [...new Set(events.filter((e) => e.cpu >= 0).map((e) => e.cpu))].sort();
  for (const c of cpus)
    out.push({ name: "thread_name", ph: "M", pid: CPU_PID, tid: c, args: { name: `CPU${c}` } });
  const tasks = new Map(events.filter((e) => e.taskId >= 0).map((e) => [e.taskId, e.task]));
  for (const [id, name] of tasks)
    out.push({ name: "thread_name", ph: "M", pid: TASK_PID, tid: id, args: { name } });
  return out;
}

/** One slice per run of consecutive events of one task on one CPU. */
function cpuSlices(events: readonly TraceEvent[]): TraceEventJson[] {
  const out: TraceEventJson[] = [];
  let start = 0;
  for (let i = 1; i <= events.length; i++) {
    const a = events[start] as TraceEvent;
    const b = events[i];
    if (b !== undefined && b.taskId === a.taskId && b.cpu === a.cpu) continue;
    if (a.cpu >= 0 && a.taskId >= 0) {
      out.push({
        name: a.task,
        cat: "run",
        ph: "X",
        ts: start * TICK_US,
        dur: (i - start) * TICK_US - (TICK_US - EVENT_US),
        pid: CPU_PID,
        tid: a.cpu,
        args: { firstStep: a.step, lastStep: (events[i - 1] as TraceEvent).step },
      });
    }
    start = i;
  }
  return out;
}

/** Lock-hold spans, from the acquisition to the release (or the end of the trace). */
function lockSpans(events: readonly TraceEvent[]): TraceEventJson[] {
  const open = new Map<string, { at: number; e: TraceEvent }>();
  const spans: Span[] = [];
  events.forEach((e, i) => {
    const lock = e.extra?.lock;
    if (lock === undefined) return;
    const key = `${e.taskId}\u0000${lock}`;
    if (e.effect === "lock") open.set(key, { at: i, e });
    else {
      const o = open.get(key);
      if (o !== undefined) spans.push({ lock, task: o.e, start: o.at, end: i });
      open.delete(key);
    }
  });
  for (const [, o] of open)
    spans.push({ lock: o.e.extra?.lock as string, task: o.e, start: o.at, end: events.length - 1 });
  const lanes = new Map<number, Span[][]>();
  return spans.map((s) => {
    const mine = lanes.get(s.task.taskId) ?? [];
    lanes.set(s.task.taskId, mine);
    let lane = mine.findIndex((l) => l.every((o) => nests(o, s)));
    if (lane < 0) lane = mine.push([]) - 1;
    (mine[lane] as Span[]).push(s);
    return {
      name: `holds ${s.lock}`,
      cat: "lock",
      ph: "X",
      ts: s.start * TICK_US,
      dur: (s.end - s.start) * TICK_US + EVENT_US + 1,
      pid: TASK_PID,
      tid: s.task.taskId + lane * LANE_TID,
      args: { lock: s.lock, taken: s.task.detail },
    };
  });
}

/** Two spans on one track must be disjoint or one inside the other. */
function nests(a: Span, b: Span): boolean {
  if (a.end < b.start || b.end < a.start) return true;
  return (a.start <= b.start && b.end <= a.end) || (b.start <= a.start && a.end <= b.end);
}

/** A flow arrow from the free's slice to the bad access's slice. */
function flow(events: readonly TraceEvent[], free: number, bug: number): TraceEventJson[] {
  const f = events[free] as TraceEvent;
  const b = events[bug] as TraceEvent;
  const common = { name: "freed, then accessed", cat: "use-after-free", id: 1, pid: TASK_PID };
  return [
    { ...common, ph: "s", ts: free * TICK_US + 1, tid: f.taskId },
    { ...common, ph: "f", bp: "e", ts: bug * TICK_US + 1, tid: b.taskId },
  ];
}
