/**
 * An IAA-like batching compressor driver (drivers/crypto/intel/iaa/iaa_crypto_main.c as the
 * batching series reshaped it, reference/zswap-design.md §3.3), over a device interface that
 * the simulator and the real side implement differently.
 *
 * iaa_comp_acompress_batch():
 *   1. lock the per-CPU batch ctx: raw_cpu_ptr(iaa_batch_ctx) then its mutex, as zswap's D7;
 *      the ctx lives as long as the driver, so a task that migrates while holding it is safe
 *      (scenario C22);
 *   2. submit every descriptor (movdir64b) before polling any, so the engines work in parallel;
 *   3. poll each pending descriptor once per pass until all are done, writing each result
 *      (length or negative errno) into its sg->length;
 *   4. unlock.
 *
 * sync_mode: `sync` (the driver polls), `async` (the caller polls: the series' default) and
 * `async_irq` (the caller sleeps until the device interrupts). Simplification: sync and async
 * run the same polling loop here; who runs it does not change what zswap sees.
 *
 * The polling loop is a real, bounded loop: a descriptor that never completes ends with
 * -ETIMEDOUT for its page (the idxd timeouts of the series) instead of hanging. In the
 * simulator one descriptor completes per polling pass, and which one is a checker choice
 * ("pick"), so every completion order is explored. Simplification: the simulator does not
 * explore a descriptor that never completes (the real device's pass bound covers that).
 */
import { Completion, complete, waitForCompletion } from "../kernel/completion.ts";
import {
  CPUHP_BP_PREPARE_DYN,
  cpuhpSetupStateMulti,
  cpuhpStateAddInstance,
} from "../kernel/cpuhp.ts";
import { choose, type Op, sched } from "../kernel/effect.ts";
import { ENOSPC, ETIMEDOUT } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { type KObj, kfree, memory, use } from "../kernel/memory.ts";
import { Mutex, mutexLock, mutexUnlock } from "../kernel/mutex.ts";
import { KernelBug } from "../kernel/report.ts";
import { simCompressorFactory } from "./algorithms/sim.ts";
import type { CompressorBackend, CompressorFactory } from "./algorithms/types.ts";
import type { BatchingBackend, Scatterlist } from "./batch.ts";

/** IAA_CRYPTO_MAX_BATCH_SIZE. */
export const IAA_CRYPTO_MAX_BATCH_SIZE = 8;

export type IaaSyncMode = "sync" | "async" | "async_irq";
export const IAA_SYNC_MODES: readonly IaaSyncMode[] = ["sync", "async", "async_irq"];

/**
 * The accelerator as the driver sees it: a work queue of descriptors and their completion
 * records. Calls never block, except waitIrq.
 */
export interface IaaDevice {
  readonly name: string;
  /** Queues a compress descriptor of `src` with `room` output bytes: its id, or -EAGAIN (WQ full). */
  submitCompress(src: Uint8Array, room: number): number;
  /**
   * Reads a descriptor's completion record: null while pending; once complete, copies the
   * output into `dst`, frees the descriptor and returns the length or a negative errno.
   */
  poll(id: number, dst: Uint8Array): number | null;
  /** async_irq: sleeps the thread until a completion is signalled or `timeoutMs` passed. */
  waitIrq(timeoutMs: number): void;
  /** async: a short pause between polling passes (cpu_relax). */
  relax(): void;
}

/**
 * A device that compresses a descriptor in the calling thread when it is first polled: the
 * simulator's device (completion order comes from the checker's choices) and the default
 * real one when no engines are configured.
 */
export class InlineIaaDevice implements IaaDevice {
  readonly name = "iaa-inline";
  private readonly pending = new Map<number, { src: Uint8Array; room: number }>();
  private nextId = 0;

  constructor(private readonly codec: CompressorBackend) {}

  submitCompress(src: Uint8Array, room: number): number {
    const id = this.nextId++;
    this.pending.set(id, { src, room });
    return id;
  }

  poll(id: number, dst: Uint8Array): number | null {
    const d = this.pending.get(id);
    if (d === undefined) throw new Error(`iaa-inline: descriptor ${id} is not pending`);
    this.pending.delete(id);
    return this.codec.compress(d.src, dst.subarray(0, d.room));
  }

  waitIrq(): void {}
  relax(): void {}
}

/**
 * iaa_batch_ctx: per CPU, allocated at driver init for the driver's lifetime. As posted (v13,
 * v14) it is never freed at CPU offline; `iaaCryptoFreeAtOffline` models a driver that did free
 * it there, which repeats C1 (scenario C22).
 */
