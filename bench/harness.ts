/**
 * Benchmark harness: mitata's `measure` for per-call timings, reported as medians (p50), and
 * ratios against a baseline measured in the same run. Machines here are noisy: never assert.
 */
import { measure } from "mitata";

export interface Row {
  readonly group: string;
  readonly name: string;
  /** Median nanoseconds per call. */
  readonly medianNs: number;
  /** Optional derived figure, e.g. "52,000 executions/s" or "640 MB/s". */
  readonly figure?: string;
}

export const rows: Row[] = [];

/** Measures `fn` and records its median time per call. */
export async function median(
  group: string,
  name: string,
  fn: () => unknown,
  figure?: (ns: number) => string,
): Promise<number> {
  const stats = await measure(fn, { min_cpu_time: 300 * 1e6 });
  const ns = stats.p50;
  rows.push({ group, name, medianNs: ns, ...(figure ? { figure: figure(ns) } : {}) });
  process.stdout.write(
    `${group.padEnd(12)} ${name.padEnd(44)} median ${fmtNs(ns).padStart(10)}${figure ? `  ${figure(ns)}` : ""}\n`,
  );
  return ns;
}

export function fmtNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} us`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

export function perSecond(unit: string, perCall = 1): (ns: number) => string {
  return (ns) => `${Math.round((perCall * 1e9) / ns).toLocaleString("en-US")} ${unit}/s`;
}

export function mbPerSecond(bytesPerCall: number): (ns: number) => string {
  return (ns) => `${((bytesPerCall / ns) * 1e3).toFixed(0)} MB/s`;
}
