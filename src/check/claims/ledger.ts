/**
 * Computes the claims ledger: runs every row's checks (checker.ts's three verdicts) and turns
 * what the claim predicted against what the search showed into the row's verdict.
 *
 * - "holds": every prediction is a bug and each was found (a witness, with its token);
 * - "holds-within-bounds": every prediction met, and some are "safe", which the bounded
 *   exhaustive search verified only up to its bounds (stated in `bounds`);
 * - "false": a prediction of safety met a bug (the counterexample and its token);
 * - "false-within-bounds": a predicted bug was not found by the exhaustive search;
 * - "inconclusive": a check hit a cap before covering its bounds.
 */
import { type CellResult, checkCell } from "../checker.ts";
import { bugClass as bugClassOf } from "../expected.ts";
import "../claims.ts";
import { CHECK_DEFAULTS } from "../defaults.ts";
import { memoryFigures } from "./memory_cost.ts";
import { type LedgerCheck, type LedgerRow, ROWS } from "./rows.ts";

export type RowVerdict =
  | "holds"
  | "holds-within-bounds"
  | "false"
  | "false-within-bounds"
  | "inconclusive";

export interface CheckOutcome {
  readonly check: LedgerCheck;
  readonly verdict: CellResult["verdict"];
  readonly bugClass: string | null;
  readonly bugTitle: string | null;
  readonly token: string | null;
  readonly how: string;
  /** Whether the result is what the claim predicted. */
  readonly met: boolean | null;
  readonly command: string;
  readonly timeMs: number;
}

export interface RowResult {
  readonly row: LedgerRow;
  readonly verdict: RowVerdict;
  /** One line: why this verdict (the counterexample, the missing witness, or the bounds). */
  readonly why: string;
  readonly checks: readonly CheckOutcome[];
  readonly memory: string | null;
  readonly command: string;
}

export const LEDGER_BOUNDS = `dfs with at most ${CHECK_DEFAULTS.bound} preemptions, after ${CHECK_DEFAULTS.executions} random executions; points level ${CHECK_DEFAULTS.points}; the scenario's CPUs and actors`;

export function checkCommand(c: LedgerCheck): string {
  const flags = [
    `--design ${c.design}`,
    `--scenario ${c.scenario}`,
    c.exact ? "--no-lockdep" : "",
    c.claim ? `--claim ${c.claim}` : "",
  ].filter((x) => x !== "");
  return `zswap-ts check ${flags.join(" ")}`;
}

function outcome(c: LedgerCheck, r: CellResult): CheckOutcome {
  let met: boolean | null = null;
  if (r.verdict === "verified") met = c.expect === "safe";
  else if (r.verdict === "bug")
    met = c.expect !== "safe" && c.expect.includes(bugClassOf(r.bug?.kind ?? "assertion"));
  return {
    check: c,
    verdict: r.verdict,
    bugClass: r.bugClass,
    bugTitle: r.bug?.title ?? null,
    token: r.token,
    how: r.how,
    met,
    command: checkCommand(c),
    timeMs: r.timeMs,
  };
}

export function rowVerdict(checks: readonly CheckOutcome[]): { verdict: RowVerdict; why: string } {
  const broken = checks.find((o) => o.met === false && o.verdict === "bug");
  if (broken)
    return {
      verdict: "false",
      why: `${broken.check.design} x ${broken.check.scenario}: ${broken.bugTitle} (replay: zswap-ts replay ${broken.token})`,
    };
  const missing = checks.find((o) => o.met === false);
  if (missing)
    return {
      verdict: "false-within-bounds",
      why: `${missing.check.design} x ${missing.check.scenario}: no ${(missing.check.expect as string[]).join("/")} in the exhaustive search (${missing.how})`,
    };
  const open = checks.find((o) => o.met === null);
  if (open)
    return {
      verdict: "inconclusive",
      why: `${open.check.design} x ${open.check.scenario}: ${open.how}`,
    };
  const witnesses = checks.filter((o) => o.verdict === "bug");
  const w = witnesses.map(
    (o) => `${o.check.design} x ${o.check.scenario}: ${o.bugClass} (${o.token})`,
  );
  if (checks.every((o) => o.check.expect !== "safe"))
    return { verdict: "holds", why: `witnessed: ${w.join("; ")}` };
  return {
    verdict: "holds-within-bounds",
    why: `${checks.length - witnesses.length} cell(s) verified within the bounds${w.length > 0 ? `; witnessed: ${w.join("; ")}` : ""}`,
  };
}

export interface LedgerOptions {
  readonly only?: string;
  readonly clock?: () => number;
  readonly onCheck?: (row: LedgerRow, c: LedgerCheck, done: number, total: number) => void;
}

/** Results of cells already checked in this run (rows share cells: D7 x C7, D2 x C4). */
type CellCache = Map<string, CellResult>;

export function computeRow(
  row: LedgerRow,
  o: LedgerOptions = {},
  tick: () => void = () => {},
  cache: CellCache = new Map(),
): RowResult {
  const checks = row.checks.map((c) => {
    tick();
    const key = checkCommand(c);
    let r = cache.get(key);
    if (r === undefined) {
      r = checkCell(c.design, c.scenario, {
        lockdep: c.exact !== true,
        ...(c.claim ? { claim: c.claim } : {}),
        ...(o.clock ? { clock: o.clock } : {}),
      });
      cache.set(key, r);
    }
    return outcome(c, r);
  });
  const { verdict, why } = rowVerdict(checks);
  return {
    row,
    verdict,
    why,
    checks,
    memory: row.memoryCost ? memoryFigures().text : null,
    command: `zswap-ts claims --only ${row.name}`,
  };
}

export function computeLedger(o: LedgerOptions = {}): RowResult[] {
  const rows = ROWS.filter((r) => o.only === undefined || r.name === o.only);
  const total = rows.reduce((n, r) => n + r.checks.length, 0);
  let done = 0;
  const cache: CellCache = new Map();
  return rows.map((r) =>
    computeRow(r, o, () => o.onCheck?.(r, r.checks[0] as LedgerCheck, done++, total), cache),
  );
}
