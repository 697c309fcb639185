/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function, and with --inclusive
 * NAME... the inclusive time of functions whose name matches (recursion counted once).
 * Usage: node scripts/cpuprof_summary.mjs FILE [TOP] [--inclusive name1,name2]
 */
import fs from "node:fs";

const [file, topArg, flag, names] = process.argv.slice(2);
const p = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) {
  dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const key = (n) => {
  const cf = n.callFrame;
  return `${cf.functionName || "(anon)"} ${cf.url.split("/").slice(-2).join("/")}:${cf.lineNumber + 1}`;
};
let total = 0;
const self = new Map();
for (const n of p.nodes) {
  const t = dt.get(n.id) ?? 0;
  total += t;
  self.set(key(n), (self.get(key(n)) ?? 0) + t);
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
if (flag === "--inclusive") {
  const wanted = names.split(",");
  const incl = new Map(wanted.map((w) => [w, 0]));
  for (const n of p.nodes) {
    const t = dt.get(n.id) ?? 0;
    if (t === 0) continue;
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id).callFrame.functionName;
      if (incl.has(f) && !seen.has(f)) {
        seen.add(f);
        incl.set(f, incl.get(f) + t);
      }
    }
  }
  for (const [w, t] of incl) process.stdout.write(`${pct(t)}  ${w} (inclusive)\n`);
} else {
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 40));
  for (const [k, t] of top) process.stdout.write(`${pct(t)}  ${k}\n`);
}
