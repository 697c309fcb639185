/**
 * Wait-for cycle detection: when a task blocks, follow "blocked on X, which is held by Y, who is
 * blocked on Z ..." and report a deadlock as soon as the chain returns to the task.
 */
import type { Kernel } from "./kernel.ts";
import { heldLocksLines } from "./lockdep.ts";
import { KernelBug } from "./report.ts";
import type { Task } from "./task.ts";

/** Throws a deadlock report if `t` (about to block) closes a wait-for cycle. */
export function checkWaitCycle(k: Kernel, t: Task): void {
  const cycle = findCycle(t, t, []);
  if (cycle !== null) throw deadlockReport(k, cycle);
}

function findCycle(start: Task, cur: Task, path: Task[]): Task[] | null {
  if (path.includes(cur)) return null;
  const w = cur.blockedOn;
  if (w === null || (cur !== start && cur.state !== "blocked")) return null;
  for (const h of w.holders()) {
    if (h === start) return [...path, cur];
    const c = findCycle(start, h, [...path, cur]);
    if (c !== null) return c;
  }
  return null;
}

function deadlockReport(_k: Kernel, cycle: Task[]): KernelBug {
  const lines = ["Wait-for cycle (each task waits for a lock held by the next):"];
  for (const t of cycle) {
    lines.push(`  task:${t.name} cpu:${t.cpu} waits for ${t.blockedOn?.name ?? "?"}`);
    lines.push(...heldLocksLines(t).map((l) => `    ${l}`));
  }
  lines.push("", " *** DEADLOCK ***");
  const names = cycle.map((t) => t.blockedOn?.name ?? "?");
  return new KernelBug(
    "deadlock",
    `INFO: task ${cycle[0]?.name} blocked: deadlock on ${names.join(" / ")}`,
    lines,
  );
}
