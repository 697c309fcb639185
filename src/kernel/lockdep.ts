/**
 * Lock classes and the lock-order graph, in the style of the kernel's lockdep.
 *
 * Every acquisition adds an edge from each lock class the task already holds to the new class.
 * The graph outlives one execution (the explorer shares it across executions, as lockdep's
 * graph outlives one syscall), so an inversion is reported even when no execution deadlocked:
 * that is how syzbot's lockdep found the scomp_lock ABBA without a reproducer.
 *
 * Simplifications (documented in docs/kernel-model.md): read acquisitions are ordered like
 * write acquisitions, except that a read lock may nest in a read lock of its own class; trylocks
 * add no edges (as in lockdep); there are no nesting annotations (subclasses).
 */
import type { Kernel } from "./kernel.ts";
import { KernelBug } from "./report.ts";
import { type Site, siteLines, siteOf, whereOf } from "./site.ts";
import type { HeldLock, Task } from "./task.ts";

/** Where an edge A -> B was first seen: the task held A and took B. */
export interface EdgeWitness {
  readonly from: HeldLock;
  readonly site: Site;
  /** The exploration's execution that first added the edge (for multi-execution replays). */
  readonly execution: number;
}

export class LockdepGraph {
  private readonly edges = new Map<string, Map<string, EdgeWitness>>();
  /**
   * path() answers by (from, to), valid while no edge is added. After the first few executions
   * of an exploration the graph stops growing, and every acquisition asks the same questions.
   */
  private readonly paths = new Map<string, Map<string, string[] | null>>();
  /** Index of the execution now running; set by the explorer. */
  execution = 0;
  /** Executions that added at least one edge. */
  readonly contributing = new Set<number>();

  addEdge(from: string, to: string, witness: EdgeWitness): void {
    if (!this.hasEdge(from, to)) this.addNewEdge(from, to, witness);
  }

  hasEdge(from: string, to: string): boolean {
    return this.edges.get(from)?.has(to) ?? false;
  }

  private addNewEdge(from: string, to: string, witness: EdgeWitness): void {
    let m = this.edges.get(from);
    if (m === undefined) this.edges.set(from, (m = new Map()));
    m.set(to, witness);
    this.contributing.add(witness.execution);
    this.paths.clear();
  }

  /**
   * Drops the edges execution `execution` added (the explorer's partial-order reduction cut it
   * short: an equivalent execution that runs to the end adds the same edges).
   */
  forget(execution: number): void {
    if (!this.contributing.delete(execution)) return;
    for (const [from, m] of this.edges) {
      for (const [to, w] of m) if (w.execution === execution) m.delete(to);
      if (m.size === 0) this.edges.delete(from);
    }
  }

  /** Every edge as [from, to] (a split search compares the graphs of its parts). */
  edgeList(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [from, m] of this.edges) for (const to of m.keys()) out.push([from, to]);
    return out;
  }

  witness(from: string, to: string): EdgeWitness | undefined {
    return this.edges.get(from)?.get(to);
  }

  /** A path of classes from `from` to `to` (inclusive), or null. Breadth-first: shortest chain. */
  path(from: string, to: string): string[] | null {
    // Asked at every acquisition with a lock held: most classes have no outgoing edge.
    if (from !== to && !this.edges.has(from)) return null;
    let byTo = this.paths.get(from);
    if (byTo === undefined) this.paths.set(from, (byTo = new Map()));
    let found = byTo.get(to);
    if (found === undefined) byTo.set(to, (found = this.search(from, to)));
    return found === null ? null : found.slice();
  }

  private search(from: string, to: string): string[] | null {
    const prev = new Map<string, string>([[from, from]]);
    const queue = [from];
    for (let head = 0; head < queue.length; head++) {
      const c = queue[head] as string;
      if (c === to) {
        const out = [to];
        while (out[0] !== from) out.unshift(prev.get(out[0] as string) as string);
        return out;
      }
      for (const n of this.edges.get(c)?.keys() ?? []) {
        if (!prev.has(n)) {
          prev.set(n, c);
          queue.push(n);
        }
      }
    }
    return null;
  }

  get edgeCount(): number {
    let n = 0;
    for (const m of this.edges.values()) n += m.size;
    return n;
  }
}

export interface AcquireOptions {
  readonly read?: boolean;
  readonly trylock?: boolean;
  /**
   * Whether a read acquisition may nest in a read hold of its own class (lockdep's read == 2,
   * e.g. rwlock_t readers). Default true. percpu-rwsem and rw_semaphore readers are
   * non-recursive (read == 1): a nested read can deadlock behind a pending writer, and lockdep
   * reports it as recursive locking.
   */
  readonly recursiveRead?: boolean;
}

/** The default options, shared: a new `{}` per call would be an allocation per lock taken. */
const NO_OPTIONS: AcquireOptions = Object.freeze({});

/** Records an acquisition of `name` (class `cls`) by the current task; reports inversions. */
export function lockAcquire(
  k: Kernel,
  cls: string,
  name: string,
  opts: AcquireOptions = NO_OPTIONS,
): void {
  if (!k.instrumented) return; // see Kernel.instrumented
  const t = k.task;
  const read = opts.read ?? false;
  const held: HeldLock = { cls, name, read, site: siteOf(k) };
  if (!opts.trylock && k.lockdepChecks)
    checkOrder(k, t, cls, read && (opts.recursiveRead ?? true), held);
  t.heldLocks.push(held);
}

/**
 * Lockdep's checks for taking class `cls` with the task's held locks: recursion, then a path
 * back from `cls` (an inversion), then the new edges. `held` is the acquisition, or null to
 * build it only when a report or a new edge needs it (its site costs a snapshot).
 */
