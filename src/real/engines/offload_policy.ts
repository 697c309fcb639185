/**
 * Which pages multi-core mode hands to the CPU workers (docs/multicore.md, "Which pages go to
 * the workers"): per op (codec_engine.ts codecOp: an algorithm, a kernel's wrappers, compress
 * or decompress), what the work costs on the calling thread, and an op goes to the workers
 * while that cost reaches the threshold of its kind. Moving a page saves the calling thread
 * its cost there but costs a job, on both sides (the copy into the ring, the comparison, the
 * copy back, the queue, the worker's claim and completion: about 6 us a page in all, measured
 * on this machine); a page cheaper than that is cheaper done where it is.
 *
 * The cost is a low quantile of the last SAMPLES timings, not their mean: a timing is wall
 * time, and a thread preempted in the middle of a page (a loaded machine, a JIT warm-up, a
 * garbage collection) reports many times what the page cost; the first timings of an op (its
 * code not yet compiled) are such outliers. Only the calling thread's timings count (pages it
 * compressed itself, or jobs it ran while it would otherwise wait): a worker's cost is not
 * what offloading saves.
 *
 * The choice depends on timings, so it differs from run to run; the results do not: a page
 * compressed by a worker is byte for byte the page the calling thread would have made, and
 * the operations run in call order either way (the tests flip the choice at random and
 * compare).
 */

/** Ops (codec_engine.ts codecOp) have fewer bits than this. */
const OPS_MAX = 64;
/** Timings per op from which the cost is taken (a window; the cost is updated when it fills). */
const SAMPLES = 16;
/** The cost is the QUANTILE-th smallest of the window's timings (0-based): about the 25th percentile. */
const QUANTILE = 3;

export interface OffloadThresholds {
  /** Microseconds from which a compression goes to the workers (0: always; Infinity: never). */
  readonly compressUs: number;
  /** The same for a decompression. */
  readonly decompressUs: number;
}

export class OffloadPolicy {
  /** Per op: its cost (0 until a window has filled). */
  private readonly costUs = new Float64Array(OPS_MAX);
  /** Per op: its window of timings, and how many it holds. */
  private readonly window = new Float64Array(OPS_MAX * SAMPLES);
  private readonly filled = new Int32Array(OPS_MAX);
  private readonly scratch = new Float64Array(SAMPLES);
  /** Per kind (bit 0 of an op), how many ops of that kind are offloaded now. */
  private readonly nrOffloaded = new Int32Array(2);

  constructor(
    private readonly limits: OffloadThresholds,
    /** Tests: decides instead of the costs (the results must not depend on the choice). */
    private readonly override: ((op: number) => boolean) | null = null,
  ) {}

  /** Whether `op` goes to a worker now. An op not yet timed SAMPLES times stays here. */
  offloads(op: number): boolean {
    if (this.override !== null) return this.override(op);
    const limit = (op & 1) === 0 ? this.limits.compressUs : this.limits.decompressUs;
    return limit <= 0 || (this.costUs[op] ?? 0) >= limit;
  }

  /**
   * Whether any op of a kind (0 compress, 1 decompress) may be offloaded now: a swap-in asks
   * before it looks up what its page's entry holds (a lookup per page for nothing, when no
   * decompression is).
   */
  mayOffload(kind: 0 | 1): boolean {
    const limit = kind === 0 ? this.limits.compressUs : this.limits.decompressUs;
    return this.override !== null || limit <= 0 || (this.nrOffloaded[kind] ?? 0) > 0;
  }

  /** Records one timing of `op` on the calling thread, in us. */
  observe(op: number, us: number): void {
    const n = this.filled[op] as number;
    this.window[op * SAMPLES + n] = us;
    if (n + 1 < SAMPLES) {
      this.filled[op] = n + 1;
      return;
    }
    this.filled[op] = 0;
    this.scratch.set(this.window.subarray(op * SAMPLES, (op + 1) * SAMPLES));
    const was = this.offloads(op);
    this.costUs[op] = this.scratch.sort()[QUANTILE] as number;
    const now = this.offloads(op);
    const kind = op & 1;
    if (was !== now) this.nrOffloaded[kind] = (this.nrOffloaded[kind] ?? 0) + (now ? 1 : -1);
  }

  /** The cost of `op` the choice is made on, us (0 until SAMPLES timings). */
  costOf(op: number): number {
    return this.costUs[op] ?? 0;
  }
}
