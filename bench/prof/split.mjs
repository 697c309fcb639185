/**
 * Where the time between zswap's store/load and the raw compressor goes, in one process, rounds
 * interleaved, CPU time a page: the raw binding (as the run bench calls it), the store and load
 * of DIST, and the store and load of STUB_DIST (a copy of the same build, so its own classes)
 * with the compressor stubbed as in overhead.mjs. Then
 *   gap = zswap - raw;  zswap's own work = stubbed;  the rest = gap - own,
 * the rest being what the compressor's calls cost more inside zswap than in the raw loop (other
 * pages: zswap skips zero pages and decompresses no incompressible one; and the caches, which
 * zswap's own work shares with the compressor).
 *
 *   npm run build && cp -r dist /tmp/stub/dist && ln -s "$PWD/node_modules" /tmp/stub/
 *   node bench/prof/split.mjs dist /tmp/stub/dist zstd 25
 *
 * Not a test, not part of `npm run bench`.
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

const [dist, stubDist, name = "lz4", roundsArg = "25"] = process.argv.slice(2);
if (dist === undefined || stubDist === undefined) {
  process.stderr.write("usage: node bench/prof/split.mjs DIST STUB_DIST [compressor] [rounds]\n");
  process.exit(2);
}
const ROUNDS = Number(roundsArg);
const WARMUP = 5;
const real = await loadBuild(dist);
const stubbed = await loadBuild(stubDist);
const pages = benchPages(real);
const backend = real.registry().get(name).create();
const buffer = new Uint8Array(PAGE_SIZE);
const compressed = pages.map((p) => {
  const n = backend.compress(p, buffer);
  return n > 0 && n < PAGE_SIZE ? buffer.slice(0, n) : null;
});
stubCompressor([stubbed], name, pages, backend);
const zs = {
  real: real.createZswap({ compressor: name, cpus: 2, totalRamBytes: 2 ** 36 }),
  stub: stubbed.createZswap({ compressor: name, cpus: 2, totalRamBytes: 2 ** 36 }),
};
const cpu = { compress: 0, decompress: 0, storereal: 0, loadreal: 0, storestub: 0, loadstub: 0 };
const dsts = destinations(pages);
const slots = new Array(N);
for (let r = 0; r < WARMUP + ROUNDS; r++) {
  const timed = phaseTimer(cpu, r >= WARMUP);
  timed("compress", () => {
    for (const p of pages) backend.compress(p, buffer);
  });
  for (const which of r % 2 === 0 ? ["real", "stub"] : ["stub", "real"]) {
    const z = zs[which];
    timed(`store${which}`, () => {
      for (let i = 0; i < N; i++) slots[i] = z.swapOutSync(pages[i]);
    });
    timed(`load${which}`, () => {
      for (let i = 0; i < N; i++) z.swapInSync(slots[i], dsts[i]);
    });
  }
  timed("decompress", () => {
    for (let i = 0; i < N; i++)
      if (compressed[i] !== null) backend.decompress(compressed[i], dsts[i]);
  });
}
await zs.real.close();
await zs.stub.close();
const us = (p) => (cpu[p] * 1e3) / (N * ROUNDS);
const line = (what, raw, zswap, own) =>
  `  ${what}: raw ${raw.toFixed(2)} us, zswap ${zswap.toFixed(2)} us (${((100 * raw) / zswap).toFixed(0)}% of raw's throughput); ` +
  `gap ${(zswap - raw).toFixed(2)} = zswap's own work ${own.toFixed(2)} + compressor inside zswap ${(zswap - raw - own).toFixed(2)}\n`;
process.stdout.write(
  `${name}, CPU a page over ${ROUNDS} rounds:\n` +
    line("store", us("compress"), us("storereal"), us("storestub")) +
    line("load ", us("decompress"), us("loadreal"), us("loadstub")),
);
