/**
 * Checker benchmarks: time to find each buggy cell, time for the whole matrix, and executions
 * per second on scenario C1 with every detector on.
 */
import { checkCell } from "../src/check/checker.ts";
import { DESIGN_COLUMNS, EXPECTED } from "../src/check/expected.ts";
import { scenarioProgram } from "../src/check/harness.ts";
import { LIFECYCLE_SCENARIOS, scenarioById } from "../src/check/scenarios/index.ts";
import { runOnce } from "../src/sim/explore.ts";
import { RandomStrategy } from "../src/sim/strategy_random.ts";
import { designByName } from "../src/zswap/acomp_ctx/index.ts";
import { median, perSecond } from "./harness.ts";

export async function benchCheck(): Promise<void> {
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
