/**
 * Fault injection in real mode: the library's `faults` option and the CLI's `--fail`, named
 * after the kernel's fault-injection knobs. Each knob is a probability, drawn from one seeded
 * PRNG, and each injected failure enters where the kernel's would, so zswap takes its own path:
 *
 * - `kmalloc`: the zswap_entry allocation fails (failslab, with the cache filter on the
 *   zswap_entry cache): the executor answers kmalloc's "fault" choice -> reject_kmemcache_fail;
 * - `zs_malloc`: zs_malloc() returns -ENOMEM (its pool's shouldFail) -> reject_alloc_fail;
 * - `compress`: the compressor returns -EINVAL -> reject_compress_fail (6.12), or, in the
 *   newest kernels, the page is stored as it is (stored_incompressible_pages), as
 *   zswap_compress() does for any compression failure while writeback is allowed;
 * - `decompress`: the decompressor returns -EINVAL (after scribbling on its output) ->
 *   decompress_fail; the load fails with EIO and the entry stays, as in zswap_load();
 *   writeback of that entry fails (reject_reclaim_fail) and keeps it. (6.12's own
 *   zswap_decompress() BUG()s instead; the 6.12 profile behaves as later kernels here.)
 * - `swap_write`, `swap_read`: the swap device returns -EIO.
 *
 * Every rejected store goes to the swap file (pswpout); nothing is dropped. See docs/run.md.
 */
import type { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import type { CompressorBackend } from "../crypto/algorithms/types.ts";
import type { ChooseEffect } from "../kernel/effect.ts";
import { EINVAL, EIO } from "../kernel/errno.ts";
import { FaultInject, faultInject, setFaultInject } from "../kernel/fault_inject.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import type { SwapStorage } from "../mm/swap_storage.ts";
import { Rng } from "../util/rng.ts";

/** The knobs, in the order they are printed. */
export const FAULT_KINDS = [
  "kmalloc",
  "zs_malloc",
  "compress",
  "decompress",
  "swap_write",
  "swap_read",
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** The library's `faults` option: a probability (0..1) per knob, and the PRNG's seed. */
export type FaultOptions = { readonly [K in FaultKind]?: number } & {
  /** Seed of the draws (default 0): the same seed and calls inject the same faults. */
  readonly seed?: number;
};

/** Injected faults by knob (stats().faults). */
export type FaultCounts = Record<FaultKind, number>;

export interface CheckedFaults {
  readonly probability: ReadonlyMap<FaultKind, number>;
  readonly seed: number;
}

/** The kmalloc cache that `kmalloc` fails (failslab's cache filter). */
const KMALLOC_FAULT_CACHE = "zswap_entry";
/** What a failed decompression leaves in its output (the kernel's POISON_FREE byte). */
const POISON = 0x6b;

/** Thrown for a bad `faults` option or `--fail` text; the message is one line. */
export class FaultSpecError extends Error {
  override name = "FaultSpecError";
}

/** Checks the library option; null when absent or when every probability is 0. */
export function checkFaults(o: unknown): CheckedFaults | null {
  if (o === undefined) return null;
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new FaultSpecError(
      `Cannot set faults: expected an object such as { kmalloc: 0.01, seed: 1 }, got ${typeof o === "string" ? `'${o}'` : String(o)}`,
    );
  }
  const probability = new Map<FaultKind, number>();
  let seed = 0;
  for (const [key, v] of Object.entries(o)) {
    if (key === "seed") {
      if (!Number.isSafeInteger(v) || (v as number) < 0) {
        throw new FaultSpecError(
          `Cannot set faults.seed: expected an integer >= 0, got ${String(v)}`,
        );
      }
      seed = v as number;
    } else if ((FAULT_KINDS as readonly string[]).includes(key)) {
      probability.set(key as FaultKind, checkProbability(`faults.${key}`, v));
    } else {
      throw new FaultSpecError(
        `Unknown fault '${key}'; available: ${FAULT_KINDS.join(", ")} (and seed)`,
      );
    }
  }
  for (const [k, p] of probability) if (p === 0) probability.delete(k);
  return probability.size === 0 ? null : { probability, seed };
}

function checkProbability(name: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
    throw new FaultSpecError(
      `Cannot set ${name}: expected a probability 0..1, got ${typeof v === "string" ? `'${v}'` : String(v)}`,
    );
  }
  return v;
}

