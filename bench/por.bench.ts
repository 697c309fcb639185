/**
 * `npx tsx bench/index.ts por`: what the partial-order reduction buys on the cells where it
 * stops the most executions, without and with it alternated in one process (so that the load of
 * a shared machine falls on both alike): executions started, executions stopped early, and the
 * median seconds of the exhaustive phase (dfs, bound 2, no hunt, no shrinking).
 */
import { checkCell } from "../src/check/checker.ts";

const CELLS: ReadonlyArray<readonly [string, string]> = [
  ["D7", "C4"],
  ["D7", "C8"],
  ["D7", "C11"],
  ["D1", "C9"],
];
const ROUNDS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export async function benchPor(): Promise<void> {
  for (const [d, s] of CELLS) {
    const ms: Record<"off" | "on", number[]> = { off: [], on: [] };
    const executions: Record<"off" | "on", number> = { off: 0, on: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["off", "on"] as const) {
        const r = checkCell(d, s, {
          strategy: "dfs",
          shrink: false,
          por: mode === "on",
          clock: () => performance.now(),
        });
        ms[mode].push(r.timeMs);
        executions[mode] = r.executions;
      }
    }
    process.stdout.write(
      `por          ${`${d} x ${s}`.padEnd(10)} executions ${String(executions.off).padStart(6)} -> ${String(executions.on).padStart(6)}   median ${(median(ms.off) / 1000).toFixed(2)} s -> ${(median(ms.on) / 1000).toFixed(2)} s (x${(median(ms.off) / median(ms.on)).toFixed(2)})\n`,
    );
  }
}
