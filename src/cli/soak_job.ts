/**
 * The `soak` job: a seeded random workload of mixed operations on one zswap instance (stores of
 * pages and large folios, loads, frees, writeback under a small pool, CPU hotplug, compressor
 * switches, pool limit changes), with faults injected, checked against a data oracle after
 * every load. The command and its flags are in cmd_soak.ts; docs/soak.md.
 *
 * The oracle keeps a copy of every page that is swapped out. What "nothing lost" means here:
 * - a load that succeeds returns exactly the bytes stored (else: corrupted);
 * - a load that fails must fail with EIO, in the same call as an injected decompress or
 *   swap_read fault (else: lost), and the slot must still hold the page: injected faults are
 *   transient (the compressed data and the swap file are intact), as zswap_load() keeps the
 *   entry on a decompression failure, so the page is loaded again later and must come back;
 * - a swap-out that fails must be an injected swap_write fault (the caller keeps the page);
 * - at the end every page still out is loaded (with retries), and zswap and the swap file must
 *   be empty: nothing left behind either.
 * A page that still failed after DRAIN_RETRIES loads, each failure an injected fault, would be
 * counted apart (unreadableInjected), never as verified.
 */

import { faultInject } from "../kernel/fault_inject.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import {
  createZswap,
  type FaultCounts,
  type FaultOptions,
  FOLIO_PAGES_MAX,
  type Profile,
  realCompressorRegistry,
  type SwapSlot,
  ZswapError,
  type ZswapInstance,
  type ZswapStats,
  ZswapWouldBlockError,
} from "../real/index.ts";
import { Rng } from "../util/rng.ts";
import { DEFAULT_MIX, generateCorpus, KINDS } from "../workload/corpus.ts";
import { Progress } from "./progress.ts";
import {
  checkAccounting,
  OP_KINDS,
  type OpKind,
  pickOp,
  type Soak as SoakOps,
} from "./soak_ops.ts";

export interface SoakConfig {
  readonly ops: number;
  readonly seed: number;
  readonly compressor: string;
  readonly profile: Profile;
  readonly cpus: number;
  /** With their seed; null: no faults. */
  readonly faults: FaultOptions | null;
  /** Pages swapped out at most at once (the oracle keeps a copy of each). */
  readonly livePagesMax: number;
  readonly progress: boolean;
  /**
   * Waits for background work (the shrink worker's writeback and its file I/O) after every
   * operation, so that the run does not depend on I/O timing: the same seeds then give the same
   * run on any machine, at some cost in speed.
   */
  readonly lockstep?: boolean;
  /** Tests: runs after the instance is created, before the first operation. */
  readonly setup?: (z: ZswapInstance) => Promise<void>;
}

export interface SoakResult {
  readonly config: Omit<SoakConfig, "setup" | "progress">;
  readonly ops: number;
  readonly opsByKind: Record<OpKind, number>;
  readonly seconds: number;
  readonly opsPerSecond: number;
  /** Pages read back and compared with the oracle byte for byte. */
  readonly pagesVerified: number;
  readonly faults: FaultCounts;
  /** Loads that failed with EIO in the same call as an injected fault (retried later). */
  readonly loadsFailedInjected: number;
  /** Swap-outs that failed in the same call as an injected swap_write (the caller kept the page). */
  readonly storesFailedInjected: number;
  /** Pages that still failed after the final retries, each failure an injected fault. */
  readonly unreadableInjected: number;
  /** Pages that came back with other bytes. */
  readonly corrupted: number;
  /** Pages gone: an error no injected fault explains, or a slot that no longer holds its page. */
  readonly lost: number;
  /** Kernel counters that disagree with the faults injected (e.g. decompress_fail). */
  readonly accountingErrors: readonly string[];
  /** The first problems, one line each (at most PROBLEMS_MAX). */
  readonly problems: readonly string[];
  readonly end: Pick<ZswapStats, "debugfs" | "vmstat" | "swapFile">;
  readonly ok: boolean;
}

const CORPUS_PAGES = 2048;
const PROBLEMS_MAX = 20;
const DRAIN_RETRIES = 100;
/** Operations between two turns of the event loop (background writeback needs some). */
const TURN_OPS = 64;
const PROGRESS_OPS = 4096;

/** A page out in zswap or the swap file, and what it must read back as. */
interface Live {
  readonly slot: SwapSlot;
  readonly bytes: Uint8Array;
}

