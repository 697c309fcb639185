/**
 * The shared-memory layout of an engine pool (see pool.ts): a ring of descriptor slots, each
 * with a state word, a small header and input/output byte areas, plus control words, all in one
 * SharedArrayBuffer that the submitting thread and every engine map.
 *
 * A slot's life: FREE -> SUBMITTED (the submitter wrote input and header) -> RUNNING (an engine
 * claimed it with compareExchange) -> DONE (the engine wrote output and result) -> FREE (the
 * submitter read the completion record and released it). Only the submitter moves a slot out
 * of FREE or DONE; only engines move it out of SUBMITTED or RUNNING. Atomics order every
 * handover, so the byte areas need no locks.
 */

export const SLOT_FREE = 0;
export const SLOT_SUBMITTED = 1;
export const SLOT_RUNNING = 2;
export const SLOT_DONE = 3;

/** Control words (Int32 indices). */
export const CTRL_DOORBELL = 0; // bumped on every submission; idle engines wait on it
export const CTRL_COMPLETIONS = 1; // bumped on every completion; waiting submitters wait on it
export const CTRL_SHUTDOWN = 2; // 1: engines leave their loop
export const CTRL_READY = 3; // engines that finished loading
export const CTRL_WAKE_AT = 4; // engines notify completions only from this count on
export const CTRL_SLEEPERS = 5; // engines asleep on the doorbell (or about to be): whom to wake
export const CTRL_SUBMITS = 6; // descriptors submitted so far (written by the submitter only)
export const CTRL_CLAIMS = 7; // descriptors claimed so far (engines, and a helping submitter)
export const CTRL_CHAIN_JOBS = 8; // an engine wakes a sleeping one when this many wait unclaimed
export const CTRL_SLEEPS = 9; // times engines went to sleep on the doorbell (each costs a wake-up)
export const CTRL_WORDS = 10;

/** CTRL_WAKE_AT while no submitter waits: engines then complete without a notify call. */
export const WAKE_AT_NOBODY = 0x7fffffff;

/** Header words per slot (Int32): op, input length, argument, result, service time. */
export const HDR_OP = 0;
export const HDR_IN_LEN = 1;
export const HDR_ARG = 2;
export const HDR_RESULT = 3;
/** Microseconds (rounded up) the handler took: what the work cost, wherever it ran. */
export const HDR_SERVICE_US = 4;
export const HDR_WORDS = 5;

const EINVAL = 22;

export interface RingGeometry {
  readonly slots: number;
  readonly inBytesMax: number;
  readonly outBytesMax: number;
}

/** Typed views of one ring over its SharedArrayBuffer (built the same way on every thread). */
export class RingViews {
  readonly ctrl: Int32Array;
  readonly state: Int32Array;
  readonly hdr: Int32Array;
  readonly data: Uint8Array;

  constructor(
    readonly sab: SharedArrayBuffer,
    readonly g: RingGeometry,
  ) {
    let off = 0;
    this.ctrl = new Int32Array(sab, off, CTRL_WORDS);
    off += CTRL_WORDS * 4;
    this.state = new Int32Array(sab, off, g.slots);
    off += g.slots * 4;
    this.hdr = new Int32Array(sab, off, g.slots * HDR_WORDS);
    off += g.slots * HDR_WORDS * 4;
    this.data = new Uint8Array(sab, off, g.slots * (g.inBytesMax + g.outBytesMax));
  }

  static bytes(g: RingGeometry): number {
    return (
      (CTRL_WORDS + g.slots + g.slots * HDR_WORDS) * 4 + g.slots * (g.inBytesMax + g.outBytesMax)
    );
  }

  input(slot: number, len = this.g.inBytesMax): Uint8Array {
    const at = slot * (this.g.inBytesMax + this.g.outBytesMax);
    return this.data.subarray(at, at + len);
  }

  output(slot: number, len = this.g.outBytesMax): Uint8Array {
    const at = slot * (this.g.inBytesMax + this.g.outBytesMax) + this.g.inBytesMax;
    return this.data.subarray(at, at + len);
  }
}

/**
 * Runs the descriptor in `slot`, which the caller has claimed (SUBMITTED -> RUNNING), on
 * `handler`, and posts its completion record. Engines call it, and so may the submitting
 * thread when it helps (EnginePool.help).
 */
export function runSlot(r: RingViews, handler: EngineHandler, slot: number): void {
  const h = slot * HDR_WORDS;
  const inLen = r.hdr[h + HDR_IN_LEN] as number;
  const t0 = performance.now();
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
  r.hdr[h + HDR_SERVICE_US] = Math.ceil((performance.now() - t0) * 1e3);
  Atomics.store(r.state, slot, SLOT_DONE);
  // Wake a waiting submitter only once it has what it waits for (one wake per batch, not per page).
  const completions = Atomics.add(r.ctrl, CTRL_COMPLETIONS, 1) + 1;
  if (completions >= Atomics.load(r.ctrl, CTRL_WAKE_AT)) Atomics.notify(r.ctrl, CTRL_COMPLETIONS);
}

/** Claims `slot` if it is SUBMITTED (engines and a helping submitter race for it). */
export function claimSlot(r: RingViews, slot: number): boolean {
  const won =
    Atomics.load(r.state, slot) === SLOT_SUBMITTED &&
    Atomics.compareExchange(r.state, slot, SLOT_SUBMITTED, SLOT_RUNNING) === SLOT_SUBMITTED;
  if (won) Atomics.add(r.ctrl, CTRL_CLAIMS, 1);
  return won;
}

/** Descriptors submitted and not claimed yet (a snapshot: both counters move meanwhile). */
export function unclaimed(r: RingViews): number {
  return Atomics.load(r.ctrl, CTRL_SUBMITS) - Atomics.load(r.ctrl, CTRL_CLAIMS);
}

/** What an engine runs for each descriptor: a module's `createHandler()` returns one per engine. */
export interface EngineHandler {
  /** Processes `input` into `output`; returns a length or a negative errno. Must not throw. */
  run(op: number, input: Uint8Array, output: Uint8Array, arg: number): number;
}

/** What a handler module exports. */
export interface EngineHandlerModule {
  createHandler(): EngineHandler;
}

/** workerData of an engine. */
export interface EngineWorkerData {
  readonly sab: SharedArrayBuffer;
  readonly geometry: RingGeometry;
  /** URL of the handler module. */
  readonly handler: string;
  /** Index of this engine (where it starts scanning the ring). */
  readonly index: number;
}
