/**
 * `zswap-ts claims`: the ledger of the v8 12/14 acomp_ctx review, every claim settled by a check
 * computed now (src/check/claims/). Exit 0 when the ledger was computed (whatever the verdicts),
 * 2 for bad input.
 *
 * @example
 * zswap-ts claims                          # every row, as text
 * zswap-ts claims --only hotfix-unnecessary
 * zswap-ts claims --json > claims.json
 * zswap-ts claims --html review.html       # one page to attach to a mail
 */
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { computeLedger } from "../check/claims/ledger.ts";
import { ledgerHtml, ledgerJson, ledgerText } from "../check/claims/render.ts";
import { rowNames } from "../check/claims/rows.ts";
import { UsageError } from "./usage_error.ts";

interface ClaimsFlags {
  json?: boolean;
  html?: string;
  only?: string;
}

export function claimsCommand(): Command {
  return new Command("claims")
    .description(
      "Settle every technical claim of the v8 12/14 acomp_ctx review (Yosry Ahmed, Kanchana P Sridhar, " +
        "10 Mar 2025) by running its checks now: who said it, the sentence, the checkable property, the " +
        "designs and scenarios, the verdict (holds, holds-within-bounds, false with a replay token, " +
        "false-within-bounds, inconclusive) and the command that reproduces the row.",
    )
    .option("--json", "print the ledger as JSON")
    .option("--html <file>", "also write the ledger as one self-contained HTML page")
    .option("--only <name>", "only this row (an unknown name lists the names)")
    .action((flags: ClaimsFlags) => {
      if (flags.only !== undefined && !rowNames().includes(flags.only))
        throw new UsageError(`Unknown claim '${flags.only}'; available: ${rowNames().join(", ")}`);
      const tty = process.stderr.isTTY === true;
      const rows = computeLedger({
        ...(flags.only !== undefined ? { only: flags.only } : {}),
        clock: () => performance.now(),
        ...(tty
          ? {
              onCheck: (row, _c, done, total) =>
                process.stderr.write(`\r\x1b[K[${done + 1}/${total}] ${row.name}`),
            }
          : {}),
      });
      if (tty) process.stderr.write("\r\x1b[K");
      if (flags.html !== undefined) {
        try {
          writeFileSync(flags.html, ledgerHtml(rows));
        } catch (e) {
          throw new UsageError(`Cannot write --html ${flags.html}: ${(e as Error).message}`);
        }
      }
      process.stdout.write(
        flags.json ? `${JSON.stringify(ledgerJson(rows), null, 2)}\n` : ledgerText(rows),
      );
    });
}