export class Soak implements SoakOps {
  readonly rng: Rng;
  readonly live: Live[] = [];
  readonly opsByKind = Object.fromEntries(OP_KINDS.map((k) => [k, 0])) as Record<OpKind, number>;
  pagesVerified = 0;
  loadsFailedInjected = 0;
  storesFailedInjected = 0;
  unreadableInjected = 0;
  corrupted = 0;
  lost = 0;
  readonly problems: string[] = [];
  private readonly corpus: Uint8Array;
  /** The corpus's page kinds (an index into KINDS). */
  private readonly kinds: Uint8Array;
  private stamp = 0;

  constructor(
    readonly z: ZswapInstance,
    readonly config: SoakConfig,
  ) {
    this.rng = new Rng(config.seed);
    const c = generateCorpus({
      sizeBytes: CORPUS_PAGES * PAGE_SIZE,
      seed: config.seed,
      mix: DEFAULT_MIX,
    });
    this.corpus = c.pages;
    this.kinds = c.kinds;
  }

  livePages(): number {
    let n = 0;
    for (const l of this.live) n += l.slot.nrPages;
    return n;
  }

  /** A new page (or folio) of corpus pages, each stamped with a serial so no two are alike. */
  newPages(nr: number): Uint8Array {
    const out = new Uint8Array(nr * PAGE_SIZE);
    for (let i = 0; i < nr; i++) {
      const from = this.rng.below(CORPUS_PAGES);
      const at = from * PAGE_SIZE;
      const page = out.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      page.set(this.corpus.subarray(at, at + PAGE_SIZE));
      // Zero pages stay zero (the swap layer's zero map takes them); the others get a serial at
      // a random place, so a page read from another slot would not pass the comparison.
      if (KINDS[this.kinds[from] as number] !== "zero") {
        const off = this.rng.below(PAGE_SIZE / 8) * 8;
        new DataView(page.buffer, page.byteOffset + off, 8).setFloat64(0, ++this.stamp);
      }
    }
    return out;
  }

  problem(text: string): void {
    if (this.problems.length < PROBLEMS_MAX) this.problems.push(text);
  }

  /** Injected faults of `kinds` that hit tasks named `task` so far. */
  injectedIn(task: string, kinds: readonly string[]): number {
    const fi = faultInject(this.z.kernel);
    if (fi === null) return 0;
    return kinds.reduce((n, k) => n + fi.injectedIn(task, k), 0);
  }

  // --- store ----------------------------------------------------------------------------------

  async store(nr: number): Promise<void> {
    const bytes = this.newPages(nr);
    const before = this.injectedIn("swapout", ["swap_write"]);
    const r = await attempt(() =>
      this.rng.chance(0.5) ? this.z.swapOutSync(bytes) : this.z.swapOut(bytes),
    );
    if ("value" in r) {
      this.live.push({ slot: r.value, bytes });
      return;
    }
    const err = r.error;
    if (!(err instanceof ZswapError)) throw err;
    if (err.code === "EIO" && this.injectedIn("swapout", ["swap_write"]) > before) {
      this.storesFailedInjected++; // the page never left: the caller still has it
      return;
    }
    if (err.code === "ENOSPC") return; // a full swap file: the caller keeps the page
    this.problem(`swap-out of ${nr} page(s) failed without an injected fault: ${err.message}`);
    this.lost += nr;
  }

  // --- load -----------------------------------------------------------------------------------

  /** Loads the live page at `i` and checks it against the oracle; a failed load leaves it out. */
  async load(i: number): Promise<void> {
    const l = this.live[i] as Live;
    const before = this.injectedIn("swapin", ["decompress", "swap_read"]);
    const r = await attempt(() =>
      this.rng.chance(0.5) ? this.z.swapInSync(l.slot) : this.z.swapIn(l.slot),
    );
    if (!("value" in r)) {
      this.loadFailed(i, r.error, before);
      return;
    }
    this.removeLive(i);
    if (Buffer.compare(r.value, l.bytes) === 0) {
      this.pagesVerified += l.slot.nrPages;
      return;
    }
    const bad = differingPages(r.value, l.bytes);
    this.corrupted += bad;
    this.problem(`slot ${l.slot.offset}: ${bad} of ${l.slot.nrPages} page(s) came back different`);
  }

  private loadFailed(i: number, err: unknown, injectedBefore: number): void {
    if (!(err instanceof ZswapError)) throw err;
    const l = this.live[i] as Live;
    const injected = this.injectedIn("swapin", ["decompress", "swap_read"]) > injectedBefore;
    if (err.code === "EIO" && injected && l.slot.live) {
      this.loadsFailedInjected++;
      return; // still out, intact: it is loaded again later
    }
    this.removeLive(i);
    if (l.slot.live) this.z.free(l.slot); // counted as lost; nothing left behind
    this.lost += l.slot.nrPages;
    this.problem(
      `slot ${l.slot.offset}: swap-in failed${injected ? "" : " without an injected fault"}${l.slot.live ? "" : " and released the slot"}: ${err.message}`,
    );
  }

