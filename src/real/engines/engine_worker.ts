/**
 * An engine: a worker thread that claims SUBMITTED descriptors from the ring, runs its
 * handler on them and posts completion records, sleeping on the doorbell when there is no work.
 * See ring.ts for the protocol and pool.ts for the submitting side.
 */
import { workerData } from "node:worker_threads";
import {
  CTRL_CHAIN_JOBS,
  CTRL_DOORBELL,
  CTRL_READY,
  CTRL_SHUTDOWN,
  CTRL_SLEEPERS,
  CTRL_SLEEPS,
  claimSlot,
  type EngineHandler,
  type EngineHandlerModule,
  type EngineWorkerData,
  RingViews,
  runSlot,
  unclaimed,
} from "./ring.ts";

/** Claims and runs descriptors until shutdown; scans from `cursor` so engines spread out. */
function loop(r: RingViews, handler: EngineHandler, index: number): void {
  const n = r.g.slots;
  let cursor = index % n;
  for (;;) {
    if (Atomics.load(r.ctrl, CTRL_SHUTDOWN) !== 0) return;
    // Read the doorbell before scanning: a submission after the scan changes it, so the wait
    // below returns at once instead of missing it.
    const bell = Atomics.load(r.ctrl, CTRL_DOORBELL);
    let ran = false;
    for (let i = 0; i < n; i++) {
      const slot = (cursor + i) % n;
      if (!claimSlot(r, slot)) continue;
      wakeAnother(r);
      runSlot(r, handler, slot);
      cursor = (slot + 1) % n;
      ran = true;
      break;
    }
    if (ran) continue;
    // Count ourselves asleep before the wait: a submitter that rings after reading the count as
    // 0 changed the doorbell before our wait reads it, so the wait returns at once.
    Atomics.add(r.ctrl, CTRL_SLEEPERS, 1);
    Atomics.add(r.ctrl, CTRL_SLEEPS, 1);
    Atomics.wait(r.ctrl, CTRL_DOORBELL, bell);
    Atomics.sub(r.ctrl, CTRL_SLEEPERS, 1);
  }
}

/**
 * The submitter wakes one engine only when all sleep (pool.ts, kick): a wake-up is a system
 * call, and on the submitting thread it delays every operation behind it. The engine that has
 * work wakes the next one, here, once enough descriptors wait unclaimed to keep two busy.
 */
function wakeAnother(r: RingViews): void {
  if (Atomics.load(r.ctrl, CTRL_SLEEPERS) === 0) return;
  if (unclaimed(r) >= Atomics.load(r.ctrl, CTRL_CHAIN_JOBS))
    Atomics.notify(r.ctrl, CTRL_DOORBELL, 1);
}

const data = workerData as EngineWorkerData;
const views = new RingViews(data.sab, data.geometry);
const mod = (await import(data.handler)) as EngineHandlerModule;
const handler = mod.createHandler();
Atomics.add(views.ctrl, CTRL_READY, 1);
Atomics.notify(views.ctrl, CTRL_READY);
loop(views, handler, data.index);
