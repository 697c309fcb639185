/**
 * Folios in the swapcache and the folio lock (a sleeping bit lock).
 *
 * The folio lock is what arbitrates between swap-in, swap-out, writeback and invalidation of a
 * swap slot. Like the kernel's PG_locked it is not tracked by lockdep (it has no class), but a
 * task waiting for it takes part in wait-for cycle detection.
 */
import { type Op, sched } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { KernelBug } from "../kernel/report.ts";
import type { Task, Waitable } from "../kernel/task.ts";
import { checkWaitCycle } from "../kernel/waitfor.ts";
import type { Memcg } from "./memcg.ts";
import type { SwpEntry } from "./swap_entry.ts";

export class Folio implements Waitable {
  owner: Task | null = null;
  /**
   * Tasks waiting for the lock, in order; made by the first waiter (a folio a page is swapped
   * through on the real paths never has one, so it allocates no array).
   */
  waiters: Task[] | null = null;
  uptodate = false;
  dirty = false;
  /** Set when the folio was written back for reclaim (folio_set_reclaim). */
  reclaim = false;
  /**
   * Its writeback write failed: redirtied, it stays in the swap cache with the only copy of the
   * data, owned by nobody until a swap-in of the slot takes it (end_swap_bio_write()).
   */
  writebackFailed = false;
  readonly data: Uint8Array;

  constructor(
    readonly swap: SwpEntry,
    readonly nrPages: number,
    readonly memcg: Memcg | null,
    data?: Uint8Array,
  ) {
    this.data = data ?? new Uint8Array(nrPages * PAGE_SIZE);
  }

  /** Built when a report or a wait label needs it: one folio per page swapped in real mode. */
  get name(): string {
    return `folio(swap ${this.swap.type}:${this.swap.offset})`;
  }

  holders(): readonly Task[] {
    return this.owner === null ? [] : [this.owner];
  }

  /** The bytes of page `i` of the folio. */
  page(i: number): Uint8Array {
    // A one-page folio's page is its data: no view to allocate on the swap paths.
    if (this.nrPages === 1 && this.data.length === PAGE_SIZE) return this.data;
    return this.data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
  }
}

/** folio_lock(): sleeps until the folio is unlocked. */
export function* folioLock(k: Kernel, f: Folio): Op<void> {
  yield* sched(`folio_lock ${f.name}`);
  const t = k.task;
  if (f.owner === null) {
    f.owner = t;
    return;
  }
  if (f.owner === t)
    throw new KernelBug("deadlock", `INFO: task ${t.name} locks ${f.name} it already holds`);
  (f.waiters ??= []).push(t);
  t.blockedOn = f;
  checkWaitCycle(k, t);
  yield* k.blockCurrent(f.name);
  t.blockedOn = null;
}

/** folio_trylock(). */
export function folioTrylock(k: Kernel, f: Folio): boolean {
  if (f.owner !== null) return false;
  f.owner = k.task;
  return true;
}

/** folio_unlock(): hands the lock to the first waiter. */
export function folioUnlock(k: Kernel, f: Folio): void {
  if (f.owner !== k.task) {
    throw new KernelBug(
      "assertion",
      `BUG: ${k.task.name} unlocks ${f.name} held by ${f.owner?.name ?? "nobody"}`,
    );
  }
  const next = f.waiters?.shift() ?? null;
  f.owner = next;
  if (next !== null) k.wake(next);
}

export function folioAssertLocked(k: Kernel, f: Folio): void {
  if (f.owner !== k.task)
    throw new KernelBug("assertion", `VM_BUG_ON_FOLIO(!folio_test_locked(folio)): ${f.name}`);
}