function checkOrder(
  k: Kernel,
  t: Task,
  cls: string,
  recursiveRead: boolean,
  held: HeldLock | null,
): void {
  for (const h of t.heldLocks) {
    if (h.cls === cls) {
      if (recursiveRead && h.read) continue; // recursive read of a read-held class
      throw recursiveReport(k, held ?? heldNow(k, cls), h);
    }
  }
  for (const h of t.heldLocks) {
    const back = k.lockdep.path(cls, h.cls);
    if (back !== null) throw circularReport(k, held ?? heldNow(k, cls), h, back);
    // The witness is built only for a new edge (the graph outlives the execution).
    if (!k.lockdep.hasEdge(h.cls, cls)) {
      held ??= heldNow(k, cls);
      k.lockdep.addEdge(h.cls, cls, { from: h, site: held.site, execution: k.lockdep.execution });
    }
  }
}

/** A write acquisition of class `cls` (named as its class) by the current task, now. */
function heldNow(k: Kernel, cls: string): HeldLock {
  return { cls, name: cls, read: false, site: siteOf(k) };
}

/** Records a release; the lock must be held by the current task. */
export function lockRelease(k: Kernel, name: string): void {
  if (!k.instrumented) return;
  const held = k.task.heldLocks;
  for (let i = held.length - 1; i >= 0; i--) {
    if ((held[i] as HeldLock).name === name) {
      if (i === held.length - 1) held.pop();
      else held.splice(i, 1);
      return;
    }
  }
  throw new KernelBug("assertion", "WARNING: bad unlock balance detected!", [
    `${k.task.name} is trying to release lock (${name}) but there are no more locks to release!`,
    ...heldLocksLines(k.task),
  ]);
}

/**
 * The fs_reclaim annotation of might_alloc(): a GFP_KERNEL allocation may enter reclaim, so
 * lockdep records "held locks -> fs_reclaim" even when reclaim does not happen this time.
 * It is an acquisition and a release at once, so only the checks and the edges remain; a task
 * holding nothing has neither.
 */
export function fsReclaimMightAcquire(k: Kernel): void {
  if (!k.instrumented) return;
  const t = k.task;
  if (k.lockdepChecks && t.heldLocks.length > 0) checkOrder(k, t, FS_RECLAIM, false, null);
  // The release's use of the task: the per-step operation count (the soft-lockup bound) stays
  // what acquire plus release made it.
  void k.task;
}

export const FS_RECLAIM = "fs_reclaim";

function recursiveReport(k: Kernel, want: HeldLock, have: HeldLock): KernelBug {
  const t = k.task;
  return new KernelBug(
    "recursive-locking",
    `WARNING: possible recursive locking detected in ${whereOf(want.site)}`,
    [
      "--------------------------------------------",
      `${t.name}/${t.id} is trying to acquire lock:`,
      ` (${want.name}), class ${want.cls}, at: ${whereOf(want.site)}`,
      "",
      "but task is already holding lock:",
      ` (${have.name}), class ${have.cls}, at: ${whereOf(have.site)}`,
      "",
      "other info that might help us debug this:",
      " Possible unsafe locking scenario:",
      "",
      "       CPU0",
      "       ----",
      `  lock(${have.cls});`,
      `  lock(${have.cls});`,
      "",
      " *** DEADLOCK ***",
      "",
      " May be due to missing lock nesting notation",
      "",
      ...heldLocksLines(t),
      "",
      ...siteLines("acquire attempted", want.site),
    ],
  );
}

function circularReport(k: Kernel, want: HeldLock, have: HeldLock, chain: string[]): KernelBug {
  const t = k.task;
  const lines = [
    "------------------------------------------------------",
    `${t.name}/${t.id} is trying to acquire lock:`,
    ` (${want.name}), class ${want.cls}, at: ${whereOf(want.site)}`,
    "",
    "but task is already holding lock:",
    ` (${have.name}), class ${have.cls}, at: ${whereOf(have.site)}`,
    "",
    "which lock already depends on the new lock.",
    "",
    "the existing dependency chain (in reverse order) is:",
  ];
  for (let i = chain.length - 1; i > 0; i--) {
    const w = k.lockdep.witness(chain[i - 1] as string, chain[i] as string);
    lines.push("", `-> #${i} (${chain[i]}):`);
    if (w)
      lines.push(
        ...siteLines(`       taken while holding ${chain[i - 1]}`, w.site).map(
          (l) => `       ${l}`,
        ),
      );
  }
  lines.push(
    "",
    "other info that might help us debug this:",
    "",
    "Chain exists of:",
    `  ${chain.join(" --> ")}`,
    "",
    " Possible unsafe locking scenario:",
    "",
    "       CPU0                    CPU1",
    "       ----                    ----",
    `  lock(${have.cls});`,
    `                               lock(${chain[chain.length - 2] ?? want.cls});`,
    `                               lock(${have.cls});`,
    `  lock(${want.cls});`,
    "",
    " *** DEADLOCK ***",
    "",
    ...heldLocksLines(t),
    "",
    ...siteLines("acquire attempted", want.site),
  );
  return new KernelBug(
    "circular-locking",
    "WARNING: possible circular locking dependency detected",
    lines,
  );
}

/** The locks `t` holds, as lockdep lists them under a report ("2 locks held by ..."). */
export function heldLocksLines(t: Task): string[] {
  if (t.heldLocks.length === 0) return [`no locks held by ${t.name}.`];
  return [
    `${t.heldLocks.length} lock${t.heldLocks.length > 1 ? "s" : ""} held by ${t.name}:`,
    ...t.heldLocks.map(
      (l, i) =>
        ` #${i}: (${l.name}){${l.read ? "read" : "write"}}, class ${l.cls}, at: ${l.site.stack[l.site.stack.length - 1] ?? l.site.task}`,
    ),
  ];
}
