/**
 * InstanceSwap: a ZswapInstance's swap path (swapOut, swapIn, their Sync forms, and free), with
 * the large folios whose swap-in failed part way. The instance delegates to it; see
 * zswap_instance.ts for the calls' contracts.
 */
import { EIO } from "../kernel/errno.ts";
import { faultInject } from "../kernel/fault_inject.ts";
import { swapFree, swapInCall, swapOutCall } from "../mm/swap.ts";
import { type SwpEntry, swpEntry } from "../mm/swap_entry.ts";
import { asZswapError, swapInError, swapOutError, wouldBlockError, ZswapError } from "./errors.ts";
import type { InstanceCore } from "./instance_core.ts";
import { Pending, runOp, runOpCall } from "./run_op.ts";
import { SwapSlot } from "./swap_slot.ts";
import { describe, FOLIO_PAGES_MAX, PAGE_SIZE } from "./types.ts";
import type { ZswapInstance } from "./zswap_instance.ts";

/** @internal The swap-out / swap-in half of a ZswapInstance. */
export class InstanceSwap {
  /** Large folios whose swap-in failed part way: the pages already in, and their bytes. */
  private readonly partialSwapIns = new WeakMap<
    SwapSlot,
    { readonly pagesIn: number; readonly bytes: Uint8Array }
  >();
  /** Whether partialSwapIns was ever written: until then, swap-in skips its lookups. */
  private anyPartialSwapIn = false;

  constructor(
    private readonly c: InstanceCore,
    /** The instance whose slots these are (SwapSlot.check compares it). */
    private readonly owner: ZswapInstance,
  ) {}

  // --- swap-out -------------------------------------------------------------------------------

  swapOut(page: Uint8Array): Promise<SwapSlot> {
    const par = this.c.par;
    if (!par?.queues) return this.swapOutNow(page);
    // Multi-core mode: the queue's promise as it is (see swapIn).
    try {
      this.checkPage(page);
    } catch (e) {
      return Promise.reject(e);
    }
    return par.swapOut(page, () => this.swapOutSync(page));
  }

  private async swapOutNow(page: Uint8Array): Promise<SwapSlot> {
    const nr = this.checkPage(page);
    const writeErrors = this.writeFailures();
    const r = this.swapOutOp(page, false);
    return this.slotOf(r instanceof Pending ? await r.promise : r, nr, writeErrors);
  }

  swapOutSync(page: Uint8Array): SwapSlot {
    const nr = this.checkPage(page);
    const writeErrors = this.writeFailures();
    const r = this.swapOutOp(page, true);
    if (!(r instanceof Pending)) return this.slotOf(r, nr, writeErrors);
    const slot = r.promise.then((ret) => this.slotOf(ret, nr, writeErrors));
    throw wouldBlockError("swapOutSync", r.blocked, slot);
  }

  private swapOutOp(
    page: Uint8Array,
    syncIo: boolean,
  ): SwpEntry | number | Pending<SwpEntry | number> {
    const c = this.c;
    const cpu = c.nextCpu();
    return runOpCall(
      c.ex,
      "swapout",
      cpu,
      swapOutCall,
      c.dev.type,
      page,
      c.memcg,
      false,
      syncIo,
      "swap out",
    );
  }

  private checkPage(page: Uint8Array): number {
    this.c.checkOpen();
    if (!(page instanceof Uint8Array)) {
      throw new ZswapError(
        "EINVAL",
        `Cannot swap out: expected a Uint8Array page, got ${describe(page)}`,
      );
    }
    const nr = page.length / PAGE_SIZE;
    if (!Number.isInteger(nr) || nr < 1 || nr > FOLIO_PAGES_MAX || (nr & (nr - 1)) !== 0) {
      throw new ZswapError(
        "EINVAL",
        `Cannot swap out: expected ${PAGE_SIZE} bytes or a large folio of 2^n pages (up to ${FOLIO_PAGES_MAX}), got ${page.length} bytes`,
      );
    }
    return nr;
  }

