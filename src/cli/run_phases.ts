/**
 * The `run` phases: every page of the corpus swapped out through the library, a chunk at a time,
 * then every page swapped back in and checked against the digest taken on the way out. The
 * stress actions (run_stress.ts) run between units; the job (run_job.ts) sets the phases up.
 */

import { faultInject } from "../kernel/fault_inject.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { SwapFileIoError } from "../real/errors.ts";
import { digestEquals, pageDigest } from "../real/page_hash.ts";
import {
  type SwapSlot,
  ZswapError,
  type ZswapInstance,
  ZswapWouldBlockError,
} from "../real/zswap_instance.ts";
import type { Progress } from "./progress.ts";
import type { RunHooks } from "./run_config.ts";
import { crossed, type Stress } from "./run_stress.ts";
import type { InFlight } from "./run_window.ts";
import { turn } from "./signals.ts";
import { UsageError } from "./usage_error.ts";

/** Pages between two turns of the event loop, so background writeback can do its I/O. */
const YIELD_PAGES = 256;

/** The corpus, page by page in order, a chunk at a time: never all of it in memory. */
export interface PageStream {
  readonly nrPages: number;
  readonly source: string;
  readonly seed: number | null;
  readonly mix: string | null;
  /** Fills `buf` with the next pages; returns how many (0 at the end). */
  next(buf: Uint8Array): number;
  /** sha256 of the pages `next` gave, hex (the whole corpus once it returned 0). */
  sha256(): string;
  close(): void;
}

export interface PhaseContext {
  readonly zswap: ZswapInstance;
  readonly corpus: PageStream;
  readonly nrPages: number;
  /** Pages per swap-out unit (--folio-size); folios start at multiples of it. */
  readonly folioPages: number;
  /** Pages per chunk: CHUNK_PAGES, or a folio if larger (so no folio straddles two chunks). */
  readonly chunkPages: number;
  readonly stress: Stress;
  readonly bar: Progress | null;
  readonly hooks: RunHooks;
  /** The 128-bit digest of page i at [4i, 4i + 4): 16 bytes a page instead of 4096. */
  readonly digests: Uint32Array;
  /** Swap-ins retried after an injected fault. */
  swapInRetries: number;
  /** --parallel: the calls in flight (swap-out, and swap-in without --fail); null: one at a time. */
  readonly window: {
    readonly out: InFlight<SwapSlot | null>;
    readonly in: InFlight<boolean> | null;
  } | null;
}

export interface SwapOutResult {
  /** Where each page went; null for a page that could not be swapped out. */
  readonly slots: (SwapSlot | null)[];
  /** Pages that could not be swapped out (a full disk): they stayed in memory, here. */
  readonly kept: Map<number, Uint8Array>;
  readonly seconds: number;
}

/**
 * Swaps every page out, a chunk of the corpus at a time, taking each page's digest first. The
 * phase's time leaves out reading or generating the corpus and hashing it: it is zswap's.
 */
