import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Trace } from "../sim/trace.ts";
import { replayCheckToken } from "./check_token.ts";
import { checkCell } from "./checker.ts";
import { COLUMN_WIDTH, traceReport, wrapText } from "./trace_text.ts";

function uaf(wide = false): string {
  const r = checkCell("D0", "C1");
  const { result } = replayCheckToken(r.token as string);
  return traceReport(result.trace as Trace, result.bug?.text ?? "", { wide });
}

describe("text trace", () => {
  it("wraps within the column and cuts nothing", () => {
    assert.deepEqual(wrapText("aa bb cc", 5), ["aa bb", "cc"]);
    assert.deepEqual(wrapText("abcdefgh", 3), ["abc", "def", "gh"]);
    const text = uaf();
    assert.ok(!text.includes("…"));
    for (const line of text.split("\n").filter((l) => l.includes("|") && !l.includes("folded")))
      for (const cell of line.split("| ").slice(1))
        assert.ok(
          cell.replace(/\|$/, "").trimEnd().length <= COLUMN_WIDTH,
          `cell too wide: ${cell}`,
        );
    // The bug title is whole, though longer than a column: it goes on in the next line.
    assert.match(text, /BUG: KASAN:\n +\| +\| slab-use-after-free in zswap_decompress/);
  });

  it("marks the free, the bad access, the migration and the deciding choice", () => {
    const text = uaf();
    assert.match(text, />\| +\| \[free\] \[cited\] H: kfree acomp_req#\d+/);
    assert.match(text, />\| .*\[bug\] \[cited\] T: bug BUG: KASAN/);
    assert.match(text, />\| \[migration\] T: migrate cpu0 -> cpu1/);
    assert.match(text, />\| \[choice\] T: sched crypto_wait_req/);
    assert.match(text, /\.\.\. \d+ setup events of task init \(steps 1-\d+\) folded \.\.\./);
    assert.match(text, /\[cited\] init: kmalloc acomp_req#\d+/, "the allocation the report cites");
  });

  it("--wide gives one line per event", () => {
    const text = uaf(true);
    assert.match(
      text,
      /^ +\d+> cpu1 +\[bug\] \[cited\] T: bug BUG: KASAN: slab-use-after-free in zswap_decompress$/m,
    );
  });

  it("shows the earlier execution whose lock-order edge a circular-locking report cites", () => {
    const r = checkCell("D3", "C4");
    assert.match(r.token as string, /\+/, "a composite token");
    const { result } = replayCheckToken(r.token as string);
    const report = result.bug?.text ?? "";
    const cite = /by task (\S+) on cpu \d+ at step (\d+):\n\s+crypto_free_acomp/.exec(report);
    assert.ok(cite, report);
    const earlierTraces = result.earlier ?? [];
    const text = traceReport(result.trace as Trace, report, { wide: true, earlier: earlierTraces });
    const [earlier, failing] = text.split("Trace of the failing execution");
    assert.match(earlier as string, /^Earlier execution 1 of 2 of the replay/);
    // The cited step is in the earlier execution, marked, at the lock it names.
    const line = `${cite[2]}> cpu0  [cited] ${cite[1]}: mutex_lock scomp_lock`;
    assert.ok((earlier as string).includes(line), `no line '${line}' in\n${earlier}`);
    assert.match(failing as string, /^ \(execution 2 of 2,/);
  });
});
