/**
 * A per-page account from a CPU profile: the self time of every function called (at any depth)
 * under ROOT (swapOutSync or swapInSync), grouped by the layer its file belongs to, in
 * microseconds a page when given the number of calls ROOT made, else in shares.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/prof/overhead.mjs dist dist lz4 300
 *   node bench/prof/account.mjs /tmp/prof/CPU.*.cpuprofile swapInSync [calls]
 *
 * With `calls`, the profile's own time is used (a sampling profiler slows what it samples, so
 * scale to a figure measured without it when comparing). Not a test: a tool for reading a profile.
 */
import fs from "node:fs";

const [file, root = "swapInSync", callsArg] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: node bench/prof/account.mjs FILE.cpuprofile [ROOT] [calls]\n");
  process.exit(2);
}

/** Layers, first match wins: [name, test on "dir/file.js" and the function name]. */
const LAYERS = [
  ["compressor (binding or stub)", (f, fn) => f.startsWith("native/") || fn.startsWith("stub")],
  ["library call (instance, slot, executor)", (f) => f.startsWith("real/")],
  [
    "swap layer (swapcache, folio, zero check, swap_free)",
    (f) =>
      f.startsWith("mm/swap") ||
      f === "mm/folio.js" ||
      f === "mm/slot_table.js" ||
      f === "mm/slot_chunks.js" ||
      f === "mm/swap_entry.js",
  ],
  ["zsmalloc (malloc/free, object copy, zspage lists)", (f) => f.startsWith("zsmalloc/")],
  ["list_lru", (f) => f === "mm/list_lru.js"],
  [
    "acomp_ctx lock, crypto wrappers",
    (f) =>
      f.startsWith("acomp_ctx/") ||
      f.startsWith("crypto/") ||
      f === "kernel/mutex.js" ||
      f === "zswap/ptr_registry.js",
  ],
  ["zswap (store/load/compress, entries, pool, tree)", (f) => f.startsWith("zswap/")],
  ["kernel plumbing (andThen, Op results, points, locks, percpu)", (f) => f.startsWith("kernel/")],
  ["other", () => true],
];

const p = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map();
for (let i = 0; i < p.samples.length; i++) {
  selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const underRoot = (id) => {
  for (let x = id; x !== undefined; x = parent.get(x))
    if (byId.get(x).callFrame.functionName === root) return true;
  return false;
};
const layers = new Map(LAYERS.map(([name]) => [name, new Map()]));
let total = 0;
for (const n of p.nodes) {
  const t = selfUs.get(n.id) ?? 0;
  if (t === 0 || !underRoot(n.id)) continue;
  const cf = n.callFrame;
  const f = cf.url.split("/").slice(-2).join("/");
  const fn = cf.functionName || "(anon)";
  const [layer] = LAYERS.find(([, test]) => test(f, fn));
  const fns = layers.get(layer);
  fns.set(fn, (fns.get(fn) ?? 0) + t);
  total += t;
}
const calls = callsArg === undefined ? 0 : Number(callsArg);
const fmt = (t) =>
  calls > 0 ? `${(t / calls).toFixed(3)} us` : `${((100 * t) / total).toFixed(1)}%`;
process.stdout.write(`${root}: ${fmt(total)}${calls > 0 ? " a call" : ""} in all\n`);
for (const [layer, fns] of layers) {
  const sum = [...fns.values()].reduce((a, b) => a + b, 0);
  if (sum === 0) continue;
  const top = [...fns]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([fn, t]) => `${fn} ${fmt(t)}`)
    .join(", ");
  process.stdout.write(`  ${fmt(sum).padStart(9)}  ${layer}: ${top}\n`);
}