  /** Failed swap file writes: real ones and those injected (swap_write). */
  private writeFailures(): number {
    const c = this.c;
    return c.swap.writeErrors + (faultInject(c.kernel)?.injected.get("swap_write") ?? 0);
  }

  private slotOf(ret: unknown, nr: number, writeErrorsBefore: number): SwapSlot {
    if (typeof ret !== "number") return new SwapSlot(this.owner, (ret as SwpEntry).offset, nr);
    const c = this.c;
    throw swapOutError(ret, {
      path: c.swap.file.path,
      nrPages: nr,
      nrSlots: c.dev.nrSlots,
      nrFree: c.dev.nrFree,
      writeFailed: this.writeFailures() > writeErrorsBefore,
      injected: c.swap.writeErrors === 0,
    });
  }

  // --- swap-in --------------------------------------------------------------------------------

  swapIn(slot: SwapSlot, dst?: Uint8Array): Promise<Uint8Array> {
    const par = this.c.par;
    if (!par?.queues) return this.swapInNow(slot, dst);
    // Multi-core mode: the queue's promise as it is (an async function around it would cost
    // every call more turns of the microtask queue: measured with lz4 loads, 0.4 us a call on
    // the calling thread and 0.8 in all, a sixth of the load).
    let s: SwapSlot;
    try {
      s = SwapSlot.check(slot, this.owner, "swap in");
    } catch (e) {
      return Promise.reject(e);
    }
    return par.swapIn(this.c.dev.type, s.offset, s.nrPages, () => this.swapInSync(s, dst));
  }

  private async swapInNow(slot: SwapSlot, dst?: Uint8Array): Promise<Uint8Array> {
    const c = this.c;
    const s = SwapSlot.check(slot, this.owner, "swap in");
    const out = this.checkDst(s, dst);
    for (let i = this.resumeSwapIn(s, out); i < s.nrPages; i++) {
      const decompressFailBefore = c.z.stats.decompress_fail;
      try {
        const r = this.swapInOp(s, i, out, false);
        const ret = r instanceof Pending ? await r.promise : r;
        this.checkSwapInResult(s, i, ret, decompressFailBefore);
      } catch (e) {
        throw this.swapInFailed(s, i, out, e);
      }
    }
    return this.swapInDone(s, out);
  }

  swapInSync(slot: SwapSlot, dst?: Uint8Array): Uint8Array {
    const s = SwapSlot.check(slot, this.owner, "swap in");
    const out = this.checkDst(s, dst);
    for (let i = this.resumeSwapIn(s, out); i < s.nrPages; i++) {
      const decompressFailBefore = this.c.z.stats.decompress_fail;
      let r: Uint8Array | number | Pending<Uint8Array | number>;
      try {
        r = this.swapInOp(s, i, out, true);
        if (!(r instanceof Pending)) this.checkSwapInResult(s, i, r, decompressFailBefore);
      } catch (e) {
        throw this.swapInFailed(s, i, out, e);
      }
      if (r instanceof Pending) {
        const rest = this.swapInRest(s, i, out, r.promise, decompressFailBefore);
        throw wouldBlockError("swapInSync", r.blocked, rest);
      }
    }
    return this.swapInDone(s, out);
  }

  /** swapInSync's page `i` went asynchronous: wait for it, then swap in the rest. */
  private async swapInRest(
    s: SwapSlot,
    i: number,
    out: Uint8Array,
    pending: Promise<unknown>,
    decompressFailBefore: number,
  ): Promise<Uint8Array> {
    let j = i;
    try {
      this.checkSwapInResult(s, i, await pending, decompressFailBefore);
      for (j = i + 1; j < s.nrPages; j++) {
        const before = this.c.z.stats.decompress_fail;
        const r = this.swapInOp(s, j, out, false);
        this.checkSwapInResult(s, j, r instanceof Pending ? await r.promise : r, before);
      }
    } catch (e) {
      throw this.swapInFailed(s, j, out, e);
    }
    return this.swapInDone(s, out);
  }

