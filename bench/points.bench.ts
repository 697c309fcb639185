/**
 * `npm run bench points`: the whole matrix at every preemption points level, in one run:
 * executions and seconds per level, the cost of each level against "sleep" (today's points
 * only), whether every cell stayed complete (exhaustive, no cap) and matched its expectation,
 * and the executions of each cell at the deepest level.
 */
import { type CellResult, checkCell } from "../src/check/checker.ts";
import { DESIGN_COLUMNS } from "../src/check/expected.ts";
import { matches } from "../src/check/report.ts";
import { LIFECYCLE_SCENARIOS } from "../src/check/scenarios/index.ts";
import { POINTS_LEVELS, type PointsLevel } from "../src/kernel/points.ts";

interface LevelRun {
  readonly level: PointsLevel;
  readonly seconds: number;
  readonly executions: number;
  readonly incomplete: number;
  readonly mismatched: number;
  readonly cells: readonly CellResult[];
}

function runMatrix(level: PointsLevel): LevelRun {
  const cells: CellResult[] = [];
  const t0 = performance.now();
  for (const s of LIFECYCLE_SCENARIOS)
    for (const d of DESIGN_COLUMNS)
      cells.push(checkCell(d, s.id, { points: level, clock: () => performance.now() }));
  const seconds = (performance.now() - t0) / 1000;
  return {
    level,
    seconds,
    executions: cells.reduce((n, c) => n + c.executions, 0),
    // Inconclusive: a cap or the step bound was hit, so the search was not complete.
    incomplete: cells.filter((c) => c.verdict === "inconclusive").length,
    mismatched: cells.filter((c) => !matches(c)).length,
    cells,
  };
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function benchPoints(): Promise<void> {
  const runs = POINTS_LEVELS.map(runMatrix);
  const base = runs[0] as LevelRun;
  for (const r of runs) {
    out(
      `points       ${r.level.padEnd(7)} matrix ${r.seconds.toFixed(1).padStart(6)} s  ${String(r.executions).padStart(8)} executions  x${(r.executions / base.executions).toFixed(2)} executions, x${(r.seconds / base.seconds).toFixed(2)} time vs sleep; ${r.incomplete} incomplete, ${r.mismatched} mismatched`,
    );
  }
  out("points       executions per cell (sleep / access / all), cells over 2,000 at all:");
  const deepest = runs[runs.length - 1] as LevelRun;
  deepest.cells.forEach((c, i) => {
    if (c.executions <= 2000) return;
    const per = runs.map((r) => String(r.cells[i]?.executions ?? 0).padStart(7)).join(" /");
    out(
      `points         ${`${c.design} x ${c.scenario}`.padEnd(16)} ${per}  (${c.timeMs} ms at all)`,
    );
  });
}