/** Parses `--fail kmalloc=0.01,decompress=0.001` into the library option (without a seed). */
export function parseFailSpec(text: string): FaultOptions {
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const m = /^\s*([a-z_]+)\s*=\s*([0-9.eE+-]+)\s*$/.exec(part);
    if (m === null) {
      throw new FaultSpecError(
        `Cannot use --fail: expected knob=probability[,knob=probability...], got '${part.trim()}'`,
      );
    }
    const [, key, value] = m as unknown as [string, string, string];
    if (!(FAULT_KINDS as readonly string[]).includes(key)) {
      throw new FaultSpecError(
        `Cannot use --fail: unknown fault '${key}'; available: ${FAULT_KINDS.join(", ")}`,
      );
    }
    if (Object.hasOwn(out, key))
      throw new FaultSpecError(`Cannot use --fail: '${key}' is given twice`);
    out[key] = checkProbability(`--fail ${key}`, value === "" ? Number.NaN : Number(value));
  }
  return out as FaultOptions;
}

/** "kmalloc=0.01,decompress=0.001": the knobs that are set, for summaries. */
export function formatFaults(f: CheckedFaults | null): string {
  if (f === null) return "none";
  return FAULT_KINDS.filter((k) => f.probability.has(k))
    .map((k) => `${k}=${f.probability.get(k)}`)
    .join(",");
}

// ---------------------------------------------------------------------------------------------
// Installing the knobs on a real-mode kernel
// ---------------------------------------------------------------------------------------------

/**
 * Installs fault injection on `k` (before zswap is set up, so the first pool's zsmalloc sees
 * it). Returns the executor's choice answerer for kmalloc's "fault" choices.
 */
export function installFaults(k: Kernel, f: CheckedFaults): (e: ChooseEffect) => number {
  const rng = new Rng(f.seed);
  const fi = new FaultInject(f.probability, () => rng.next32() / 0x100000000);
  setFaultInject(k, fi);
  if (fi.armed("kmalloc")) memory(k).policy.faultable.add(KMALLOC_FAULT_CACHE);
  return (e) => (e.kind === "fault" && fi.shouldFail(k, "kmalloc") ? 1 : 0);
}

/** Injected faults by knob, zeros when none are installed. */
export function faultCounts(k: Kernel): FaultCounts {
  const fi = faultInject(k);
  const out = {} as FaultCounts;
  for (const kind of FAULT_KINDS) out[kind] = fi?.injected.get(kind) ?? 0;
  return out;
}

/** The registry with every backend behind the compress/decompress knobs. */
export function faultyRegistry(k: Kernel, registry: CompressorRegistry): CompressorRegistry {
  return registry.mapBackends((b) => faultyBackend(k, b));
}

function faultyBackend(k: Kernel, b: CompressorBackend): CompressorBackend {
  const fi = faultInject(k) as FaultInject;
  return {
    name: b.name,
    compress: (src, dst) => (fi.shouldFail(k, "compress") ? -EINVAL : b.compress(src, dst)),
    decompress: (src, dst) => {
      if (!fi.shouldFail(k, "decompress")) return b.decompress(src, dst);
      dst.fill(POISON); // a failed decompression may leave anything behind
      return -EINVAL;
    },
  };
}

/** The swap device behind the swap_write and swap_read knobs (-EIO, as a failing disk). */
export class FaultySwapStorage implements SwapStorage {
  readonly nrSlots: number;
  private readonly fi: FaultInject;

  constructor(
    private readonly k: Kernel,
    private readonly inner: SwapStorage,
  ) {
    this.nrSlots = inner.nrSlots;
    this.fi = faultInject(k) as FaultInject;
  }

  readSync(slot: number, dst: Uint8Array): number {
    return this.fi.shouldFail(this.k, "swap_read") ? -EIO : this.inner.readSync(slot, dst);
  }

  writeSync(slot: number, src: Uint8Array): number {
    return this.fi.shouldFail(this.k, "swap_write") ? -EIO : this.inner.writeSync(slot, src);
  }

  readAsync(slot: number, dst: Uint8Array): Promise<number> {
    if (this.fi.shouldFail(this.k, "swap_read")) return Promise.resolve(-EIO);
    return this.inner.readAsync(slot, dst);
  }

  writeAsync(slot: number, src: Uint8Array): Promise<number> {
    if (this.fi.shouldFail(this.k, "swap_write")) return Promise.resolve(-EIO);
    return this.inner.writeAsync(slot, src);
  }

  close(): void {
    this.inner.close();
  }
}