export async function swapOutPhase(c: PhaseContext): Promise<SwapOutResult> {
  const slots = new Array<SwapSlot | null>(c.nrPages).fill(null);
  const kept = new Map<number, Uint8Array>();
  const chunk = new Uint8Array(c.chunkPages * PAGE_SIZE);
  let seconds = 0;
  let i = 0;
  // Bounded by the corpus: each round takes at least one page, or ends.
  for (let n = c.corpus.next(chunk); n > 0 && i < c.nrPages; n = c.corpus.next(chunk)) {
    for (let j = 0; j < n; j++) pageDigest(pageOf(chunk, j), c.digests, 4 * (i + j));
    const t0 = performance.now();
    for (let j = 0, u = 1; j < n; j += u, i += u) {
      // A folio where one fits at a multiple of the folio size, else a page.
      u = i % c.folioPages === 0 && j + c.folioPages <= n ? c.folioPages : 1;
      const unit = chunk.subarray(j * PAGE_SIZE, (j + u) * PAGE_SIZE);
      const [at, from, pages] = [i, j, u];
      const record = (slot: SwapSlot | null) => {
        for (let p = 0; p < pages; p++) {
          slots[at + p] = slot; // every page of a folio names the folio's slot
          if (slot === null) kept.set(at + p, pageOf(chunk, from + p).slice());
        }
      };
      // The chunk is reused: swapOut has finished with `unit` once it settles (the window is
      // drained before the chunk is refilled).
      if (c.window === null) record(await swapOutPage(c.zswap, unit));
      else await c.window.out.add(settleOrNull(c.zswap.swapOut(unit)), record);
      // A store the kernel refuses (the pool full) goes to disk at once: nothing waits for
      // the shrink worker. While background work is in flight it gets one turn of the event
      // loop per unit, as a kworker on the same CPU gets its share beside the storing task
      // (with --parallel the library's queue gives it that turn).
      const background = c.window === null && c.zswap.inFlight > 0;
      if (background || crossed(i + u, u, YIELD_PAGES)) await turn();
      if (crossed(i + u, u, YIELD_PAGES)) progress(c, "swap-out", i + u);
      await c.stress.between(i + u, u);
    }
    await c.window?.out.drain();
    seconds += (performance.now() - t0) / 1e3;
  }
  if (i !== c.nrPages) {
    throw new UsageError(
      `Cannot read corpus ${c.corpus.source}: it ended at page ${i} of ${c.nrPages}`,
    );
  }
  const t0 = performance.now();
  await flushWork(c.zswap);
  return { slots, kept, seconds: seconds + (performance.now() - t0) / 1e3 };
}

function pageOf(chunk: Uint8Array, j: number): Uint8Array {
  return chunk.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE);
}

export interface SwapInResult {
  mismatches: number;
  firstMismatch: number | null;
  unreadable: number;
  firstUnreadable: string | null;
  seconds: number;
}

/**
 * Swaps every page back in, a chunk at a time, then checks the chunk against the digests; the
 * phase's time leaves the checking out.
 */
export async function swapInPhase(c: PhaseContext, out: SwapOutResult): Promise<SwapInResult> {
  const r: SwapInResult = {
    mismatches: 0,
    firstMismatch: null,
    unreadable: 0,
    firstUnreadable: null,
    seconds: 0,
  };
  const chunk = new Uint8Array(c.chunkPages * PAGE_SIZE);
  const lost = new Uint8Array(c.chunkPages);
  for (let first = 0; first < c.nrPages; first += c.chunkPages) {
    const n = Math.min(c.chunkPages, c.nrPages - first);
    const t0 = performance.now();
    for (let j = 0, u = 1; j < n; j += u) {
      const i = first + j;
      u = out.slots[i]?.nrPages ?? 1;
      const [from, pages] = [j, u];
      const mark = (ok: boolean) => lost.fill(ok ? 0 : 1, from, from + pages);
      const read = swapInOne(c, out, i, chunk, j, r);
      if (c.window?.in == null) mark(await read);
      else await c.window.in.add(read, mark);
      if (crossed(i + u, u, YIELD_PAGES)) {
        progress(c, "swap-in", i + u);
        await turn();
      }
      await c.stress.between(c.nrPages + i + u, u);
    }
    await c.window?.in?.drain();
    r.seconds += (performance.now() - t0) / 1e3;
    for (let j = 0; j < n; j++) {
      if (lost[j] === 0 && !digestEquals(pageOf(chunk, j), c.digests, 4 * (first + j))) {
        r.mismatches++;
        r.firstMismatch ??= first + j;
      }
    }
  }
  const t0 = performance.now();
  await c.stress.end();
  await flushWork(c.zswap);
  r.seconds += (performance.now() - t0) / 1e3;
  return r;
}

/**
 * Swaps the unit at page i (a page, or the folio starting there) into the chunk at page j;
 * false (counted in r, per page) if it could not be read back.
 */
