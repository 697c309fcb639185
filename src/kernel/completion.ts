/**
 * Completions (include/linux/completion.h): wait_for_completion() sleeps until complete().
 *
 * An asynchronous crypto request finishes this way: crypto_wait_req() waits on the request's
 * completion, which the device's interrupt handler signals (crypto_req_done()). The caller is
 * asleep meanwhile, so it can be migrated, and its CPU can even go down.
 */
import { nameKey } from "./access.ts";
import type { Op } from "./effect.ts";
import type { Kernel } from "./kernel.ts";
import { mightSleep } from "./memory.ts";
import type { Task, Waitable } from "./task.ts";
import { checkWaitCycle } from "./waitfor.ts";

export class Completion implements Waitable {
  done = 0;
  readonly waiters: Task[] = [];
  /** Who will complete it (for wait-for reports): set by whoever takes the job on. */
  completer: Task | null = null;

  constructor(readonly name: string) {}

  holders(): readonly Task[] {
    return this.completer === null ? [] : [this.completer];
  }
}

/** wait_for_completion(): returns at once if already completed; consumes one completion. */
export function* waitForCompletion(k: Kernel, c: Completion): Op<void> {
  mightSleep(k, `wait_for_completion(${c.name})`);
  const t = k.task;
  k.fp?.write(nameKey("completion:", c.name));
  if (c.done === 0) {
    c.waiters.push(t);
    t.blockedOn = c;
    checkWaitCycle(k, t);
    yield* k.blockCurrent(c.name);
    t.blockedOn = null;
  }
  k.fp?.write(nameKey("completion:", c.name));
  c.done--;
}

/** complete(): wakes the first waiter, or lets the next wait return at once. */
export function complete(k: Kernel, c: Completion): void {
  k.fp?.write(nameKey("completion:", c.name));
  c.done++;
  const t = c.waiters.shift();
  if (t !== undefined) k.wake(t);
}
