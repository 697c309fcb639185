/**
 * Shared by overhead.mjs and split.mjs: a compiled build's entry points, the run bench's 2,048
 * pages, and the stubbing of a compressor's binding in one build (its own classes only).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

export const N = 2048;
export const PAGE_SIZE = 4096;

/** createZswap, the native compressor registry and the corpus module of the build at `dist`. */
export async function loadBuild(dist) {
  const mod = (file) => import(pathToFileURL(path.resolve(dist, file)).href);
  return {
    createZswap: (await mod("src/real/create_zswap.js")).createZswap,
    registry: (await mod("src/crypto/algorithms/native/index.js")).createNativeCompressorRegistry,
    corpus: await mod("src/workload/corpus.js"),
  };
}

/** The run bench's pages (seed 1, the default mix), as views of one buffer. */
export function benchPages(build) {
  const { generateCorpus, DEFAULT_MIX } = build.corpus;
  const corpus = generateCorpus({ sizeBytes: N * PAGE_SIZE, seed: 1, mix: DEFAULT_MIX });
  return Array.from({ length: N }, (_, i) =>
    corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
  );
}

/**
 * Replaces `name`'s compress/decompress in `builds` (their backend classes' prototypes) with
 * stubs: compress returns the page's real compressed length (computed now, -ENOSPC for a page
 * not in `pages`) and writes nothing; decompress returns PAGE_SIZE and writes nothing.
 * Returns the stubs, so that their own cost can be measured.
 */
export function stubCompressor(builds, name, pages, realBackend) {
  const buffer = new Uint8Array(PAGE_SIZE);
  const lengths = new Map(pages.map((p) => [p, realBackend.compress(p, buffer)]));
  const stubs = {
    compress: (src) => lengths.get(src) ?? -28,
    decompress: () => PAGE_SIZE,
  };
  for (const b of builds) {
    const proto = Object.getPrototypeOf(b.registry().get(name).create());
    proto.compress = stubs.compress;
    proto.decompress = stubs.decompress;
  }
  return stubs;
}

/** One page-sized view of a new buffer per page: where the loads write, as in the run bench. */
export function destinations(pages) {
  const out = new Uint8Array(pages.length * PAGE_SIZE);
  return pages.map((_, i) => out.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
}

/** A phase timer: runs f and, when `keep`, adds its CPU milliseconds (all threads) to cpu[phase]. */
export function phaseTimer(cpu, keep) {
  return (phase, f) => {
    const u0 = process.cpuUsage();
    f();
    if (!keep) return;
    const u = process.cpuUsage(u0);
    cpu[phase] += (u.user + u.system) / 1e3;
  };
}
