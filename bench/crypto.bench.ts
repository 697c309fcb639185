/**
 * Compressor throughput: per algorithm, compress and decompress MB/s over 2,048 distinct 4 KiB
 * pages of mixed content (pages_test_util.ts mixedPages: log and source text, ELF-like binary,
 * sparse, 5% random), one call per page, through our CompressorBackend and through the raw
 * binding called directly, in the same run. The ratio ours / raw is the interface's cost (goal:
 * at most 1.05), the median of paired back-to-back passes (see compare()). Compression writes
 * into a page-sized buffer, as zswap's acomp request does, so the random pages take each
 * algorithm's does-not-fit path.
 *
 * Run: npx tsx -e "import('./bench/crypto.bench.ts').then(m=>m.benchCrypto())"
 */
import * as zlib from "node:zlib";
import { DEFLATE_OPTIONS } from "../src/crypto/algorithms/native/deflate.ts";
import { createNativeCompressorRegistry } from "../src/crypto/algorithms/native/index.ts";
import {
  loadLz4,
  loadLzo,
  loadZstd,
  lzoCompressBound,
} from "../src/crypto/algorithms/native/load.ts";
import { ZSTD_KERNEL_PARAMS } from "../src/crypto/algorithms/native/zstd.ts";
import { mixedPages, PAGE_SIZE } from "../src/crypto/algorithms/pages_test_util.ts";
import { simCompress, simDecompress } from "../src/crypto/algorithms/sim.ts";
import type { CompressorBackend } from "../src/crypto/algorithms/types.ts";
import { mbPerSecond, median } from "./harness.ts";

const PAGES = 2048;
const PAIRS = 21;

/** The same work as a backend, calling the binding directly (no interface, no errno mapping). */
interface Raw {
  compress(src: Uint8Array, dst: Uint8Array): unknown;
  decompress(src: Uint8Array, dst: Uint8Array): unknown;
}

function rawCodecs(): Record<string, Raw> {
  const lz4 = loadLz4();
  const lzo = loadLzo();
  const zstd = loadZstd();
  const cctx = new zstd.CCtx();
  const dctx = new zstd.DCtx();
  const p = ZSTD_KERNEL_PARAMS;
  for (const [k, v] of Object.entries(p)) {
    const value = k === "strategy" ? zstd.Strategy.dfast : (v as number);
    cctx.setParameter(zstd.CParameter[k as keyof typeof zstd.CParameter], value);
  }
  // lzo1x_1_compress ignores the output length: raw calls need a worst-case buffer.
  const lzoOut = new Uint8Array(lzoCompressBound(PAGE_SIZE));
  const deflater = zlib.createDeflateRaw(DEFLATE_OPTIONS) as unknown as ZlibInternals;
  const inflater = zlib.createInflateRaw({ windowBits: 11 }) as unknown as ZlibInternals;
  const Z_FINISH = zlib.constants.Z_FINISH;
  // No zlib error is expected here; if one came, zlib.js's handler would destroy the stream.
  deflater._handle.onerror = () => {};
  inflater._handle.onerror = () => {};
  return {
    lz4: { compress: (s, d) => lz4.encodeBlock(s, d), decompress: (s, d) => lz4.decodeBlock(s, d) },
    lz4hc: {
      compress: (s, d) => lz4.encodeBlockHC(s, d),
      decompress: (s, d) => lz4.decodeBlock(s, d),
    },
    zstd: {
      compress: (s, d) => {
        try {
          return cctx.compress2(d, s);
        } catch {
          return -1;
        }
      },
      decompress: (s, d) => dctx.decompress(d, s),
    },
    lzo: {
      compress: (s) => lzo.compress(s, lzoOut).len,
      decompress: (s, d) => lzo.decompress(s, d).len,
    },
    deflate: {
      compress: (s, d) => {
        deflater._handle.reset();
        deflater._handle.writeSync(Z_FINISH, s, 0, s.length, d, 0, d.length);
        return deflater._writeState[0];
      },
      decompress: (s, d) => {
        inflater._handle.reset();
        inflater._handle.writeSync(Z_FINISH, s, 0, s.length, d, 0, d.length);
        return inflater._writeState[0];
      },
    },
    sim: { compress: simCompress, decompress: simDecompress },
  };
}

