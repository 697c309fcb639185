/**
 * An engine: a worker thread that claims SUBMITTED descriptors from the ring, runs its
 * handler on them and posts completion records, sleeping on the doorbell when there is no work.
 * See ring.ts for the protocol and pool.ts for the submitting side.
 */
import { workerData } from "node:worker_threads";
import {
  CTRL_COMPLETIONS,
  CTRL_DOORBELL,
  CTRL_READY,
  CTRL_SHUTDOWN,
  CTRL_WAKE_AT,
  type EngineHandler,
  type EngineHandlerModule,
  type EngineWorkerData,
  HDR_ARG,
  HDR_IN_LEN,
  HDR_OP,
  HDR_RESULT,
  HDR_WORDS,
  RingViews,
  SLOT_DONE,
  SLOT_RUNNING,
  SLOT_SUBMITTED,
} from "./ring.ts";

const EINVAL = 22;

function runSlot(r: RingViews, handler: EngineHandler, slot: number): void {
  const h = slot * HDR_WORDS;
  const inLen = r.hdr[h + HDR_IN_LEN] as number;
  let ret: number;
  try {
    ret = handler.run(
      r.hdr[h + HDR_OP] as number,
      r.input(slot, inLen),
      r.output(slot),
      r.hdr[h + HDR_ARG] as number,
    );
  } catch {
    ret = -EINVAL; // a handler must not throw; if it does, the descriptor fails, not the engine
  }
  r.hdr[h + HDR_RESULT] = ret;
  Atomics.store(r.state, slot, SLOT_DONE);
  // Wake a waiting submitter only once it has what it waits for (one wake per batch, not per page).
  const completions = Atomics.add(r.ctrl, CTRL_COMPLETIONS, 1) + 1;
  if (completions >= Atomics.load(r.ctrl, CTRL_WAKE_AT)) Atomics.notify(r.ctrl, CTRL_COMPLETIONS);
}

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
      if (Atomics.load(r.state, slot) !== SLOT_SUBMITTED) continue;
      if (Atomics.compareExchange(r.state, slot, SLOT_SUBMITTED, SLOT_RUNNING) !== SLOT_SUBMITTED)
        continue;
      runSlot(r, handler, slot);
      cursor = (slot + 1) % n;
      ran = true;
      break;
    }
    if (!ran) Atomics.wait(r.ctrl, CTRL_DOORBELL, bell);
  }
}

const data = workerData as EngineWorkerData;
const views = new RingViews(data.sab, data.geometry);
const mod = (await import(data.handler)) as EngineHandlerModule;
const handler = mod.createHandler();
Atomics.add(views.ctrl, CTRL_READY, 1);
Atomics.notify(views.ctrl, CTRL_READY);
loop(views, handler, data.index);
