/**
 * Execution traces: every effect as a structured event, a stable text rendering with one column
 * per CPU, and a hash of the trace (same seed or token, same hash).
 */
import type { TraceExtra, TraceSink } from "../kernel/kernel.ts";
import type { Task } from "../kernel/task.ts";

export interface TraceEvent {
  readonly step: number;
  readonly task: string;
  readonly taskId: number;
  readonly cpu: number;
  /**
   * "sched" | "sleep" | "wake" | "choose" | "io" | "done" | "note" | "migrate" | "bug" |
   * "lock" | "unlock" | "alloc" | "free"
   */
  readonly effect: string;
  readonly detail: string;
  /** What the event refers to (object id, lock, choice kind and value, woken task). */
  readonly extra?: TraceExtra;
}

export class Trace implements TraceSink {
  readonly events: TraceEvent[] = [];
  step = 0;

  add(task: Task | null, effect: string, detail: string, extra?: TraceExtra): void {
    this.events.push({
      step: this.step,
      task: task?.name ?? "-",
      taskId: task?.id ?? -1,
      cpu: task?.cpu ?? -1,
      effect,
      detail,
      ...(extra === undefined ? {} : { extra }),
    });
  }

  /**
   * A scheduler choice (which task runs next, whether a task migrates). Joined to the task's
   * scheduling point of this step when that is the last event, so a preemption point and its
   * outcome read as one line; the non-default answer decides the event's kind and value.
   */
  choice(task: Task, text: string, kind: string, value: number): void {
    const i = this.events.length - 1;
    const last = this.events[i];
    const joinable = last?.effect === "sched" || last?.effect === "sleep";
    if (last === undefined || !joinable || last.taskId !== task.id || last.step !== this.step) {
      this.add(task, "choose", text, { kind, value });
      return;
    }
    const keep = last.extra?.value !== undefined && last.extra.value !== 0 && value === 0;
    this.events[i] = {
      ...last,
      detail: `${last.detail}; ${text}`,
      extra: keep ? (last.extra as TraceExtra) : { kind, value },
    };
  }

  note(task: Task | null, text: string): void {
    this.add(task, "note", text);
  }

  /** Stable text: one line per event, the event in its CPU's column. */
  render(nrCpus: number, columnWidth = 38): string {
    const head = [
      "step ",
      ...Array.from({ length: nrCpus }, (_, c) => `CPU${c}`.padEnd(columnWidth)),
    ];
    const lines = [head.join("| ").trimEnd()];
    for (const e of this.events) {
      const cols = Array.from({ length: nrCpus }, () => "".padEnd(columnWidth));
      const text = `${e.task}: ${e.effect === "note" ? "" : `${e.effect} `}${e.detail}`;
      // Nothing is cut: a longer text widens its line (src/check/trace_text.ts wraps instead).
      const cell = text.padEnd(columnWidth);
      if (e.cpu >= 0 && e.cpu < nrCpus) cols[e.cpu] = cell;
      else cols[0] = cell;
      lines.push([String(e.step).padStart(5), ...cols].join("| ").trimEnd());
    }
    return lines.join("\n");
  }

  /** Canonical one-event-per-line form, used for hashing and diffing. */
  canonical(): string {
    return this.events
      .map((e) => `${e.step} ${e.taskId} ${e.cpu} ${e.effect} ${e.detail}`)
      .join("\n");
  }

  /** cyrb53 hash of the canonical form, as 14 hex digits. */
  hash(): string {
    return cyrb53(this.canonical());
  }
}

export function cyrb53(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const n = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return n.toString(16).padStart(14, "0");
}
