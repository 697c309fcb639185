/**
 * `zswap-ts replay`: a token printed by `zswap-ts check` gives the same report and trace again.
 *
 * @example
 * zswap-ts replay zt1pa.D0.C1.-b-1-7-.1uwpdyp
 */
import { Command } from "commander";
import { replayCheckToken } from "../check/check_token.ts";
import type { CellResult } from "../check/checker.ts";
import { bugClass as bugClassOf } from "../check/expected.ts";
import { cellJson, formatCell } from "../check/report.ts";
import { int, out } from "./check_flags.ts";
import { traceSection, writeBugFiles } from "./check_output.ts";
import { loadDesignFile } from "./design_file.ts";
import { jsonText } from "./json_out.ts";
import { UsageError } from "./usage_error.ts";

interface ReplayFlags {
  json?: boolean;
  html?: string;
  traceJson?: string;
  wide?: boolean;
  designFile?: string;
  loadTimeout: string;
}

export function replayCommand(): Command {
  return new Command("replay")
    .description("Replay a token printed by 'zswap-ts check' and print the same report and trace.")
    .argument("<token>", "the replay token (zt1....)")
    .option("--json", "machine-readable output")
    .option("--html <file>", "also write the execution as an HTML timeline")
    .option("--trace-json <file>", "also write the execution as Chrome trace-event JSON")
    .option("--wide", "text trace with one line per event instead of CPU columns")
    .exitOverride()
    .option("--design-file <file>", "the design file the token was recorded with")
    .option("--load-timeout <s>", "seconds a --design-file may take to load", "10")
    .action(async (token: string, f: ReplayFlags) => {
      if (f.designFile !== undefined) {
        const seconds = int("load-timeout", f.loadTimeout, 1, 3600);
        await loadDesignFile(f.designFile, seconds * 1000);
      }
      let rep: ReturnType<typeof replayCheckToken>;
      try {
        rep = replayCheckToken(token);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const { design, scenario, result } = rep;
      if (result.outcome !== "bug") {
        // One execution without a bug verifies nothing: say what it was, exit 0 as before.
        const what = `${design.name} x ${scenario.id}: no bug in this execution (${result.message}; ${result.steps} steps)`;
        out(f.json ? jsonText({ verdict: "no-bug", message: what }) : `zswap-ts replay: ${what}`);
        process.exitCode = 0;
        return;
      }
      const cell: CellResult = {
        design: design.name,
        scenario: scenario.id,
        verdict: "bug",
        inconclusive: [],
        coverage: null,
        bug: result.bug,
        bugClass: null,
        how: `replayed (${result.steps} steps, ${result.preemptions} preemption(s))`,
        executions: 1,
        preemptions: result.preemptions,
        token,
        timeMs: 0,
        stepBoundHits: result.stepBoundHit ? 1 : 0,
        points: rep.points,
      };
      if (f.json) out(jsonText(cellJson(cell, result.trace)));
      else
        out(
          formatCell(
            { ...cell, bugClass: result.bug ? bugClassOf(result.bug.kind) : null },
            traceSection(result, result.bug?.text ?? "", f),
          ),
        );
      const title = `${design.name} x ${scenario.id}: ${result.bug?.title ?? "no bug"}`;
      writeBugFiles(f, title, result.bug?.text ?? "", token, result);
      process.exitCode = 1;
    });
}
