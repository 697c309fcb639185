/**
 * The asynchronous compression API (include/crypto/acompress.h), as zswap uses it.
 *
 * Objects are tracked kernel allocations, so the lifecycle bugs (freeing a request or tfm that
 * a migrated task still uses) are caught. Compress and decompress complete through
 * `crypto_wait_req`, a point where the caller waits for completion and can be preempted or
 * migrated; a synchronous software algorithm completes at once, an asynchronous accelerator
 * later (see iaa.ts).
 *
 * scomp_lock: in the kernels that had the C5 ABBA (6.13-6.14), every software (scomp) tfm's
 * init took the global scomp_lock and, for the first user, allocated the per-CPU scratch
 * buffers under it (GFP_KERNEL, so it may reclaim); freeing a tfm took scomp_lock too
 * (crypto_exit_scomp_ops_async). We model exactly that. Later kernels reworked scomp scratch
 * handling; `scompLockModel: false` turns the lock off for the profiles that do not have it.
 */

import { Completion, complete, waitForCompletion } from "../kernel/completion.ts";
import { type Op, returned, sched } from "../kernel/effect.ts";
import { ENOSPC } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import {
  GFP_KERNEL,
  type Gfp,
  type KObj,
  kfree,
  kfreeAndYield,
  kmalloc,
  use,
} from "../kernel/memory.ts";
import { Mutex, mutexLock, mutexUnlockAndYield } from "../kernel/mutex.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { traced } from "../kernel/site.ts";
import type { CompressorRegistry } from "./algorithms/registry.ts";
import type { CompressorBackend } from "./algorithms/types.ts";

/** Where algorithms come from: the real side registers the native ones, the simulator "sim". */
export type AlgorithmSource = CompressorRegistry;

export class CryptoState {
  readonly scompLock = new Mutex("scomp_lock", "scomp_lock");
  scompScratchUsers = 0;
  scompScratch: KObj<null> | null = null;
  /** Model scomp_lock and its scratch allocation (kernels 6.13-6.14). */
  scompLockModel = true;
  constructor(public algorithms: AlgorithmSource) {}
}

export function cryptoState(k: Kernel): CryptoState {
  const s = k.subsystems.get("crypto") as CryptoState | undefined;
  if (s === undefined)
    throw new Error("crypto: no algorithms registered; call setCryptoAlgorithms(k, source) first");
  return s;
}

export function setCryptoAlgorithms(k: Kernel, source: AlgorithmSource): CryptoState {
  const s = new CryptoState(source);
  k.subsystems.set("crypto", s);
  return s;
}

export interface CryptoAcomp {
  readonly name: string;
  readonly backend: CompressorBackend;
  /** What the kernel's wrapper returns when the output does not fit (-EINVAL or -ENOSPC). */
  readonly noSpaceErrno: number;
  /** Completes from an interrupt (IAA-like) rather than at once. */
  readonly asynchronous: boolean;
}

export type Tfm = KObj<CryptoAcomp>;

export interface AcompReq {
  readonly tfm: Tfm;
  /** Output length after a completed request (req->dlen). */
  dlen: number;
}

export type Req = KObj<AcompReq>;

/**
 * Algorithms whose kernel wrapper ignores the request's dlen: the sim stand-ins, which model the
 * crypto/lzo.c of upstream 6.12 (lzo1x_1_compress, no output bound). The real lzo follows the
 * kernels of the profiles: 7.3.4 and Debian's 6.12.117 both call lzo1x_1_compress_safe, which
 * fails (-EINVAL) when the output would pass dlen.
 */
const IGNORES_DLEN = new Set(["sim", "sim-b", "iaa-sim"]);

/** crypto_has_acomp(). */
export function cryptoHasAcomp(k: Kernel, name: string): boolean {
  return cryptoState(k).algorithms.has(name);
}

/** A clear error for an unknown algorithm name. */
export function unknownAlgorithmMessage(k: Kernel, name: string): string {
  return `Unknown compressor '${name}'; available: ${cryptoState(k).algorithms.names().join(", ")}`;
}

/** crypto_alloc_acomp_node(): null on allocation failure, -ENOENT via `error` for unknown names. */
export function* cryptoAllocAcomp(k: Kernel, name: string, gfp: Gfp = GFP_KERNEL): Op<Tfm | null> {
  const cs = cryptoState(k);
  if (!cs.algorithms.has(name)) return null;
  const factory = cs.algorithms.get(name);
  const tfm = yield* kmalloc(k, "crypto_acomp", 256, gfp, () => ({
    name,
    backend: factory.create(),
    noSpaceErrno: factory.kernelNoSpaceErrno,
    asynchronous: factory.asynchronous ?? false,
  }));
  if (tfm === null) return null;
  // Only software (scomp) algorithms go through scomp's scratch buffers and scomp_lock.
  if (cs.scompLockModel && !tfm.data.asynchronous && !(yield* scompInitTfm(k, cs))) {
    kfree(k, tfm);
    return null;
  }
  return tfm;
}

/** crypto_scomp_init_tfm(): the first user allocates scratch buffers while holding scomp_lock. */
function* scompInitTfm(k: Kernel, cs: CryptoState): Op<boolean> {
  yield* mutexLock(k, cs.scompLock);
  let ok = true;
  if (cs.scompScratchUsers++ === 0) {
    cs.scompScratch = yield* kmalloc(k, "scomp_scratch", 2 * PAGE_SIZE, GFP_KERNEL, () => null);
    if (cs.scompScratch === null) {
      cs.scompScratchUsers--;
      ok = false;
    }
  }
  yield* mutexUnlockAndYield(k, cs.scompLock);
  return ok;
}

