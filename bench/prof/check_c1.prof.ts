/**
 * Profiling driver (not a benchmark): explores C1 x D7 (or DESIGN) with the bounded dfs
 * (bound 2, every detector on, coverage kept as `check` keeps it) for SECONDS of CPU time and
 * prints executions per CPU-second. Profile the compiled JavaScript so line numbers are real:
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/prof/check_c1.prof.js
 *   node scripts/cpuprof_summary.mjs /tmp/prof/CPU.*.cpuprofile
 */
import { scenarioProgram } from "../../src/check/harness.ts";
import { scenarioById } from "../../src/check/scenarios/index.ts";
import { Coverage } from "../../src/sim/coverage.ts";
import { explore } from "../../src/sim/explore.ts";
import { dfs } from "../../src/sim/strategy_dfs.ts";
import { random } from "../../src/sim/strategy_random.ts";
import { designByName } from "../../src/zswap/acomp_ctx/index.ts";

const design = process.env.DESIGN ?? "D7";
const strategy = process.env.STRATEGY ?? "dfs";
const seconds = Number(process.env.SECONDS ?? 10);
const program = scenarioProgram(designByName(design), scenarioById("C1"));
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const t0 = cpuSeconds();
let executions = 0;
let seed = 0;
// The clock is read every 10 explorations: reading it per exploration was 4% of a profile.
while (cpuSeconds() - t0 < seconds) {
  for (let i = 0; i < 10; i++) {
    const exploration = strategy === "dfs" ? dfs(2) : random(seed++);
    const r = explore(program, exploration, { executionsMax: 100_000, coverage: new Coverage() });
    executions += r.executions;
  }
}
const rate = executions / (cpuSeconds() - t0);
process.stdout.write(`C1 x ${design} ${strategy}: ${Math.round(rate)} executions per CPU-second\n`);
