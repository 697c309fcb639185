/**
 * Bytes allocated per page stored and loaded, by allocating function: V8's sampling heap
 * profiler with the objects minor and major GCs collected kept, over 20 rounds of the run
 * bench's 2,048 pages (lz4), after 20 rounds of warm-up. Not a test; a tool for issue 17:
 *
 *   npm run build && node bench/prof/alloc_per_page.mjs [DIST] [compressor]
 */
import { Session } from "node:inspector/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [distArg = "dist", name = "lz4"] = process.argv.slice(2);
const mod = (file) => import(pathToFileURL(path.resolve(distArg, file)).href);
const { createZswap } = await mod("src/real/create_zswap.js");
const { DEFAULT_MIX, generateCorpus } = await mod("src/workload/corpus.js");
const N = 2048;
const PAGE_SIZE = 4096;
const ROUNDS = 20;
const corpus = generateCorpus({ sizeBytes: N * PAGE_SIZE, seed: 1, mix: DEFAULT_MIX });
const pages = Array.from({ length: N }, (_, i) =>
  corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
);
const z = createZswap({ compressor: name, cpus: 2, totalRamBytes: 2 ** 36 });
const slots = new Array(N);
const dst = new Uint8Array(PAGE_SIZE);
const round = () => {
  for (let i = 0; i < N; i++) slots[i] = z.swapOutSync(pages[i]);
  for (let i = 0; i < N; i++) z.swapInSync(slots[i], dst);
};
for (let r = 0; r < ROUNDS; r++) round();
const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", {
  samplingInterval: 128,
  includeObjectsCollectedByMinorGC: true,
  includeObjectsCollectedByMajorGC: true,
});
for (let r = 0; r < ROUNDS; r++) round();
const { profile } = await session.post("HeapProfiler.stopSampling");
const byFunction = new Map();
let total = 0;
const walk = (node) => {
  const cf = node.callFrame;
  const key = `${cf.functionName || "(anon)"} ${cf.url.split("/").slice(-2).join("/")}:${cf.lineNumber + 1}`;
  total += node.selfSize;
  if (node.selfSize > 0) byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
  for (const c of node.children) walk(c);
};
walk(profile.head);
const perPage = (bytes) => (bytes / (ROUNDS * N)).toFixed(0);
process.stdout.write(`${name}: ${perPage(total)} bytes allocated per page stored and loaded\n`);
for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 20))
  process.stdout.write(`${perPage(v).padStart(6)}  ${k}\n`);
await z.close();
