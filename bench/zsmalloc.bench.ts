/**
 * zsmalloc benchmarks:
 *   1. malloc + write + read + free cycles per second, sizes from an lz4-like distribution of
 *      compressed 4 KiB pages, on a pool holding a standing population;
 *   2. memory per live object at 1,000,000 objects, besides the objects' bytes;
 *   3. space efficiency (data bytes / pool bytes) after a churn workload, before and after
 *      zsCompact().
 * Measurements, not tests: nothing fails on a slow machine.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  isZsErrno,
  PAGE_SIZE,
  type ZsPool,
  zsCompact,
  zsCreatePool,
  zsDestroyPool,
  zsFree,
  zsGetTotalPages,
  zsMalloc,
  zsObjRead,
  zsObjWrite,
} from "../src/zsmalloc/index.ts";
import { median, perSecond } from "./harness.ts";

const GROUP = "zsmalloc";

/** xorshift32: deterministic, so every run measures the same workload. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/**
 * Compressed sizes of 4 KiB pages as lz4 tends to produce them: 8% small (40..600 bytes, low
 * entropy pages), 77% around 1900 bytes (sum of three uniforms, 600..3600), 10% poorly
 * compressible (3600..4095), 5% incompressible, stored raw (4096). Mean about 2 KiB.
 */
export function lz4SizeDistribution(n: number, seed = 1): Uint16Array {
  const r = rng(seed);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    let size: number;
    if (u < 0.08) size = 40 + Math.floor(r() * 561);
    else if (u < 0.85) size = Math.round(600 + ((r() + r() + r()) / 3) * 2600);
    else if (u < 0.95) size = 3600 + Math.floor(r() * 496);
    else size = PAGE_SIZE;
    out[i] = Math.min(PAGE_SIZE, Math.max(1, size));
  }
  return out;
}

