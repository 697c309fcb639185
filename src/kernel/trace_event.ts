/**
 * Trace events the lock and memory primitives record for the reader of a counterexample:
 * acquisitions and releases (with the lock instance, for lock-hold spans), allocations and
 * frees (with the object id, to connect a free to a later bad access). Each is one null check
 * when no trace is recorded: explorations run millions of these.
 */
import type { Kernel } from "./kernel.ts";

/** `op` is the kernel call ("mutex_lock", "spin_unlock", ...); `name` the lock instance. */
export function traceLock(k: Kernel, op: string, name: string, release = false): void {
  const tr = k.trace;
  if (tr !== null) tr.add(k.current, release ? "unlock" : "lock", `${op} ${name}`, { lock: name });
}

export function traceObj(k: Kernel, effect: "alloc" | "free", text: string, obj: number): void {
  const tr = k.trace;
  if (tr !== null) tr.add(k.current, effect, text, { obj });
}
