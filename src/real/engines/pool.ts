/**
 * EnginePool: N worker threads ("engines") that process descriptors from a ring in shared
 * memory, for work worth handing to another core: a batch of page compressions (deflate-iaa's
 * engines, iaa_device.ts), or any per-CPU job that a module can run on bytes.
 *
 * The submitting thread never awaits: it writes descriptors into the ring and polls their
 * completion records, or sleeps on the completion counter (Atomics.wait), so kernel-side
 * generator code can use a pool synchronously, exactly as a driver uses a device.
 *
 * ```ts
 * const pool = EnginePool.create({ handler: new URL("./my_handler.ts", import.meta.url),
 *                                  inBytesMax: 4096, outBytesMax: 4096 });
 * const id = pool.submit(OP, input, arg);          // -1 when every slot is in use
 * while (!pool.done(id)) pool.waitCompletion(1);   // or poll other descriptors meanwhile
 * const n = pool.result(id); use(pool.output(id, n)); pool.release(id);
 * await pool.close();
 * ```
 *
 * The handler module exports `createHandler(): EngineHandler` (ring.ts); each engine loads it
 * once. Only one thread may submit to a pool (the ring has one producer). Engines are unref'd:
 * an open pool does not keep the process alive, and close() terminates them.
 */
import { availableParallelism } from "node:os";
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import {
  CTRL_CHAIN_JOBS,
  CTRL_COMPLETIONS,
  CTRL_DOORBELL,
  CTRL_READY,
  CTRL_SHUTDOWN,
  CTRL_SLEEPERS,
  CTRL_SLEEPS,
  CTRL_SUBMITS,
  CTRL_WAKE_AT,
  claimSlot,
  type EngineHandler,
  type EngineWorkerData,
  HDR_ARG,
  HDR_IN_LEN,
  HDR_OP,
  HDR_RESULT,
  HDR_SERVICE_US,
  HDR_WORDS,
  type RingGeometry,
  RingViews,
  runSlot,
  SLOT_DONE,
  SLOT_FREE,
  SLOT_SUBMITTED,
  WAKE_AT_NOBODY,
} from "./ring.ts";

export interface EnginePoolOptions {
  /** The module the engines run (exports createHandler). */
  readonly handler: URL;
  /** Number of engines (default: one per core, at most 64). */
  readonly engines?: number;
  /** Descriptor slots in the ring (default 64). */
  readonly slots?: number;
  readonly inBytesMax: number;
  readonly outBytesMax: number;
  /**
   * An engine that claims a descriptor wakes a sleeping one when at least this many more wait
   * unclaimed (default 1: every descriptor gets an engine at once, as a batch on a device does;
   * more: short jobs stay on fewer engines, with fewer wake-ups).
   */
  readonly chainJobs?: number;
}

/** How long start-up may take before waitReady reports it (engines load their modules). */
const READY_TIMEOUT_MS = 30_000;

export class EnginePool {
  readonly engines: number;
  /** The module the engines run. */
  readonly handler: URL;
  private readonly ring: RingViews;
  private readonly workers: Worker[];
  /** Free slots, oldest first (a FIFO, so engines scanning on from their last slot meet descriptors roughly in submission order). */
  private readonly freeSlots: Int32Array;
  private freeHead = 0;
  private freeCount: number;
  private readonly errors: Error[] = [];
  /**
   * One per engine: where its bootstrap reports a failure to load. Read synchronously
   * (receiveMessageOnPort), because a submitter blocked in Atomics.wait gets no 'error' event.
   */
  private readonly loadFailures: MessagePort[] = [];
  private closed = false;
  private submitted = 0;
  /** Descriptors submitted since the engines were last woken (kick). */
  private unrung = 0;

  private constructor(o: EnginePoolOptions, engines: number) {
    const g: RingGeometry = {
      slots: o.slots ?? 64,
      inBytesMax: o.inBytesMax,
      outBytesMax: o.outBytesMax,
    };
    this.engines = engines;
    this.handler = o.handler;
    this.ring = new RingViews(new SharedArrayBuffer(RingViews.bytes(g)), g);
    Atomics.store(this.ring.ctrl, CTRL_WAKE_AT, WAKE_AT_NOBODY);
    Atomics.store(this.ring.ctrl, CTRL_CHAIN_JOBS, Math.max(1, o.chainJobs ?? 1));
    this.freeSlots = Int32Array.from({ length: g.slots }, (_, i) => i);
    this.freeCount = g.slots;
    this.workers = Array.from({ length: engines }, (_, index) => this.spawn(o.handler, index));
  }

  /** Starts the engines; they load in the background (submissions queue meanwhile). */
  static create(o: EnginePoolOptions): EnginePool {
    const engines = o.engines ?? Math.min(64, availableParallelism());
    if (!Number.isInteger(engines) || engines < 1 || engines > 64)
      throw new RangeError(`EnginePool: expected 1..64 engines, got ${engines}`);
    const slots = o.slots ?? 64;
    if (!Number.isInteger(slots) || slots < 1 || slots > 4096)
      throw new RangeError(`EnginePool: expected 1..4096 slots, got ${slots}`);
    return new EnginePool(o, engines);
  }

