/**
 * Detector self-test: a checker that never fails is untested.
 *
 * Each row plants one bug in a tiny program and explores it; the detector must fire, with the
 * expected kind of report. The same program with the bug fixed (its "twin") is explored the
 * same way and must stay quiet. The hotplug rows test the hotplug model's rules the same way:
 * the planted bug is a client that relies on the wrong rule, and the twin, which relies on the
 * right one, passes only if the model implements it.
 *
 * The rows, by family: selftest_memory.ts (KASAN, kmemleak), selftest_sync.ts (lockdep,
 * deadlock, hung task, atomic context, percpu_ref), selftest_hotplug.ts (the hotplug model's
 * rules), selftest_liveness.ts (livelock, soft lockup, a hung task nobody can wake); selftest_case.ts has the row
 * type and the helpers they share.
 */

import { explore } from "../sim/explore.ts";
import { pct } from "../sim/strategy_pct.ts";
import { random } from "../sim/strategy_random.ts";
import type { SelftestCase } from "./selftest_case.ts";
import { HOTPLUG_CASES } from "./selftest_hotplug.ts";
import { LIVENESS_CASES } from "./selftest_liveness.ts";
import { MEMORY_CASES } from "./selftest_memory.ts";
import { SYNC_CASES } from "./selftest_sync.ts";

export interface SelftestRow {
  detector: string;
  planted: string;
  firedOnBug: boolean;
  quietOnTwin: boolean;
  bugReport: string;
}

const SEED = 1;

export function runSelftest(): SelftestRow[] {
  return [...MEMORY_CASES, ...SYNC_CASES, ...HOTPLUG_CASES, ...LIVENESS_CASES].map(runCase);
}

function runCase(c: SelftestCase): SelftestRow {
  const strategy = () => (c.strategy === "pct" ? pct(SEED, 3) : random(SEED));
  const bug = explore(c.make(true), strategy(), { executionsMax: c.executionsMax });
  const twin = explore(c.make(false), strategy(), { executionsMax: c.executionsMax });
  const report = bug.failing?.bug ?? null;
  const firedOnBug =
    report !== null && report.kind === c.kind && (c.title?.test(report.title) ?? true);
  const quietOnTwin = twin.verdict !== "bug" && twin.stepBoundHits === 0;
  let bugReport =
    report !== null
      ? `${report.text}\n(found after ${bug.executions} execution(s), token ${bug.token})`
      : `no bug found: ${bug.message}`;
  if (!quietOnTwin) {
    bugReport += `\n--- the fixed twin was not quiet: ${twin.failing?.bug?.text ?? twin.message}`;
  }
  return { detector: c.detector, planted: c.planted, firedOnBug, quietOnTwin, bugReport };
}

/** A table: detector | planted bug | fired on bug | quiet on twin | ok. */
export function formatSelftest(rows: SelftestRow[]): string {
  const head = ["detector", "planted bug", "fired on bug", "quiet on twin", "ok"];
  const body = rows.map((r) => [
    r.detector,
    r.planted,
    r.firedOnBug ? "yes" : "NO",
    r.quietOnTwin ? "yes" : "NO",
    r.firedOnBug && r.quietOnTwin ? "ok" : "FAIL",
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((b) => (b[i] as string).length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  const failed = rows.filter((r) => !(r.firedOnBug && r.quietOnTwin)).length;
  return [
    line(head),
    rule,
    ...body.map(line),
    "",
    failed === 0 ? `all ${rows.length} detectors ok` : `${failed} of ${rows.length} rows FAILED`,
  ].join("\n");
}