/** crypto_free_acomp(): takes scomp_lock (crypto_exit_scomp_ops_async); the last user frees scratch. */
export function cryptoFreeAcomp(k: Kernel, tfm: Tfm | null): Op<void> {
  return traced(k, "crypto_free_acomp", freeAcomp(k, tfm));
}

function* freeAcomp(k: Kernel, tfm: Tfm | null): Op<void> {
  if (tfm === null) return;
  const cs = cryptoState(k);
  const asynchronous = use(k, tfm, "read tfm->base").asynchronous;
  if (cs.scompLockModel && !asynchronous) {
    yield* mutexLock(k, cs.scompLock);
    if (--cs.scompScratchUsers === 0) {
      kfree(k, cs.scompScratch);
      cs.scompScratch = null;
    }
    yield* mutexUnlockAndYield(k, cs.scompLock);
  }
  yield* kfreeAndYield(k, tfm);
}

/** acomp_request_alloc(): GFP_KERNEL, may fail or reclaim. */
export function* acompRequestAlloc(k: Kernel, tfm: Tfm, gfp: Gfp = GFP_KERNEL): Op<Req | null> {
  use(k, tfm, "read tfm->reqsize");
  return yield* kmalloc(k, "acomp_req", 96, gfp, () => ({ tfm, dlen: 0 }));
}

/** acomp_request_free(). */
export function acompRequestFree(k: Kernel, req: Req | null): void {
  kfree(k, req);
}

/**
 * crypto_wait_req(crypto_acomp_compress(req)): compresses `src` into `dst`; returns dlen or a
 * negative errno (-ENOSPC when it does not fit). The wait is a scheduling point, and the
 * caller reads req->dlen after it, which is where the historical UAF struck.
 */
export function acompCompress(
  k: Kernel,
  req: Req,
  src: Uint8Array,
  dst: Uint8Array,
  dlenLimit = dst.length,
): Op<number> {
  const r = use(k, req, "write req->src/dst");
  const tfm = use(k, r.tfm, "read tfm->compress");
  // req->dlen says how much the compressor may write. The real wrappers honour it; the sim
  // stand-ins ignore it and write what they need (upstream 6.12 relied on a two-page dst).
  const out =
    dlenLimit < dst.length && !IGNORES_DLEN.has(tfm.name) ? dst.subarray(0, dlenLimit) : dst;
  let ret = tfm.backend.compress(src, out);
  if (ret === -ENOSPC) ret = tfm.noSpaceErrno;
  return acompWait(k, req, tfm, ret, "compress");
}

/**
 * crypto_wait_req() after the backend ran, then req->dlen. Only the simulator waits (a
 * preemption point, or an accelerator's completion); in real mode the work is done, so the
 * result comes back without a generator.
 */
function acompWait(k: Kernel, req: Req, tfm: CryptoAcomp, ret: number, what: string): Op<number> {
  if (k.mode === "sim") return acompWaitSim(k, req, tfm, ret, what);
  return returned(acompDlen(k, req, ret));
}

function* acompWaitSim(
  k: Kernel,
  req: Req,
  tfm: CryptoAcomp,
  ret: number,
  what: string,
): Op<number> {
  yield* cryptoWaitReq(k, tfm, what);
  return acompDlen(k, req, ret);
}

/** Sets req->dlen from the backend's return; the length, or a negative errno. */
function acompDlen(k: Kernel, req: Req, ret: number): number {
  const done = use(k, req, "read req->dlen");
  done.dlen = Math.max(ret, 0);
  return ret < 0 ? ret : done.dlen;
}

/**
 * crypto_wait_req(): for a synchronous (scomp) algorithm the work is done and this is only a
 * point where the caller may be preempted; for an asynchronous accelerator the caller sleeps on
 * the request's completion until the device's interrupt (a task on the first online CPU)
 * signals it, so it may be migrated, and its CPU may go down, while it waits.
 */
function* cryptoWaitReq(k: Kernel, tfm: CryptoAcomp, what: string): Op<void> {
  if (!tfm.asynchronous) {
    yield* sched(`crypto_wait_req ${what}`);
    return;
  }
  const done = new Completion(`crypto_wait_req ${what} (${tfm.name})`);
  const irqCpu = k.cpus.onlineList()[0] as number;
  done.completer = k.spawn(`${tfm.name}_irq`, irqCpu, deviceCompletes(k, done));
  yield* waitForCompletion(k, done);
}

function* deviceCompletes(k: Kernel, done: Completion): Op<void> {
  yield* sched("descriptor completes");
  complete(k, done); // crypto_req_done()
}

/** crypto_wait_req(crypto_acomp_decompress(req)): returns dlen or a negative errno. */
export function acompDecompress(k: Kernel, req: Req, src: Uint8Array, dst: Uint8Array): Op<number> {
  const r = use(k, req, "write req->src/dst");
  const tfm = use(k, r.tfm, "read tfm->decompress");
  const ret = tfm.backend.decompress(src, dst);
  return acompWait(k, req, tfm, ret, "decompress");
}
