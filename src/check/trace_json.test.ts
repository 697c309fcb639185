/**
 * --trace-json against the Trace Event Format (the JSON Object Format: {"traceEvents": [...]}),
 * checked by a validator written from the format document: every event's phase and required
 * fields, complete events ("X") properly nested per thread, duration events ("B"/"E") balanced,
 * flow events ("s"/"f") paired by id and bound to an enclosing slice, metadata ("M") named.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Trace } from "../sim/trace.ts";
import { replayCheckToken } from "./check_token.ts";
import { checkCell } from "./checker.ts";
import { type TraceEventJson, traceEventJson } from "./trace_json.ts";

const PHASES = new Set("BEXiIbneSTpFstfPOND(M)CRc".replace(/[()]/g, "").split(""));
const METADATA = new Set([
  "process_name",
  "process_labels",
  "process_sort_index",
  "thread_name",
  "thread_sort_index",
]);

type Ev = TraceEventJson & Record<string, unknown>;

/** The problems of a trace-event JSON object; empty when it follows the format. */
export function validateTraceEvents(doc: unknown): string[] {
  const bad: string[] = [];
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as Ev).traceEvents))
    return ["not a JSON Object Format trace: no traceEvents array"];
  const unit = (doc as { displayTimeUnit?: unknown }).displayTimeUnit;
  if (unit !== undefined && unit !== "ms" && unit !== "ns") bad.push(`displayTimeUnit ${unit}`);
  const events = (doc as { traceEvents: Ev[] }).traceEvents;
  const slices = new Map<string, Array<[number, number]>>();
  const open = new Map<string, number>();
  const flows = new Map<string, { s: number; f: number }>();
  events.forEach((e, i) => {
    const at = `event ${i} (${JSON.stringify(e).slice(0, 80)})`;
    if (typeof e.ph !== "string" || !PHASES.has(e.ph)) bad.push(`${at}: unknown ph`);
    if (typeof e.name !== "string") bad.push(`${at}: name is not a string`);
    if (!Number.isInteger(e.pid)) bad.push(`${at}: pid is not an integer`);
    if (e.tid !== undefined && !Number.isInteger(e.tid)) bad.push(`${at}: tid is not an integer`);
    const thread = `${e.pid}/${e.tid}`;
    if (e.ph === "M") {
      if (!METADATA.has(e.name)) bad.push(`${at}: unknown metadata ${e.name}`);
      if (typeof e.args !== "object") bad.push(`${at}: metadata without args`);
      return;
    }
    if (typeof e.ts !== "number" || !(e.ts >= 0)) bad.push(`${at}: ts missing or negative`);
    if (!Number.isInteger(e.tid)) bad.push(`${at}: tid missing`);
    const ts = e.ts as number;
    if (e.ph === "X") {
      if (typeof e.dur !== "number" || !(e.dur >= 0)) bad.push(`${at}: X without dur >= 0`);
      const list = slices.get(thread) ?? [];
      list.push([ts, ts + (e.dur as number)]);
      slices.set(thread, list);
    }
    if (e.ph === "B") open.set(thread, (open.get(thread) ?? 0) + 1);
    if (e.ph === "E") {
      const n = open.get(thread) ?? 0;
      if (n === 0) bad.push(`${at}: E without B`);
      open.set(thread, n - 1);
    }
    if (e.ph === "i" && e.s !== undefined && !["g", "p", "t"].includes(e.s))
      bad.push(`${at}: instant scope ${e.s}`);
    if (e.ph === "s" || e.ph === "f" || e.ph === "t") {
      if (e.id === undefined || typeof e.cat !== "string") bad.push(`${at}: flow without id/cat`);
      const key = `${e.cat}/${e.name}/${e.id}`;
      const fl = flows.get(key) ?? { s: 0, f: 0 };
      if (e.ph === "s") fl.s++;
      if (e.ph === "f") {
        if (fl.s === 0) bad.push(`${at}: flow end before its start`);
        fl.f++;
      }
      flows.set(key, fl);
    }
  });
  for (const [thread, n] of open) if (n !== 0) bad.push(`${thread}: ${n} B without E`);
  for (const [key, fl] of flows) if (fl.s !== fl.f) bad.push(`flow ${key}: ${fl.s} s, ${fl.f} f`);
  for (const [thread, list] of slices) {
    const sorted = [...list].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const stack: Array<[number, number]> = [];
    for (const s of sorted) {
      while (stack.length > 0 && (stack[stack.length - 1] as [number, number])[1] <= s[0])
        stack.pop();
      const top = stack[stack.length - 1];
      if (top !== undefined && s[1] > top[1])
        bad.push(`${thread}: X slices [${top}] and [${s}] overlap without nesting`);
      stack.push(s);
    }
  }
  for (const e of events) {
    if (e.ph !== "s" && e.ph !== "f") continue;
    const list = slices.get(`${e.pid}/${e.tid}`) ?? [];
    if (!list.some(([a, b]) => a <= (e.ts as number) && (e.ts as number) <= b))
      bad.push(`flow ${e.ph} at ${e.ts} on ${e.pid}/${e.tid}: no enclosing slice to bind to`);
  }
  return bad;
}

