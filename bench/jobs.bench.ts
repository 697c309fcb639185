/**
 * `npm run bench jobs`: the matrix with `--jobs 1` (the unsplit search) and `--jobs 2` (split
 * across two worker threads), in one run: per cell executions and wall time of each, whether
 * the two agree, and the matrix wall time of each. Only when asked for by name (minutes).
 */
import { type CellResult, checkCell, programOptions } from "../src/check/checker.ts";
import { DESIGN_COLUMNS } from "../src/check/expected.ts";
import { LIFECYCLE_SCENARIOS } from "../src/check/scenarios/index.ts";
import { checkCellSplit, JobPool } from "../src/cli/check_jobs.ts";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function same(a: CellResult, b: CellResult): boolean {
  return JSON.stringify({ ...a, timeMs: 0 }) === JSON.stringify({ ...b, timeMs: 0 });
}

export async function benchJobs(jobs = Number(process.env.BENCH_JOBS ?? 2)): Promise<void> {
  const clock = () => performance.now();
  const pool = new JobPool(jobs);
  let t1 = 0;
  let tN = 0;
  let differ = 0;
  out(`jobs         cell             executions   --jobs 1 ms   --jobs ${jobs} ms`);
  for (const s of LIFECYCLE_SCENARIOS) {
    for (const d of DESIGN_COLUMNS) {
      const a = checkCell(d, s.id, { clock });
      const o = { clock };
      const b = await checkCellSplit(d, s.id, o, pool.runner(d, s.id, programOptions(o)));
      t1 += a.timeMs;
      tN += b.timeMs;
      if (!same(a, b)) differ++;
      if (a.executions >= 500)
        out(
          `jobs         ${`${d} x ${s.id}`.padEnd(16)} ${String(a.executions).padStart(10)} ${String(a.timeMs).padStart(13)} ${String(b.timeMs).padStart(13)}${same(a, b) ? "" : "  DIFFERENT"}`,
        );
    }
  }
  await pool.close();
  out(
    `jobs         matrix: --jobs 1 ${(t1 / 1000).toFixed(1)} s, --jobs ${jobs} ${(tN / 1000).toFixed(1)} s; ${differ} cell(s) differ (cells under 500 executions not listed)`,
  );
}
