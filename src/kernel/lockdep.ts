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
  /** Index of the execution now running; set by the explorer. */
  execution = 0;
  /** Executions that added at least one edge. */
  readonly contributing = new Set<number>();

  addEdge(from: string, to: string, witness: EdgeWitness): void {
    let m = this.edges.get(from);
    if (m === undefined) this.edges.set(from, (m = new Map()));
    if (!m.has(to)) {
      m.set(to, witness);
      this.contributing.add(witness.execution);
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

/** Records an acquisition of `name` (class `cls`) by the current task; reports inversions. */
export function lockAcquire(k: Kernel, cls: string, name: string, opts: AcquireOptions = {}): void {
  if (!k.instrumented) return; // see Kernel.instrumented
  const t = k.task;
  const read = opts.read ?? false;
  const recursiveRead = read && (opts.recursiveRead ?? true);
  const site = siteOf(k);
  const held: HeldLock = { cls, name, read, site };
  if (!opts.trylock && k.lockdepChecks) {
    for (const h of t.heldLocks) {
      if (h.cls === cls) {
        if (recursiveRead && h.read) continue; // recursive read of a read-held class
        throw recursiveReport(k, held, h);
      }
    }
    for (const h of t.heldLocks) {
      const back = k.lockdep.path(cls, h.cls);
      if (back !== null) throw circularReport(k, held, h, back);
      k.lockdep.addEdge(h.cls, cls, { from: h, site, execution: k.lockdep.execution });
    }
  }
  t.heldLocks.push(held);
}

/** Records a release; the lock must be held by the current task. */
export function lockRelease(k: Kernel, name: string): void {
  if (!k.instrumented) return;
  const held = k.task.heldLocks;
  for (let i = held.length - 1; i >= 0; i--) {
    if ((held[i] as HeldLock).name === name) {
      held.splice(i, 1);
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
 */
export function fsReclaimMightAcquire(k: Kernel): void {
  lockAcquire(k, FS_RECLAIM, FS_RECLAIM);
  lockRelease(k, FS_RECLAIM);
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
