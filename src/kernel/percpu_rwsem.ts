/**
 * Per-CPU reader/writer semaphores (kernel/locking/percpu-rwsem.c) and the CPU hotplug lock
 * built on one (cpus_read_lock() / cpus_write_lock(), kernel/cpu.c).
 *
 * Semantics kept from the kernel:
 * - Readers share the lock; a writer excludes everyone.
 * - A writer first sets `block` (here: becomes `writer`), which makes every *new* read
 *   acquisition wait, then waits for the readers already inside to leave.
 * - New readers never overtake a pending writer, not even a task that already holds the lock
 *   for read: a nested read with a writer pending deadlocks (reader waits for the writer, the
 *   writer waits for the reader). Lockdep treats these reads as non-recursive (read == 1), so
 *   it reports any nested read as recursive locking, as the kernel's lockdep does for nested
 *   cpus_read_lock().
 * - Waiters queue in FIFO order; up_write() lets in the readers at the head of the queue up to
 *   the first writer, which becomes the next pending writer (percpu_rwsem_wake_function()).
 *
 * Simplifications: one counter per task instead of per-CPU counters, and no rcu_sync fast path
 * (it only changes cost, not who may enter).
 */
import { nameKey } from "./access.ts";
import { type Op, pointLabel, sched } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { heldLocksLines, lockAcquire, lockRelease } from "./lockdep.ts";
import { mightSleep } from "./memory.ts";
import { KernelBug } from "./report.ts";
import type { Task, Waitable } from "./task.ts";
import { traceLock } from "./trace_event.ts";
import { checkWaitCycle } from "./waitfor.ts";

interface RwsemWaiter {
  readonly task: Task;
  readonly read: boolean;
}

export class PercpuRwsem implements Waitable {
  /** Tasks inside for read, with their nesting depth. */
  readonly readers = new Map<Task, number>();
  /** The writer that set `block`: pending (waiting for readers to drain) or holding. */
  writer: Task | null = null;
  /** True once `writer` holds the lock (all readers left). */
  writerHolds = false;
  /** True while `writer` sleeps waiting for the readers to drain. */
  writerDraining = false;
  /** Blocked acquisitions, FIFO. */
  readonly waiters: RwsemWaiter[] = [];

  constructor(
    readonly name: string,
    readonly cls: string = name,
  ) {}

  /** Everyone who holds or has claimed the lock (readers and the writer). */
  holders(): readonly Task[] {
    const out = [...this.readers.keys()];
    if (this.writer !== null && !out.includes(this.writer)) out.push(this.writer);
    return out;
  }
}

/** percpu_down_read(): may sleep behind a pending or holding writer. */
export function* percpuDownRead(k: Kernel, s: PercpuRwsem): Op<void> {
  mightSleep(k, `percpu_down_read(${s.name})`);
  yield* sched(pointLabel("percpu_down_read", s.name));
  const t = k.task;
  k.fp?.write(nameKey("rwsem:", s.name));
  lockAcquire(k, s.cls, s.name, { read: true, recursiveRead: false });
  if (s.writer === null) {
    addReader(s, t);
    traceLock(k, "percpu_down_read", s.name);
    return;
  }
  // A writer has set `block`: new readers wait behind it, even if they already hold it.
  s.waiters.push({ task: t, read: true });
  t.blockedOn = {
    name: `${s.name} (read)`,
    holders: () => (s.writer === null ? [] : [s.writer]),
  };
  checkWaitCycle(k, t);
  yield* k.blockCurrent(`${s.name} (read)`);
  t.blockedOn = null;
  if (!s.readers.has(t)) throw new Error(`${s.name}: woken reader ${t.name} was not let in`);
  traceLock(k, "percpu_down_read", s.name);
}

/** percpu_down_read_trylock(): enters for read unless a writer is pending or holds it. */
export function percpuDownReadTrylock(k: Kernel, s: PercpuRwsem): boolean {
  k.fp?.write(nameKey("rwsem:", s.name));
  if (s.writer !== null) return false;
  lockAcquire(k, s.cls, s.name, { read: true, trylock: true });
  addReader(s, k.task);
  traceLock(k, "percpu_down_read_trylock", s.name);
  return true;
}

/** percpu_up_read(): the last reader out lets a draining writer in. */
export function percpuUpRead(k: Kernel, s: PercpuRwsem): void {
  const t = k.task;
  k.fp?.write(nameKey("rwsem:", s.name));
  const depth = s.readers.get(t);
  if (depth === undefined) {
    throw new KernelBug("assertion", `WARNING: percpu_up_read(${s.name}) without a read hold`, [
      `${t.name}/${t.id} does not hold ${s.name} for read`,
      ...heldLocksLines(t),
    ]);
  }
  lockRelease(k, s.name);
  traceLock(k, "percpu_up_read", s.name, true);
  if (depth > 1) s.readers.set(t, depth - 1);
  else s.readers.delete(t);
  if (s.readers.size === 0 && s.writerDraining && s.writer !== null) {
    s.writerDraining = false;
    s.writerHolds = true;
    k.wake(s.writer);
  }
}