  free(i: number): void {
    const l = this.live[i] as Live;
    this.z.free(l.slot);
    this.removeLive(i);
  }

  private removeLive(i: number): void {
    const last = this.live.pop() as Live;
    if (i < this.live.length) this.live[i] = last;
  }

  /** Loads every page still out, retrying pages that fail by an injected fault. */
  async drain(): Promise<void> {
    for (let attempt = 0; attempt < DRAIN_RETRIES && this.live.length > 0; attempt++) {
      for (let i = this.live.length - 1; i >= 0; i--) await this.load(i);
      await this.z.flush();
    }
    for (const l of this.live) {
      this.unreadableInjected += l.slot.nrPages;
      this.problem(`slot ${l.slot.offset}: still unreadable after ${DRAIN_RETRIES} loads`);
      this.z.free(l.slot);
    }
    this.live.length = 0;
  }
}

/** Runs a library call; a *Sync call that went asynchronous is awaited through its pending promise. */
async function attempt<T>(
  call: () => T | Promise<T>,
): Promise<{ readonly value: T } | { readonly error: unknown }> {
  try {
    return { value: await call() };
  } catch (e) {
    if (!(e instanceof ZswapWouldBlockError)) return { error: e };
    try {
      return { value: (await e.pending) as T };
    } catch (e2) {
      return { error: e2 };
    }
  }
}

function differingPages(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let off = 0; off < b.length; off += PAGE_SIZE) {
    const x = a.subarray(off, off + PAGE_SIZE);
    if (Buffer.compare(x, b.subarray(off, off + PAGE_SIZE)) !== 0) n++;
  }
  return n;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------
// The job
// ---------------------------------------------------------------------------------------------

/** Runs the soak; throws ZswapError for options the library refuses. */
export async function soakJob(config: SoakConfig): Promise<SoakResult> {
  if (!realCompressorRegistry().has(config.compressor)) {
    throw new ZswapError("EINVAL", `Unknown compressor '${config.compressor}'`);
  }
  const z = createZswap({
    compressor: config.compressor,
    profile: config.profile,
    cpus: config.cpus,
    // A small machine: the pool limit (max_pool_percent of this) binds well below the live
    // pages, so the shrink worker writes back all along.
    totalRamBytes: config.livePagesMax * PAGE_SIZE,
    max_pool_percent: 20,
    shrinker_enabled: true,
    swapSizeBytes: (config.livePagesMax + 2 * FOLIO_PAGES_MAX) * PAGE_SIZE,
    ...(config.faults !== null ? { faults: config.faults } : {}),
  });
  try {
    await config.setup?.(z);
    const soak = new Soak(z, config);
    const t0 = performance.now();
    await runOps(soak);
    await soak.drain();
    await z.flush();
    const seconds = (performance.now() - t0) / 1e3;
    return result(soak, seconds);
  } finally {
    try {
      await z.close();
    } catch {
      // flush() in the job reported it already.
    }
  }
}

async function runOps(soak: Soak): Promise<void> {
  const { ops, progress } = soak.config;
  const bar = progress ? Progress.open("soak", "operations") : null;
  bar?.phase("operations", ops);
  for (let n = 1; n <= ops; n++) {
    const kind = await pickOp(soak);
    soak.opsByKind[kind]++;
    if (soak.config.lockstep === true) await soak.z.flush();
    if (n % TURN_OPS === 0) await turn();
    if (n % PROGRESS_OPS === 0) bar?.update(n);
  }
  bar?.stop();
}

function result(soak: Soak, seconds: number): SoakResult {
  const s = soak.z.stats();
  const accountingErrors = checkAccounting(s, soak.config.profile);
  const { setup: _setup, progress: _progress, ...config } = soak.config;
  const ops = soak.config.ops;
  return {
    config,
    ops,
    opsByKind: soak.opsByKind,
    seconds,
    opsPerSecond: seconds > 0 ? ops / seconds : 0,
    pagesVerified: soak.pagesVerified,
    faults: s.faults,
    loadsFailedInjected: soak.loadsFailedInjected,
    storesFailedInjected: soak.storesFailedInjected,
    unreadableInjected: soak.unreadableInjected,
    corrupted: soak.corrupted,
    lost: soak.lost,
    accountingErrors,
    problems: soak.problems,
    end: { debugfs: s.debugfs, vmstat: s.vmstat, swapFile: s.swapFile },
    ok: soak.corrupted === 0 && soak.lost === 0 && accountingErrors.length === 0,
  };
}