async function swapInOne(
  c: PhaseContext,
  out: SwapOutResult,
  i: number,
  chunk: Uint8Array,
  j: number,
  r: SwapInResult,
): Promise<boolean> {
  const slot = out.slots[i];
  const u = slot?.nrPages ?? 1;
  out.slots.fill(null, i, i + u);
  let ok = true;
  if (slot == null) {
    // A page that could not be swapped out never left memory: it is its own copy.
    pageOf(chunk, j).set(out.kept.get(i) as Uint8Array);
  } else {
    const back = await swapInRetrying(c, slot, chunk.subarray(j * PAGE_SIZE, (j + u) * PAGE_SIZE));
    if (back instanceof ZswapError) {
      r.unreadable += u;
      r.firstUnreadable ??= `page ${i}: ${back.message}`;
      ok = false;
    }
  }
  return ok;
}

function progress(c: PhaseContext, phase: string, done: number): void {
  c.bar?.update(done);
  c.hooks.onStatus?.(`${phase}, page ${done} of ${c.nrPages}`);
}

/** Swaps a page out; null when the swap file's disk is full (the page stays in memory). */
async function swapOutPage(zswap: ZswapInstance, page: Uint8Array): Promise<SwapSlot | null> {
  try {
    return zswap.swapOutSync(page);
  } catch (e) {
    if (e instanceof ZswapWouldBlockError)
      return await settleOrNull(e.pending as Promise<SwapSlot>);
    if (e instanceof ZswapError && staysInMemory(e)) return null;
    throw e;
  }
}

async function settleOrNull(p: Promise<SwapSlot>): Promise<SwapSlot | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ZswapError && staysInMemory(e)) return null;
    throw e;
  }
}

/**
 * A page that stays in memory: a failed write to the swap file (as opposed to no free slot in
 * it), or a page zswap refused whose memcg has memory.zswap.writeback 0 (EAGAIN).
 */
function staysInMemory(e: ZswapError): boolean {
  return e.code === "EAGAIN" || (e.cause instanceof SwapFileIoError && e.cause.op === "write");
}

/** Bound on the retries of one swap-in that keeps failing by injected faults. */
const INJECTED_RETRIES_MAX = 100;

/**
 * Swaps a page in. A failure that an injected fault (decompress, swap_read) explains is
 * retried: the page stays out, intact, as zswap_load() keeps the entry. Any other EIO (the
 * swap file lost or changed the page) comes back as the error, to be counted: the page is
 * lost, and its slot is freed. Anything else ends the run.
 */
async function swapInRetrying(
  c: PhaseContext,
  slot: SwapSlot,
  out: Uint8Array,
): Promise<Uint8Array | ZswapError> {
  const fi = faultInject(c.zswap.kernel);
  const injected = () =>
    fi === null ? 0 : fi.injectedIn("swapin", "decompress") + fi.injectedIn("swapin", "swap_read");
  for (let attempt = 0; ; attempt++) {
    const before = injected();
    try {
      const parallel = c.window?.in != null;
      return await (parallel ? c.zswap.swapIn(slot, out) : swapInPage(c.zswap, slot, out));
    } catch (e) {
      if (!(e instanceof ZswapError) || e.code !== "EIO") throw e;
      if (injected() > before && attempt < INJECTED_RETRIES_MAX) {
        c.swapInRetries++;
        continue;
      }
      if (slot.live) c.zswap.free(slot);
      return e;
    }
  }
}

async function swapInPage(
  zswap: ZswapInstance,
  slot: SwapSlot,
  out: Uint8Array,
): Promise<Uint8Array> {
  try {
    return zswap.swapInSync(slot, out);
  } catch (e) {
    if (e instanceof ZswapWouldBlockError) return (await e.pending) as Uint8Array;
    throw e;
  }
}

/** Waits for background work (writeback); a kernel bug there ends the run. */
async function flushWork(zswap: ZswapInstance): Promise<void> {
  await zswap.flush();
}
