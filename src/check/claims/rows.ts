/**
 * The ledger of the v8 12/14 review (reference/lkml-2025-03-10-zswap-acomp-ctx-review.txt): one
 * row per technical claim, in thread order, each with the checks that settle it.
 *
 * A check is a (design, scenario, mode, oracle) cell with what the claim predicts for it: "safe"
 * (no report within the bounds) or a bug class (the claim says this must go wrong). The verdict
 * is computed from the checks when the ledger runs (ledger.ts); nothing here is a result. The
 * rows themselves are in rows_ctx.ts (1-5) and rows_prepare.ts (6-18).
 */
import type { BugClass } from "../expected.ts";
import { CTX_ROWS } from "./rows_ctx.ts";
import { PREPARE_ROWS } from "./rows_prepare.ts";

export interface LedgerCheck {
  readonly design: string;
  readonly scenario: string;
  /** Exact mode (lockdep's ordering checks off): only deadlocks that can happen. */
  readonly exact?: boolean;
  /** A claim oracle (src/check/claims/oracles.ts or claims.ts). */
  readonly claim?: string;
  /** What the claim predicts: "safe", or the bug classes one of which must be reported. */
  readonly expect: "safe" | readonly BugClass[];
  /** Why this cell is part of the row, one line. */
  readonly role: string;
}

export interface LedgerRow {
  readonly name: string;
  readonly who: "Yosry Ahmed" | "Kanchana P Sridhar";
  /** The sentence, shortened. */
  readonly quote: string;
  /** The checkable property. */
  readonly property: string;
  readonly checks: readonly LedgerCheck[];
  /** Per-CPU memory figures computed from the model's allocations (memory_cost.ts). */
  readonly memoryCost?: boolean;
}

export const ROWS: readonly LedgerRow[] = [...CTX_ROWS, ...PREPARE_ROWS];

export function rowNames(): string[] {
  return ROWS.map((r) => r.name);
}