interface ZlibInternals {
  _handle: {
    onerror: () => void;
    reset(): void;
    writeSync(
      f: number,
      i: Uint8Array,
      io: number,
      il: number,
      o: Uint8Array,
      oo: number,
      ol: number,
    ): void;
  };
  _writeState: Uint32Array;
}

/**
 * One measured call runs `fn` once per page over the whole corpus: the per-page times are
 * multimodal (text, binary, random pages), so a median over single pages would depend on
 * which kind the samples land on; a pass over all pages does not.
 */
function overAll(
  inputs: readonly Uint8Array[],
  out: Uint8Array,
  fn: (s: Uint8Array, d: Uint8Array) => unknown,
) {
  return () => {
    let last: unknown;
    for (let i = 0; i < inputs.length; i++) last = fn(inputs[i] as Uint8Array, out);
    return last;
  };
}

/** Nanoseconds for one call of `fn`. */
function timeOnce(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) * 1e6;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/**
 * Ours vs raw. The MB/s rows are the harness's medians. The ratio comes from PAIRS passes of
 * each, back to back (order alternating): on a shared machine the load changes between
 * measurements seconds apart, so comparing two separate medians mostly measures the load;
 * the median of per-pair ratios does not.
 */
async function compare(
  name: string,
  op: "compress" | "decompress",
  inputs: readonly Uint8Array[],
  ours: CompressorBackend,
  raw: Raw,
): Promise<void> {
  const out = new Uint8Array(PAGE_SIZE);
  const perPage = mbPerSecond(inputs.length * PAGE_SIZE);
  const rawPass = overAll(inputs, out, (s, d) => raw[op](s, d));
  const oursPass = overAll(inputs, out, (s, d) => ours[op](s, d));
  await median(name, `${op} raw binding`, rawPass, perPage);
  await median(name, `${op} CompressorBackend`, oursPass, perPage);
  const ratios: number[] = [];
  for (let k = 0; k < PAIRS; k++) {
    let r: number;
    let o: number;
    if (k % 2 === 0) {
      r = timeOnce(rawPass);
      o = timeOnce(oursPass);
    } else {
      o = timeOnce(oursPass);
      r = timeOnce(rawPass);
    }
    ratios.push(o / r);
  }
  ratios.sort((a, b) => a - b);
  const ratio = quantile(ratios, 0.5);
  process.stdout.write(
    `${name.padEnd(12)} ${op} ours / raw = ${ratio.toFixed(3)} (median of ${PAIRS} paired passes; p25 ${quantile(ratios, 0.25).toFixed(3)}, p75 ${quantile(ratios, 0.75).toFixed(3)})${ratio > 1.05 ? "  over the 5% goal" : ""}\n`,
  );
}

export async function benchCrypto(): Promise<void> {
  const pages = mixedPages(PAGES);
  const registry = createNativeCompressorRegistry();
  const raws = rawCodecs();
  for (const name of ["lz4", "lz4hc", "zstd", "lzo", "deflate", "sim"]) {
    const backend = registry.get(name).create();
    const raw = raws[name] as Raw;
    const roomy = new Uint8Array(2 * PAGE_SIZE);
    const compressed = pages.map((p) => {
      const n = backend.compress(p, roomy);
      if (n < 0) throw new Error(`bench: ${name} failed to compress a page: ${n}`);
      return roomy.slice(0, n);
    });
    const ratio = compressed.reduce((a, c) => a + c.length, 0) / (PAGES * PAGE_SIZE);
    process.stdout.write(
      `${name.padEnd(12)} ${PAGES} pages, compressed to ${(ratio * 100).toFixed(1)}% on average\n`,
    );
    await compare(name, "compress", pages, backend, raw);
    await compare(name, "decompress", compressed, backend, raw);
  }
  // For reference: node:zlib's documented allocating call, a zlib stream per page.
  await median(
    "deflate",
    "compress zlib.deflateRawSync (reference)",
    overAll(pages, new Uint8Array(0), (s) => zlib.deflateRawSync(s, DEFLATE_OPTIONS)),
    mbPerSecond(PAGES * PAGE_SIZE),
  );
}
