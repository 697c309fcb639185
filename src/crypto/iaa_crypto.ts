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
 * simulator, whether a polled descriptor has completed is a checker choice ("pick", 0 = done),
 * so completion order is explored.
 */
import { Completion, complete, waitForCompletion } from "../kernel/completion.ts";
import { choose, type Op, sched } from "../kernel/effect.ts";
import { ENOSPC, ETIMEDOUT } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { Mutex, mutexLock, mutexUnlock } from "../kernel/mutex.ts";
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

/** iaa_batch_ctx: per CPU, for the driver's lifetime (never freed at CPU offline). */
interface IaaBatchCtx {
  readonly mutex: Mutex;
}

interface IaaDriverState {
  readonly batchCtx: IaaBatchCtx[];
}

function driverState(k: Kernel): IaaDriverState {
  return k.subsystem("iaa_crypto", () => ({
    batchCtx: k.cpus.possible.map((cpu) => ({
      mutex: new Mutex(`iaa_batch_ctx(cpu${cpu})->mutex`, "&iaa_batch_ctx->mutex"),
    })),
  }));
}

export interface IaaDriverOptions {
  readonly device: IaaDevice;
  readonly syncMode: IaaSyncMode;
  /** Bound on polling passes of one batch (default: 64 simulated, 10^7 real). */
  readonly pollPassesMax?: number;
}

/** iaa_comp_acompress_batch(): see the file comment. Returns 0 or the first negative errno. */
export function* iaaCompAcompressBatch(
  k: Kernel,
  o: IaaDriverOptions,
  srcs: readonly Uint8Array[],
  sgl: readonly Scatterlist[],
): Op<number> {
  const ctx = driverState(k).batchCtx[k.cpu] as IaaBatchCtx; // raw_cpu_ptr
  yield* mutexLock(k, ctx.mutex);
  const ids: number[] = [];
  for (let i = 0; i < srcs.length; i++) {
    const sg = sgl[i] as Scatterlist;
    ids.push(o.device.submitCompress(srcs[i] as Uint8Array, sg.buf.length));
  }
  yield* pollAll(k, o, ids, sgl);
  mutexUnlock(k, ctx.mutex);
  let ret = 0;
  for (let i = 0; i < srcs.length && ret === 0; i++)
    ret = Math.min(0, (sgl[i] as Scatterlist).length);
  return ret;
}

function* pollAll(
  k: Kernel,
  o: IaaDriverOptions,
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
    if (o.syncMode === "async_irq") yield* waitIrq(k, o.device);
    for (let i = 0; i < ids.length; i++) {
      if (done[i]) continue;
      if (sim && (yield* choose(2, "pick", `iaa descriptor ${i} still pending`)) === 1) continue;
      const sg = sgl[i] as Scatterlist;
      const r = o.device.poll(ids[i] as number, sg.buf);
      if (r === null) continue;
      sg.length = r;
      done[i] = true;
      pending--;
    }
    if (pending > 0 && o.syncMode !== "async_irq") {
      if (sim) yield* sched("iaa_comp_poll pass");
      else o.device.relax();
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
    return iaaCompAcompressBatch(k, this.driver, srcs, sgl);
  }
}

export interface IaaFactoryOptions {
  readonly name: string;
  readonly kernelParams: string;
  /** The byte format (what a single request and each engine runs). */
  readonly codec: () => CompressorBackend;
  /** The device; default an InlineIaaDevice over a codec of its own. */
  readonly device?: IaaDevice;
  readonly syncMode?: IaaSyncMode;
}

/** An asynchronous, batching acomp algorithm over an IAA-like device. */
export function iaaCompressorFactory(o: IaaFactoryOptions): CompressorFactory {
  let driver: IaaDriverOptions | null = null;
  return {
    name: o.name,
    kernelParams: o.kernelParams,
    kernelNoSpaceErrno: -ENOSPC,
    asynchronous: true,
    create() {
      driver ??= {
        device: o.device ?? new InlineIaaDevice(o.codec()),
        syncMode: o.syncMode ?? "async",
      };
      return new IaaBackend(o.name, o.codec(), driver);
    },
  };
}
