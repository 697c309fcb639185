/**
 * Before/after in one process: store and load per page of two compiled builds of zswap-ts, and
 * the raw binding, on the run bench's 2,048 pages, rounds interleaved (A then B, B then A), so
 * that both see the same machine. Prints wall medians and, since wall time says little on a
 * loaded machine, CPU time (process.cpuUsage, summed over the rounds) with the ratios to raw.
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)
 *   npm run build && node bench/prof/ab_builds.mjs /tmp/before/dist dist lz4 25
 *
 * Not a test, and not part of `npm run bench`: a tool for measuring a change.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

const [distA, distB, name = "lz4", roundsArg = "25"] = process.argv.slice(2);
if (distA === undefined || distB === undefined) {
  process.stderr.write(
    "usage: node bench/prof/ab_builds.mjs DIST_A DIST_B [compressor] [rounds]\n",
  );
  process.exit(2);
}
const ROUNDS = Number(roundsArg);
const WARMUP = 5;
const N = 2048;
const mod = (dist, file) => import(pathToFileURL(path.resolve(dist, file)).href);
/** createZswap moved from zswap_instance.js to create_zswap.js (issue 20): take either. */
const create = async (dist) =>
  (await mod(dist, "src/real/create_zswap.js").catch(() => mod(dist, "src/real/zswap_instance.js")))
    .createZswap;
const builds = [await create(distA), await create(distB)];
const { DEFAULT_MIX, generateCorpus } = await mod(distB, "src/workload/corpus.js");
const PAGE_SIZE = 4096;
const { createNativeCompressorRegistry } = await mod(
  distB,
  "src/crypto/algorithms/native/index.js",
);

const corpus = generateCorpus({ sizeBytes: N * PAGE_SIZE, seed: 1, mix: DEFAULT_MIX });
const pages = Array.from({ length: N }, (_, i) =>
  corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
);
const backend = createNativeCompressorRegistry().get(name).create();
const buffer = new Uint8Array(PAGE_SIZE);
const dst = new Uint8Array(PAGE_SIZE);
const compressed = pages.map((p) => {
  const n = backend.compress(p, buffer);
  return n > 0 && n < PAGE_SIZE ? buffer.slice(0, n) : null;
});
const zs = builds.map((createZswap) =>
  createZswap({ compressor: name, cpus: 2, totalRamBytes: 2 ** 36 }),
);
const phases = ["compress", "decompress", "store0", "load0", "store1", "load1"];
const wall = Object.fromEntries(phases.map((p) => [p, []]));
const cpu = Object.fromEntries(phases.map((p) => [p, 0]));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const slots = new Array(N);
for (let r = 0; r < WARMUP + ROUNDS; r++) {
  const keep = r >= WARMUP;
  const timed = (phase, f) => {
    const c0 = cpuMs();
    const t0 = performance.now();
    f();
    if (!keep) return;
    wall[phase].push(performance.now() - t0);
    cpu[phase] += cpuMs() - c0;
  };
  timed("compress", () => {
    for (const p of pages) backend.compress(p, buffer);
  });
  for (const j of r % 2 === 0 ? [0, 1] : [1, 0]) {
    const z = zs[j];
    timed(`store${j}`, () => {
      for (let i = 0; i < N; i++) slots[i] = z.swapOutSync(pages[i]);
    });
    timed(`load${j}`, () => {
      for (let i = 0; i < N; i++) z.swapInSync(slots[i], dst);
    });
  }
  timed("decompress", () => {
    for (let i = 0; i < N; i++) if (compressed[i] !== null) backend.decompress(compressed[i], dst);
  });
}
for (const z of zs) await z.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const wallUs = (p) => (median(wall[p]) * 1e3) / N;
const cpuUs = (p) => (cpu[p] * 1e3) / (N * ROUNDS);
const pct = (raw, x) => `${((100 * raw) / x).toFixed(0)}%`;
const row = (label, j) =>
  `  ${label.padEnd(7)} store ${cpuUs(`store${j}`).toFixed(2)} us cpu (${pct(cpuUs("compress"), cpuUs(`store${j}`))} of raw; wall ${pct(wallUs("compress"), wallUs(`store${j}`))})` +
  `   load ${cpuUs(`load${j}`).toFixed(2)} us cpu (${pct(cpuUs("decompress"), cpuUs(`load${j}`))}; wall ${pct(wallUs("decompress"), wallUs(`load${j}`))})\n`;
process.stdout.write(
  `${name}: raw compress ${cpuUs("compress").toFixed(2)} us cpu, raw decompress ${cpuUs("decompress").toFixed(2)} us cpu a page (${ROUNDS} rounds)\n` +
    row("A", 0) +
    row("B", 1),
);