  /**
   * A large folio's swap-in failed at page `i`: pages 0..i-1 are in (their slots released, as
   * pages faulted in stay mapped when a later one gets SIGBUS), so keep their bytes for the
   * next try, which resumes at page `i`; `free` then drops only the pages still out.
   */
  private swapInFailed(s: SwapSlot, i: number, out: Uint8Array, e: unknown): unknown {
    if (i > 0) {
      this.anyPartialSwapIn = true;
      this.partialSwapIns.set(s, { pagesIn: i, bytes: out.slice(0, i * PAGE_SIZE) });
    }
    return asZswapError(e, "swap in");
  }

  /** The first page still out; the bytes of those a failed swap-in already read go to `out`. */
  private resumeSwapIn(s: SwapSlot, out: Uint8Array): number {
    if (!this.anyPartialSwapIn) return 0;
    const partial = this.partialSwapIns.get(s);
    if (partial === undefined) return 0;
    out.set(partial.bytes);
    return partial.pagesIn;
  }

  private swapInDone(s: SwapSlot, out: Uint8Array): Uint8Array {
    if (this.anyPartialSwapIn) this.partialSwapIns.delete(s);
    SwapSlot.release(s);
    return out;
  }

  private checkDst(s: SwapSlot, dst: Uint8Array | undefined): Uint8Array {
    if (dst === undefined) return new Uint8Array(s.nrPages * PAGE_SIZE);
    if (!(dst instanceof Uint8Array) || dst.length !== s.nrPages * PAGE_SIZE) {
      throw new ZswapError(
        "EINVAL",
        `Cannot swap in slot ${s.offset}: expected dst of ${s.nrPages * PAGE_SIZE} bytes, got ${dst instanceof Uint8Array ? `${dst.length} bytes` : describe(dst)}`,
      );
    }
    return dst;
  }

  /** Swaps in page `i` of `s` into its place in `out` (errors thrown: ZswapError). */
  private swapInOp(
    s: SwapSlot,
    i: number,
    out: Uint8Array,
    syncIo: boolean,
  ): Uint8Array | number | Pending<Uint8Array | number> {
    const c = this.c;
    const dst = s.nrPages === 1 ? out : out.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    const swp = swpEntry(c.dev.type, s.offset + i);
    return runOpCall(
      c.ex,
      "swapin",
      c.nextCpu(),
      swapInCall,
      swp,
      c.memcg,
      dst,
      undefined,
      syncIo,
      "swap in",
    );
  }

  private checkSwapInResult(
    s: SwapSlot,
    i: number,
    ret: unknown,
    decompressFailBefore: number,
  ): void {
    if (typeof ret !== "number") return;
    const slot = s.offset + i;
    const failed = this.c.z.stats.decompress_fail;
    throw swapInError(ret, {
      slot,
      path: this.c.swap.file.path,
      // The swap file's own check says why it refused this slot, if it did (slot_check.ts).
      readProblem: ret === -EIO ? this.c.swap.lastReadProblem(slot) : null,
      decompressFail: failed > decompressFailBefore ? failed : null,
    });
  }

  // --- free -----------------------------------------------------------------------------------

  free(slot: SwapSlot): void {
    const c = this.c;
    const s = SwapSlot.check(slot, this.owner, "free");
    // Pages a failed swap-in already read are no longer out: their slots may be someone else's.
    const first = this.partialSwapIns.get(s)?.pagesIn ?? 0;
    this.partialSwapIns.delete(s);
    for (let i = first; i < s.nrPages; i++) {
      const op = swapFree(c.kernel, swpEntry(c.dev.type, s.offset + i));
      // swap_free() takes no lock that an in-flight operation could hold, so it never blocks.
      if (runOp(c.ex, "swap_free", c.nextCpu(), op, true, "free") instanceof Pending)
        throw new Error("free: swap_free blocked, which it never does");
    }
    SwapSlot.release(s);
  }
}