  /** create(), then waitReady(): the engines' start-up is not charged to the first jobs. */
  static start(o: EnginePoolOptions): EnginePool {
    const pool = EnginePool.create(o);
    try {
      pool.waitReady();
    } catch (e) {
      void pool.close();
      throw e;
    }
    return pool;
  }

  private spawn(handler: URL, index: number): Worker {
    const data: EngineWorkerData = {
      sab: this.ring.sab,
      geometry: this.ring.g,
      handler: handler.href,
      index,
    };
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    this.loadFailures.push(port1);
    const w = new Worker(bootstrap(), {
      eval: true,
      workerData: { ...data, ...entryOf(), failPort: port2 },
      transferList: [port2],
    });
    w.on("error", (e) => this.fail(e));
    // An engine that leaves without an error (process.exit() in its module) is a failure too.
    w.on("exit", (code) => {
      if (!this.closed) this.fail(new Error(`engine ${index} exited with code ${code}`));
    });
    w.unref();
    return w;
  }

  private fail(e: Error): void {
    this.errors.push(e);
    // Wake a submitter that sleeps on completions, so it sees the failure instead of hanging.
    Atomics.add(this.ring.ctrl, CTRL_COMPLETIONS, 1);
    Atomics.notify(this.ring.ctrl, CTRL_COMPLETIONS);
  }

  /** The first engine failure, or null. */
  get failure(): Error | null {
    try {
      this.throwIfFailed();
    } catch {
      // reported below
    }
    return this.errors[0] ?? null;
  }

  /** Engines that have loaded their handler. */
  get ready(): number {
    return Atomics.load(this.ring.ctrl, CTRL_READY);
  }

  /** Blocks until every engine has loaded (or throws after 30 s, or if one failed). */
  waitReady(): void {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (let r = this.ready; r < this.engines; r = this.ready) {
      this.throwIfFailed();
      if (Date.now() > deadline)
        throw new Error(
          `EnginePool: ${this.engines - r} engine(s) not ready after ${READY_TIMEOUT_MS} ms`,
        );
      Atomics.wait(this.ring.ctrl, CTRL_READY, r, 50);
    }
  }

  /**
   * Queues a descriptor; returns its slot, or -1 when every slot is in use. With `ring` false
   * the engines are not woken (a submitter queuing many calls kick() once after them: a wake-up
   * is a system call, more than an lz4 page costs).
   */
  submit(op: number, input: Uint8Array, arg = 0, ring = true): number {
    if (this.closed) throw new Error("EnginePool: submit after close");
    if (input.length > this.ring.g.inBytesMax)
      throw new RangeError(
        `EnginePool: input of ${input.length} bytes exceeds ${this.ring.g.inBytesMax}`,
      );
    if (this.freeCount === 0) return -1;
    const slot = this.freeSlots[this.freeHead] as number;
    this.freeHead = (this.freeHead + 1) % this.freeSlots.length;
    this.freeCount--;
    const h = slot * HDR_WORDS;
    this.ring.input(slot, input.length).set(input);
    this.ring.hdr[h + HDR_OP] = op;
    this.ring.hdr[h + HDR_IN_LEN] = input.length;
    this.ring.hdr[h + HDR_ARG] = arg;
    this.submitted++;
    Atomics.store(this.ring.state, slot, SLOT_SUBMITTED);
    Atomics.store(this.ring.ctrl, CTRL_SUBMITS, this.submitted);
    this.unrung++;
    if (ring) this.kick();
    return slot;
  }

  /**
   * Tells the engines about the descriptors submitted since the last kick, once there are at
   * least `min` of them: wakes one engine if all sleep. An engine that is awake finds them
   * before it sleeps, and an engine that finds more than it can run wakes the next
   * (engine_worker.ts), so the submitter makes one wake-up system call at most, and none
   * while an engine works. (Measured: waking every sleeper from here cost the calling thread
   * 7 us a page with lz4, more than the compression.)
   */
  kick(min = 1): void {
    if (this.unrung < Math.max(1, min)) return;
    this.unrung = 0;
    // Bump the doorbell even when nobody sleeps: an engine about to wait sees it changed.
    Atomics.add(this.ring.ctrl, CTRL_DOORBELL, 1);
    if (Atomics.load(this.ring.ctrl, CTRL_SLEEPERS) >= this.engines)
      Atomics.notify(this.ring.ctrl, CTRL_DOORBELL, 1);
  }

  /** Whether the descriptor's completion record is written. */
  done(slot: number): boolean {
    return Atomics.load(this.ring.state, slot) === SLOT_DONE;
  }

  /** The completed descriptor's result (a length or a negative errno). */
  result(slot: number): number {
    this.assertDone(slot);
    return this.ring.hdr[slot * HDR_WORDS + HDR_RESULT] as number;
  }

  /** The completed descriptor's output (a view into shared memory, valid until release). */
  output(slot: number, len: number): Uint8Array {
    this.assertDone(slot);
    return this.ring.output(slot, len);
  }