interface IaaBatchCtx {
  readonly mutex: Mutex;
}

type BatchCtxObj = KObj<IaaBatchCtx>;

interface IaaDriverState {
  readonly batchCtx: Array<BatchCtxObj | null>;
  /** The device each algorithm of this kernel submits to (one per algorithm name). */
  readonly devices: Map<string, IaaDevice>;
}

function newBatchCtx(k: Kernel, cpu: number): BatchCtxObj {
  return memory(k).newObj(k, "iaa_batch_ctx", 64, {
    mutex: new Mutex(`iaa_batch_ctx(cpu${cpu})->mutex`, "&iaa_batch_ctx->mutex"),
  });
}

function driverState(k: Kernel): IaaDriverState {
  return k.subsystem("iaa_crypto", () => ({
    batchCtx: k.cpus.possible.map((cpu) => newBatchCtx(k, cpu)),
    devices: new Map(),
  }));
}

/**
 * The hypothetical driver that frees a CPU's batch ctx when the CPU dies (and allocates a new
 * one when it comes back): registers that teardown as a cpuhp PREPARE state. Returns 0.
 */
export function* iaaCryptoFreeAtOffline(k: Kernel): Op<number> {
  driverState(k);
  cpuhpSetupStateMulti(
    k,
    CPUHP_BP_PREPARE_DYN,
    "crypto/iaa:prepare",
    iaaBatchCtxPrepare,
    iaaBatchCtxDead,
  );
  return yield* cpuhpStateAddInstance(k, CPUHP_BP_PREPARE_DYN, { driver: "iaa_crypto" });
}

// The callbacks are top-level generators, not closures made per call: the checker runs C22-free
// thousands of times, and a generator closure per execution keeps each execution's kernel alive
// past the young-generation GCs (src/check/scenarios/bodies.ts).

// biome-ignore lint/correctness/useYield: an Op that completes at once
function* iaaBatchCtxPrepare(k: Kernel, cpu: number): Op<number> {
  const ds = driverState(k);
  ds.batchCtx[cpu] ??= newBatchCtx(k, cpu);
  return 0;
}

// biome-ignore lint/correctness/useYield: an Op that completes at once
function* iaaBatchCtxDead(k: Kernel, cpu: number): Op<number> {
  // No lock taken: a user may still hold it (C1's shape).
  kfree(k, driverState(k).batchCtx[cpu] ?? null);
  return 0;
}

export interface IaaDriverOptions {
  /** The device; null: an InlineIaaDevice per kernel over the algorithm's codec. */
  readonly device: IaaDevice | null;
  readonly syncMode: IaaSyncMode;
  /** Bound on polling passes of one batch (default: 64 simulated, 10^7 real). */
  readonly pollPassesMax?: number;
}

function deviceOf(k: Kernel, name: string, o: IaaDriverOptions, codec: CompressorBackend) {
  if (o.device !== null) return o.device;
  const devices = driverState(k).devices;
  let d = devices.get(name);
  if (d === undefined) devices.set(name, (d = new InlineIaaDevice(codec)));
  return d;
}

/** iaa_comp_acompress_batch(): see the file comment. Returns 0 or the first negative errno. */
export function* iaaCompAcompressBatch(
  k: Kernel,
  o: IaaDriverOptions,
  device: IaaDevice,
  srcs: readonly Uint8Array[],
  sgl: readonly Scatterlist[],
): Op<number> {
  const obj = driverState(k).batchCtx[k.cpu] ?? null; // raw_cpu_ptr
  if (obj === null)
    throw new KernelBug(
      "null-deref",
      "BUG: kernel NULL pointer dereference in iaa_comp_acompress_batch",
      [`iaa_batch_ctx of cpu${k.cpu} is NULL`],
    );
  const mutex = use(k, obj, "lock iaa_batch_ctx->mutex").mutex;
  yield* mutexLock(k, mutex);
  const ids: number[] = [];
  for (let i = 0; i < srcs.length; i++) {
    const sg = sgl[i] as Scatterlist;
    ids.push(device.submitCompress(srcs[i] as Uint8Array, sg.buf.length));
  }
  yield* pollAll(k, o, device, ids, sgl);
  // Still the ctx of the CPU we started on, even if we migrated while polling.
  mutexUnlock(k, use(k, obj, "unlock iaa_batch_ctx->mutex").mutex);
  let ret = 0;
  for (let i = 0; i < srcs.length && ret === 0; i++)
    ret = Math.min(0, (sgl[i] as Scatterlist).length);
  return ret;
}