/** percpu_down_write(): claims the lock (blocking new readers), then waits for readers to leave. */
export function* percpuDownWrite(k: Kernel, s: PercpuRwsem): Op<void> {
  mightSleep(k, `percpu_down_write(${s.name})`);
  yield* sched(`percpu_down_write ${s.name}`);
  const t = k.task;
  k.fp?.write(nameKey("rwsem:", s.name));
  lockAcquire(k, s.cls, s.name);
  if (s.writer !== null) {
    s.waiters.push({ task: t, read: false });
    t.blockedOn = {
      name: `${s.name} (write)`,
      holders: () => (s.writer === null ? [] : [s.writer]),
    };
    checkWaitCycle(k, t);
    yield* k.blockCurrent(`${s.name} (write)`);
    t.blockedOn = null;
    if (s.writer !== t) throw new Error(`${s.name}: woken writer ${t.name} did not get block`);
  } else {
    s.writer = t;
  }
  if (s.readers.size > 0) {
    s.writerDraining = true;
    t.blockedOn = { name: `${s.name} (readers)`, holders: () => [...s.readers.keys()] };
    checkWaitCycle(k, t);
    yield* k.blockCurrent(`${s.name} (readers to leave)`);
    t.blockedOn = null;
  }
  k.fp?.write(nameKey("rwsem:", s.name));
  s.writerHolds = true;
  traceLock(k, "percpu_down_write", s.name);
}

/** percpu_up_write(): lets in the queued readers up to the first queued writer. */
export function percpuUpWrite(k: Kernel, s: PercpuRwsem): void {
  const t = k.task;
  k.fp?.write(nameKey("rwsem:", s.name));
  if (s.writer !== t || !s.writerHolds) {
    throw new KernelBug("assertion", `WARNING: percpu_up_write(${s.name}) by a non-owner`, [
      `${t.name}/${t.id} releases ${s.name}, whose writer is ${s.writer?.name ?? "nobody"}`,
      ...heldLocksLines(t),
    ]);
  }
  lockRelease(k, s.name);
  traceLock(k, "percpu_up_write", s.name, true);
  s.writer = null;
  s.writerHolds = false;
  while (s.waiters.length > 0) {
    const w = s.waiters.shift() as RwsemWaiter;
    if (w.read) {
      addReader(s, w.task);
      k.wake(w.task);
      continue;
    }
    s.writer = w.task;
    k.wake(w.task);
    break;
  }
}

/** lockdep_assert_held() for either mode. */
export function percpuRwsemAssertHeld(k: Kernel, s: PercpuRwsem): void {
  const t = k.task;
  if (s.readers.has(t) || (s.writer === t && s.writerHolds)) return;
  throw new KernelBug("assertion", `WARNING: lockdep_assert_held(${s.name}) failed`, [
    `${t.name}/${t.id} holds neither a read nor the write lock`,
    ...heldLocksLines(t),
  ]);
}

function addReader(s: PercpuRwsem, t: Task): void {
  s.readers.set(t, (s.readers.get(t) ?? 0) + 1);
}

// ---------------------------------------------------------------------------------------------
// cpu_hotplug_lock
// ---------------------------------------------------------------------------------------------

/** The kernel's one cpu_hotplug_lock. */
export function cpuHotplugLock(k: Kernel): PercpuRwsem {
  return k.subsystem("cpu_hotplug_lock", () => new PercpuRwsem("cpu_hotplug_lock"));
}

/** cpus_read_lock(): keeps CPUs from going on- or offline. May sleep. */
export function* cpusReadLock(k: Kernel): Op<void> {
  yield* percpuDownRead(k, cpuHotplugLock(k));
}

export function cpusReadUnlock(k: Kernel): void {
  percpuUpRead(k, cpuHotplugLock(k));
}

/** cpus_write_lock(): taken by CPU hotplug itself. */
export function* cpusWriteLock(k: Kernel): Op<void> {
  yield* percpuDownWrite(k, cpuHotplugLock(k));
}

export function cpusWriteUnlock(k: Kernel): void {
  percpuUpWrite(k, cpuHotplugLock(k));
}

/** lockdep_assert_cpus_held(): for functions named ...Cpuslocked. */
export function lockdepAssertCpusHeld(k: Kernel): void {
  percpuRwsemAssertHeld(k, cpuHotplugLock(k));
}