function alloc(pool: ZsPool, size: number): number {
  const h = zsMalloc(pool, size);
  if (isZsErrno(h)) throw new Error(`zsMalloc(${size}) failed with ${h}`);
  return h;
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput
// ---------------------------------------------------------------------------------------------

async function benchCycles(): Promise<void> {
  const SIZES = 1 << 16;
  const sizes = lz4SizeDistribution(SIZES);
  const src = new Uint8Array(PAGE_SIZE).map((_, i) => (i * 131) & 255);
  const dst = new Uint8Array(PAGE_SIZE);
  const BATCH = 256;
  // A standing population: each cycle frees the oldest object, so zspages are really shared.
  // 1K live objects (about 2 MiB) stay in cache and show the allocator's own cost; 16K (about
  // 32 MiB) do not, and the two copies of ~2 KiB each become the larger part of a cycle.
  for (const population of [1 << 10, 1 << 14]) {
    const pool = zsCreatePool("bench");
    const ring = new Int32Array(population);
    for (let i = 0; i < population; i++) ring[i] = alloc(pool, sizes[i]!);
    let next = population;
    let oldest = 0;
    const cycle = (): void => {
      for (let b = 0; b < BATCH; b++) {
        const size = sizes[next++ & (SIZES - 1)]!;
        const h = zsMalloc(pool, size);
        zsObjWrite(pool, h, src, size);
        if (zsObjRead(pool, h, dst) !== size) throw new Error("short read");
        zsFree(pool, ring[oldest]!);
        ring[oldest] = h;
        oldest = (oldest + 1) & (population - 1);
      }
    };
    const live = `${population >> 10}K live, ${((zsGetTotalPages(pool) * PAGE_SIZE) / 2 ** 20).toFixed(0)} MiB`;
    await median(
      GROUP,
      `malloc+write+read+free, lz4 sizes, ${live}`,
      cycle,
      perSecond("cycles", BATCH),
    );
    if (population === 1 << 10) {
      const pairs = (): void => {
        for (let b = 0; b < BATCH; b++) {
          const h = zsMalloc(pool, sizes[next++ & (SIZES - 1)]!);
          zsFree(pool, ring[oldest]!);
          ring[oldest] = h;
          oldest = (oldest + 1) & (population - 1);
        }
      };
      await median(GROUP, `malloc+free only, ${live}`, pairs, perSecond("pairs", BATCH));
    }
    zsDestroyPool(pool);
  }
  // The floor under a cycle: the same two copies between a 32 MiB buffer and a page buffer.
  const arena = Array.from({ length: 32 }, () => new Uint8Array(1 << 20));
  let x = 1;
  let k = 0;
  const copies = (): void => {
    for (let b = 0; b < BATCH; b++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const chunk = arena[(x >>> 0) % 32]!;
      const off = ((x >>> 8) & 255) << 12;
      const size = sizes[k++ & (SIZES - 1)]!;
      chunk.set(src.subarray(0, size), off);
      dst.set(chunk.subarray(off, off + size));
    }
  };
  await median(
    GROUP,
    "memcpy floor: write+read copies only, 32 MiB",
    copies,
    perSecond("cycles", BATCH),
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Memory per live object
// ---------------------------------------------------------------------------------------------

function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

function memoryPerObject(): void {
  const gc = exposeGc();
  const N = 1_000_000;
  const sizes = lz4SizeDistribution(N, 7);
  const handles = new Int32Array(N);
  const src = new Uint8Array(PAGE_SIZE).fill(0x5a);
  gc();
  gc();
  const before = process.memoryUsage();
  const pool = zsCreatePool("mem");
  let dataBytes = 0;
  for (let i = 0; i < N; i++) {
    const size = sizes[i]!;
    handles[i] = alloc(pool, size);
    zsObjWrite(pool, handles[i]!, src, size);
    dataBytes += size;
  }
  gc();
  gc();
  const after = process.memoryUsage();
  const heap = after.heapUsed - before.heapUsed;
  const external = after.arrayBuffers - before.arrayBuffers;
  const arena = pool.arena.bytesReserved();
  const meta = pool.metadataBytes();
  const perObj = (b: number): string => `${(b / N).toFixed(1)} bytes/object`;
  const out = (name: string, figure: string): void => {
    process.stdout.write(`${GROUP.padEnd(12)} ${name.padEnd(44)} ${figure}\n`);
  };
  out("1M objects: JS heap (heapUsed)", perObj(heap));
  out("1M objects: typed-array metadata", perObj(meta));
  out("1M objects: all but page bytes (goal <= 24)", perObj(heap + external - arena));
  out(
    "1M objects: pages / arena",
    `${zsGetTotalPages(pool)} pages (${((zsGetTotalPages(pool) * PAGE_SIZE) / 2 ** 30).toFixed(2)} GiB), arena ${(arena / 2 ** 30).toFixed(2)} GiB, data ${(dataBytes / 2 ** 30).toFixed(2)} GiB`,
  );
  for (let i = 0; i < N; i++) zsFree(pool, handles[i]!);
  zsDestroyPool(pool);
}

// ---------------------------------------------------------------------------------------------
// 3. Space efficiency under churn
// ---------------------------------------------------------------------------------------------

function spaceEfficiency(): void {
  const N = 200_000;
  const r = rng(42);
  const sizes = lz4SizeDistribution(N * 4, 3);
  const pool = zsCreatePool("churn");
  const handles = new Int32Array(N);
  const objSize = new Uint16Array(N);
  let dataBytes = 0;
  let s = 0;
  const put = (i: number): void => {
    const size = sizes[s++ % sizes.length]!;
    handles[i] = alloc(pool, size);
    objSize[i] = size;
    dataBytes += size;
  };
  for (let i = 0; i < N; i++) put(i);
  const eff = (): string =>
    `${((100 * dataBytes) / (zsGetTotalPages(pool) * PAGE_SIZE)).toFixed(1)}% (${zsGetTotalPages(pool)} pages)`;
  const out = (name: string, figure: string): void => {
    process.stdout.write(`${GROUP.padEnd(12)} ${name.padEnd(44)} ${figure}\n`);
  };
  out("space efficiency, 200K objects, no frees", eff());
  // Churn: five rounds that each free a random 40% and store as many new pages again.
  for (let round = 0; round < 5; round++) {
    const victims: number[] = [];
    for (let i = 0; i < N; i++) if (r() < 0.4) victims.push(i);
    for (const i of victims) {
      zsFree(pool, handles[i]!);
      dataBytes -= objSize[i]!;
    }
    for (const i of victims) put(i);
  }
  out("space efficiency after churn", eff());
  // Churn that shrinks: free 60% without refilling, the case compaction is for.
  for (let i = 0; i < N; i++) {
    if (r() < 0.6 && handles[i]! > 0) {
      zsFree(pool, handles[i]!);
      dataBytes -= objSize[i]!;
      handles[i] = 0;
    }
  }
  out("space efficiency after churn + 60% freed", eff());
  const freed = zsCompact(pool);
  out("space efficiency after zsCompact", `${eff()}, ${freed} pages freed`);
  zsDestroyPool(pool);
}

export async function benchZsmalloc(): Promise<void> {
  await benchCycles();
  spaceEfficiency();
  memoryPerObject();
}
