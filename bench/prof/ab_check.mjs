/**
 * Before/after in one process: executions per CPU-second of the bounded dfs (bound 2, every
 * detector on, coverage kept as `check` keeps it) on C1 x DESIGN, for two compiled builds,
 * rounds alternated (A B, B A, ...) so that both see the same machine load. Prints each
 * build's median and the ratio.
 *
 *   cp -r dist /tmp/before-dist   # on the old commit, after npm run build
 *   npm run build && node bench/prof/ab_check.mjs /tmp/before-dist dist [design] [rounds] [seconds]
 *
 * On a loaded machine prefer many short rounds (e.g. 41 of 0.3 s): both builds then see the
 * same load, and the median is what they share.
 *
 * Not a test, and not part of `npm run bench`: a tool for measuring a change.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

const [distA, distB, design = "D7", roundsArg = "7", secondsArg = "1.5"] = process.argv.slice(2);
if (distA === undefined || distB === undefined) {
  process.stderr.write(
    "usage: node bench/prof/ab_check.mjs DIST_A DIST_B [design] [rounds] [seconds]\n",
  );
  process.exit(2);
}
const ROUNDS = Number(roundsArg);
const SECONDS = Number(secondsArg);
const mod = (dist, file) => import(pathToFileURL(path.resolve(dist, file)).href);
const load = async (dist) => {
  const { scenarioProgram } = await mod(dist, "src/check/harness.js");
  const { scenarioById } = await mod(dist, "src/check/scenarios/index.js");
  const { Coverage } = await mod(dist, "src/sim/coverage.js");
  const { explore } = await mod(dist, "src/sim/explore.js");
  const { dfs } = await mod(dist, "src/sim/strategy_dfs.js");
  const { designByName } = await mod(dist, "src/zswap/acomp_ctx/index.js");
  const program = scenarioProgram(designByName(design), scenarioById("C1"));
  return () => explore(program, dfs(2), { coverage: new Coverage() }).executions;
};
const builds = [await load(distA), await load(distB)];
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const rate = (run, seconds) => {
  const t0 = cpu();
  let executions = 0;
  while (cpu() - t0 < seconds) for (let i = 0; i < 10; i++) executions += run();
  return executions / (cpu() - t0);
};
for (const b of builds) rate(b, 0.5); // warm-up
const rates = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? [0, 1] : [1, 0];
  for (const i of order) rates[i].push(rate(builds[i], SECONDS));
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [a, b] = rates.map(med);
const f = (x) => Math.round(x).toLocaleString("en-US");
process.stdout.write(
  `C1 x ${design} dfs(2): A ${f(a)}, B ${f(b)} executions per CPU-second (medians of ${ROUNDS} rounds of ${SECONDS} s), B/A x${(b / a).toFixed(3)}\n`,
);