function uafJson(): { doc: { traceEvents: Ev[] }; trace: Trace } {
  const r = checkCell("D0", "C1");
  const { result } = replayCheckToken(r.token as string);
  const trace = result.trace as Trace;
  const doc = traceEventJson(trace, result.bug?.text ?? "", "D0 x C1") as { traceEvents: Ev[] };
  return { doc: JSON.parse(JSON.stringify(doc)), trace };
}

describe("trace-event JSON", () => {
  it("follows the trace-event format", () => {
    assert.deepEqual(validateTraceEvents(uafJson().doc), []);
  });

  it("has a track per CPU and per task, lock spans, and a flow from the free to the bad access", () => {
    const { doc } = uafJson();
    const names = doc.traceEvents.filter((e) => e.name === "thread_name").map((e) => e.args?.name);
    for (const n of ["CPU0", "CPU1", "T", "H"]) assert.ok(names.includes(n), `track ${n}`);
    assert.ok(
      doc.traceEvents.some((e) => e.ph === "X" && e.cat === "lock" && e.name.includes("mutex")),
    );
    const s = doc.traceEvents.find((e) => e.ph === "s");
    const f = doc.traceEvents.find((e) => e.ph === "f");
    assert.ok(s && f && s.id === f.id);
    const at = (x: Ev) =>
      doc.traceEvents.find(
        (e) =>
          e.ph === "X" &&
          e.pid === x.pid &&
          e.tid === x.tid &&
          e.cat !== "lock" &&
          (e.ts as number) <= (x.ts as number) &&
          (x.ts as number) <= (e.ts as number) + (e.dur as number),
      );
    assert.match(at(s)?.name ?? "", /\[free\].*kfree acomp_req/);
    assert.match(at(f)?.name ?? "", /\[bug\].*slab-use-after-free/);
  });

  it("the validator rejects what the format forbids", () => {
    const base = { name: "a", pid: 1, tid: 1 };
    assert.notDeepEqual(validateTraceEvents({ traceEvents: [{ ...base, ph: "X", ts: 0 }] }), []);
    assert.notDeepEqual(validateTraceEvents({ traceEvents: [{ ...base, ph: "Q", ts: 0 }] }), []);
    assert.notDeepEqual(validateTraceEvents({ traceEvents: [{ ...base, ph: "B", ts: 0 }] }), []);
    const overlap = [
      { ...base, ph: "X", ts: 0, dur: 10 },
      { ...base, ph: "X", ts: 5, dur: 10 },
    ];
    assert.notDeepEqual(validateTraceEvents({ traceEvents: overlap }), []);
    const flow = [{ ...base, ph: "f", ts: 0, id: 1, cat: "c" }];
    assert.notDeepEqual(validateTraceEvents({ traceEvents: flow }), []);
    assert.notDeepEqual(validateTraceEvents([]), []);
  });
});