  /** Frees a completed descriptor's slot. */
  release(slot: number): void {
    this.assertDone(slot);
    Atomics.store(this.ring.state, slot, SLOT_FREE);
    const n = this.freeSlots.length;
    this.freeSlots[(this.freeHead + this.freeCount) % n] = slot;
    this.freeCount++;
  }

  /** A submitted descriptor's input (a view into shared memory, valid until release). */
  input(slot: number): Uint8Array {
    return this.ring.input(slot, this.ring.hdr[slot * HDR_WORDS + HDR_IN_LEN] as number);
  }

  /** Slots free for submit(). */
  get free(): number {
    return this.freeCount;
  }

  /** Microseconds the handler took for the completed descriptor (on whichever thread ran it). */
  serviceUs(slot: number): number {
    this.assertDone(slot);
    return this.ring.hdr[slot * HDR_WORDS + HDR_SERVICE_US] as number;
  }

  /**
   * Runs the descriptor in `slot` on the calling thread with `handler` (the engines' handler
   * module, loaded here too) if no engine has claimed it yet: the submitter helps instead of
   * sleeping while its engines wake up. Returns whether it ran it; if not, an engine has it.
   */
  help(slot: number, handler: EngineHandler): boolean {
    if (!claimSlot(this.ring, slot)) return false;
    runSlot(this.ring, handler, slot);
    return true;
  }

  /** Times engines went to sleep on the doorbell so far (each one is woken again by a system call). */
  get sleeps(): number {
    return Atomics.load(this.ring.ctrl, CTRL_SLEEPS);
  }

  /** Completions so far (compare before and after a wait). */
  get completions(): number {
    return Atomics.load(this.ring.ctrl, CTRL_COMPLETIONS);
  }

  /**
   * Sleeps until `completions` reaches `seen + want` (default: one completion after `seen`) or
   * `timeoutMs` passed; engines notify only then, so waiting for a whole batch costs one
   * wake-up. Throws if an engine died.
   */
  waitCompletion(seen: number, timeoutMs: number, want = 1): void {
    this.throwIfFailed();
    const target = seen + want;
    Atomics.store(this.ring.ctrl, CTRL_WAKE_AT, target);
    const now = this.completions;
    // An engine that completes between the read and the wait changes the word: no lost wake-up.
    if (now < target) Atomics.wait(this.ring.ctrl, CTRL_COMPLETIONS, now, timeoutMs);
    Atomics.store(this.ring.ctrl, CTRL_WAKE_AT, WAKE_AT_NOBODY);
    this.throwIfFailed();
  }

  /** Descriptors submitted and not yet completed. */
  get outstanding(): number {
    return this.submitted - this.completions;
  }

  /** Stops and terminates the engines. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ring.ctrl, CTRL_SHUTDOWN, 1);
    Atomics.notify(this.ring.ctrl, CTRL_DOORBELL);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private assertDone(slot: number): void {
    if (!this.done(slot)) throw new Error(`EnginePool: descriptor ${slot} is not complete`);
  }

  private throwIfFailed(): void {
    for (const [i, port] of this.loadFailures.entries()) {
      const m = receiveMessageOnPort(port);
      if (m !== undefined) this.fail(new Error(`engine ${i} failed to load: ${m.message}`));
    }
    const e = this.errors[0];
    if (e !== undefined)
      throw new Error(`EnginePool: an engine failed: ${e.message}`, { cause: e });
  }
}

/**
 * How an engine starts: plain `import()` of engine_worker.js when we run compiled; through
 * tsx's loader when we run from the TypeScript sources (bin/zswap-ts.js, `node --import tsx`).
 */
function entryOf(): { entry: string; tsx: string | null } {
  const ts = import.meta.url.endsWith(".ts");
  const entry = siblingModule(import.meta.url, "engine_worker").href;
  return { entry, tsx: ts ? import.meta.resolve("tsx/esm/api") : null };
}

/**
 * The URL of module `stem` beside the module at `base` (pass import.meta.url), with the suffix
 * we run from: `.ts` from the sources, `.js` once compiled. For EnginePoolOptions.handler.
 */
export function siblingModule(base: string, stem: string): URL {
  return new URL(`./${stem}${base.endsWith(".ts") ? ".ts" : ".js"}`, base);
}

/**
 * The engine's first code. It imports rather than requires, so that it runs as CommonJS or as a
 * module (a parent started with --input-type=module passes that on to its workers), and reports
 * a failure to load on its port first, where a submitter that waits for it can read it.
 */
function bootstrap(): string {
  return [
    "(async () => {",
    '  const { workerData } = await import("node:worker_threads");',
    "  try {",
    "    if (workerData.tsx !== null) (await import(workerData.tsx)).register();",
    "    await import(workerData.entry);",
    "  } catch (e) {",
    "    workerData.failPort.postMessage(String(e && e.message || e));",
    "    throw e;",
    "  }",
    "})().catch((e) => { setImmediate(() => { throw e; }); });",
  ].join("\n");
}