function* pollAll(
  k: Kernel,
  o: IaaDriverOptions,
  device: IaaDevice,
  ids: readonly number[],
  sgl: readonly Scatterlist[],
): Op<void> {
  const sim = k.mode === "sim";
  const passesMax = o.pollPassesMax ?? (sim ? 64 : 10_000_000);
  const done = ids.map((id, i) => {
    if (id >= 0) return false;
    (sgl[i] as Scatterlist).length = id; // not submitted (-EAGAIN)
    return true;
  });
  let pending = done.filter((d) => !d).length;
  for (let pass = 0; pending > 0; pass++) {
    if (pass === passesMax) {
      k.note(`iaa_crypto: ${pending} descriptor(s) did not complete in ${passesMax} polls`);
      for (let i = 0; i < ids.length; i++)
        if (!done[i]) (sgl[i] as Scatterlist).length = -ETIMEDOUT;
      return;
    }
    if (o.syncMode === "async_irq") yield* waitIrq(k, device);
    // Simulated: which pending descriptor the device completes first is the checker's choice.
    const first = sim ? yield* choose(pending, "pick", "iaa: which descriptor completes") : 0;
    for (let i = 0, seen = 0; i < ids.length; i++) {
      if (done[i] || (sim && seen++ !== first)) continue;
      const sg = sgl[i] as Scatterlist;
      const r = device.poll(ids[i] as number, sg.buf);
      if (r === null) continue;
      sg.length = r;
      done[i] = true;
      pending--;
    }
    if (pending > 0 && o.syncMode !== "async_irq") {
      if (sim) yield* sched("iaa_comp_poll pass");
      else device.relax();
    }
  }
}

/** async_irq: the simulator sleeps on a completion signalled by an interrupt task. */
function* waitIrq(k: Kernel, device: IaaDevice): Op<void> {
  if (k.mode !== "sim") {
    device.waitIrq(1);
    return;
  }
  const c = new Completion(`iaa irq (${device.name})`);
  const irqCpu = k.cpus.onlineList()[0] as number;
  c.completer = k.spawn("iaa_irq", irqCpu, irq(k, c));
  yield* waitForCompletion(k, c);
}

function* irq(k: Kernel, c: Completion): Op<void> {
  yield* sched("iaa completion interrupt");
  complete(k, c);
}

/** The sim code behind the batching driver, for the checker (scenarios C22, C26). */
export const iaaSimBatchCompressorFactory: CompressorFactory = iaaCompressorFactory({
  name: "iaa-sim-batch",
  kernelParams: "none: the sim code behind the IAA batching driver (batch size 8), for the checker",
  codec: () => simCompressorFactory.create(),
});

/** A tfm's backend: the codec for single requests, the driver for batches. */
class IaaBackend implements BatchingBackend {
  readonly batchSize = IAA_CRYPTO_MAX_BATCH_SIZE;
  constructor(
    readonly name: string,
    private readonly codec: CompressorBackend,
    private readonly driver: IaaDriverOptions,
  ) {}

  compress(src: Uint8Array, dst: Uint8Array): number {
    return this.codec.compress(src, dst);
  }

  decompress(src: Uint8Array, dst: Uint8Array): number {
    return this.codec.decompress(src, dst);
  }

  compressBatch(k: Kernel, srcs: readonly Uint8Array[], sgl: readonly Scatterlist[]): Op<number> {
    const device = deviceOf(k, this.name, this.driver, this.codec);
    return iaaCompAcompressBatch(k, this.driver, device, srcs, sgl);
  }
}

export interface IaaFactoryOptions {
  readonly name: string;
  readonly kernelParams: string;
  /** The byte format (what a single request and each engine runs). */
  readonly codec: () => CompressorBackend;
  /** The device; default an InlineIaaDevice per kernel over a codec of its own. */
  readonly device?: IaaDevice;
  readonly syncMode?: IaaSyncMode;
}

/** An asynchronous, batching acomp algorithm over an IAA-like device. */
export function iaaCompressorFactory(o: IaaFactoryOptions): CompressorFactory {
  const driver: IaaDriverOptions = { device: o.device ?? null, syncMode: o.syncMode ?? "async" };
  return {
    name: o.name,
    kernelParams: o.kernelParams,
    kernelNoSpaceErrno: -ENOSPC,
    asynchronous: true,
    create() {
      return new IaaBackend(o.name, o.codec(), driver);
    },
  };
}
