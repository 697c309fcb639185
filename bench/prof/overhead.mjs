/**
 * zswap's own cost a page, without the compressor: the run bench's store and load with the
 * binding's compress/decompress replaced by stubs that return each page's real compressed
 * length (computed once) and write nothing, so the pool holds the same objects in the same size
 * classes as a real run. What is left is everything the store and load do besides compressing:
 * the kernel's work (swapcache, zero check, entry, zsmalloc, tree, LRU, the acomp_ctx lock, the
 * copies of incompressible pages) and the library's. The stubs cost about 0.02 us a page.
 * Two builds, rounds interleaved (A B, B A, ...), CPU time a page; one build: give it twice.
 *
 *   npm run build && node bench/prof/overhead.mjs <before>/dist dist lz4 60
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/prof/overhead.mjs dist dist lz4 300
 *
 * The decompress stub writes nothing, so the pages come back wrong: this measures, it does not
 * check (the run bench verifies its first round). Not a test, not part of `npm run bench`.
 */
import {
  benchPages,
  destinations,
  loadBuild,
  N,
  PAGE_SIZE,
  phaseTimer,
  stubCompressor,
} from "./stub_compressor.mjs";

const [distA, distB, name = "lz4", roundsArg = "40"] = process.argv.slice(2);
if (distA === undefined || distB === undefined) {
  process.stderr.write("usage: node bench/prof/overhead.mjs DIST_A DIST_B [compressor] [rounds]\n");
  process.exit(2);
}
const ROUNDS = Number(roundsArg);
const WARMUP = 5;
const builds = [await loadBuild(distA), await loadBuild(distB)];
const pages = benchPages(builds[1]);
const buffer = new Uint8Array(PAGE_SIZE);
const real = builds[1].registry().get(name).create();
const { compress: stubCompress, decompress: stubDecompress } = stubCompressor(
  builds,
  name,
  pages,
  real,
);
const zs = builds.map((b) => b.createZswap({ compressor: name, cpus: 2, totalRamBytes: 2 ** 36 }));
const phases = ["stubs", "store0", "load0", "store1", "load1"];
const cpu = Object.fromEntries(phases.map((p) => [p, 0]));
const dsts = destinations(pages);
const slots = new Array(N);
for (let r = 0; r < WARMUP + ROUNDS; r++) {
  const timed = phaseTimer(cpu, r >= WARMUP);
  timed("stubs", () => {
    for (let i = 0; i < N; i++) stubDecompress(buffer, dsts[i], stubCompress(pages[i], buffer));
  });
  for (const j of r % 2 === 0 ? [0, 1] : [1, 0]) {
    const z = zs[j];
    timed(`store${j}`, () => {
      for (let i = 0; i < N; i++) slots[i] = z.swapOutSync(pages[i]);
    });
    timed(`load${j}`, () => {
      for (let i = 0; i < N; i++) z.swapInSync(slots[i], dsts[i]);
    });
  }
}
for (const z of zs) await z.close();
const us = (p) => ((cpu[p] * 1e3) / (N * ROUNDS)).toFixed(3);
process.stdout.write(
  `${name}, compressor stubbed (stubs ${us("stubs")} us), CPU a page over ${ROUNDS} rounds:\n` +
    `  A store ${us("store0")} us, load ${us("load0")} us\n` +
    `  B store ${us("store1")} us, load ${us("load1")} us\n`,
);
