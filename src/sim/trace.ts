/**
 * Execution traces: every effect as a structured event, a stable text rendering with one column
 * per CPU, and a hash of the trace (same seed or token, same hash).
 */
import type { TraceSink } from "../kernel/kernel.ts";
import type { Task } from "../kernel/task.ts";

export interface TraceEvent {
  readonly step: number;
  readonly task: string;
  readonly taskId: number;
  readonly cpu: number;
  /** "sched" | "block" | "choose" | "io" | "done" | "note" | "migrate" | "bug" ... */
  readonly effect: string;
  readonly detail: string;
}

export class Trace implements TraceSink {
  readonly events: TraceEvent[] = [];
  step = 0;

  add(task: Task | null, effect: string, detail: string): void {
    this.events.push({
      step: this.step,
      task: task?.name ?? "-",
      taskId: task?.id ?? -1,
      cpu: task?.cpu ?? -1,
      effect,
      detail,
    });
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
      const cell =
        text.length > columnWidth ? `${text.slice(0, columnWidth - 1)}…` : text.padEnd(columnWidth);
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
