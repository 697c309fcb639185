/**
 * Checker benchmarks: time to find each buggy cell, time for the whole matrix, and executions
 * per second on scenario C1 with every detector on.
 */
import { checkCell } from "../src/check/checker.ts";
import { DESIGN_COLUMNS, EXPECTED } from "../src/check/expected.ts";
import { scenarioProgram } from "../src/check/harness.ts";
import { LIFECYCLE_SCENARIOS, scenarioById } from "../src/check/scenarios/index.ts";
import { Coverage } from "../src/sim/coverage.ts";
import { explore, runOnce } from "../src/sim/explore.ts";
import { dfs } from "../src/sim/strategy_dfs.ts";
import { RandomStrategy } from "../src/sim/strategy_random.ts";
import { designByName } from "../src/zswap/acomp_ctx/index.ts";
import { median, perSecond } from "./harness.ts";

/** The issue #15 goal: executions per second on C1 x D7 with every detector on. */
const C1_D7_GOAL = 10_000;

/**
 * Executions per CPU-second of the bounded dfs (bound 2, as `check` verifies) on C1 x D7, over
 * `seconds` of CPU time. CPU time, not wall time: the machines this runs on are shared.
 */
function c1D7Rate(seconds: number): number {
  const program = scenarioProgram(designByName("D7"), scenarioById("C1"));
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const t0 = cpu();
  let executions = 0;
  while (cpu() - t0 < seconds) {
    for (let i = 0; i < 10; i++)
      executions += explore(program, dfs(2), { coverage: new Coverage() }).executions;
  }
  return executions / (cpu() - t0);
}

export async function benchCheck(): Promise<void> {
  c1D7Rate(0.5); // warm-up
  const rates = [1, 2, 3, 4, 5].map(() => c1D7Rate(1.5)).sort((a, b) => a - b);
  const rate = Math.round(rates[2] as number);
  process.stdout.write(
    `check        C1 x D7 dfs(2), all detectors: ${rate.toLocaleString("en-US")} executions per CPU-second (median of 5), goal ${C1_D7_GOAL.toLocaleString("en-US")}: ${rate >= C1_D7_GOAL ? "met" : `not met (${Math.round((100 * rate) / C1_D7_GOAL)}%)`}\n`,
  );
  for (const d of ["D7", "D0"]) {
    const program = scenarioProgram(designByName(d), scenarioById("C1"));
    let seed = 0;
    await median(
      "check",
      `C1 x ${d}: one execution, all detectors`,
      () => runOnce(program, new RandomStrategy(seed++)),
      perSecond("executions"),
    );
  }
  const slowest: Array<[string, number]> = [];
  const t0 = performance.now();
  for (const s of LIFECYCLE_SCENARIOS) {
    for (const d of DESIGN_COLUMNS) {
      const expect = EXPECTED[s.id]?.[d]?.expect.kind;
      const r = checkCell(d, s.id, { clock: () => performance.now() });
      if (expect === "bug") slowest.push([`${d} x ${s.id}`, r.timeMs]);
    }
  }
  const total = (performance.now() - t0) / 1000;
  slowest.sort((a, b) => b[1] - a[1]);
  const times = slowest.map(([, ms]) => ms).sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)] ?? 0;
  process.stdout.write(
    `check        buggy cells: ${slowest.length}, median ${med} ms to find (incl. shrinking), slowest ${slowest[0]?.[0]} ${slowest[0]?.[1]} ms\n`,
  );
  process.stdout.write(
    `check        whole matrix: ${total.toFixed(1)} s (${LIFECYCLE_SCENARIOS.length * DESIGN_COLUMNS.length} cells)\n`,
  );
}
