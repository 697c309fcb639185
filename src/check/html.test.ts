import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Trace } from "../sim/trace.ts";
import { replayCheckToken } from "./check_token.ts";
import { checkCell } from "./checker.ts";
import { resultHtml, timelineHtml } from "./html.ts";

function uafPage(title: string): { html: string; events: number } {
  const r = checkCell("D0", "C1");
  const { result } = replayCheckToken(r.token as string);
  const html = timelineHtml({
    title,
    report: result.bug?.text ?? "",
    token: r.token,
    trace: result.trace as Trace,
  });
  return { html, events: result.trace?.events.length ?? 0 };
}

describe("HTML timeline", () => {
  it("marks the free, the bad access and the migration, and escapes the text", () => {
    const { html } = uafPage("D0 x C1 <uaf>");
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>D0 x C1 &lt;uaf&gt;<\/title>/);
    assert.match(html, /<tr class="marked m-bug[^"]*">.*BUG: KASAN: slab-use-after-free/);
    assert.match(html, /<tr class="marked m-free[^"]*">.*kfree acomp_req#\d+/);
    assert.match(html, /<tr class="marked m-migration[^"]*">.*T: migrate cpu0 -&gt; cpu1/);
    assert.match(html, /<tr class="marked m-choice[^"]*">/);
    assert.ok(!html.includes("<script"), "self-contained, no scripts");
  });

  it("has a lock lane per task that takes locks, and folds the setup steps", () => {
    const { html } = uafPage("D0 x C1");
    assert.match(html, /<th>T locks<\/th>/);
    assert.match(
      html,
      /<td class="lane" style="background:[^"]+" title="[^"]*ctx\(zswap\d+,cpu0\)-&gt;mutex/,
    );
    assert.match(html, /<details><summary>\.\.\. \d+ setup events of task init/);
  });

  it("shows no column for a CPU without events", () => {
    const t = new Trace();
    t.events.push(
      { step: 1, task: "A", taskId: 0, cpu: 0, effect: "note", detail: "a" },
      { step: 2, task: "B", taskId: 1, cpu: 2, effect: "note", detail: "b" },
    );
    const html = timelineHtml({ title: "t", report: "", token: null, trace: t });
    assert.match(html, /<th>CPU0<\/th><th>CPU2<\/th><\/tr>/);
    assert.ok(!html.includes("<th>CPU1</th>"));
  });

  it("writes what was verified for a clean result", () => {
    const html = resultHtml({
      title: "D7 x C1: verified",
      verdict: "verified",
      how: "verified by dfs",
      reasons: [],
      bounds: [["preemption bound (--bound)", "2"]],
      coverage: "coverage: 10 executions",
    });
    assert.match(html, /VERIFIED/);
    assert.match(html, /<dt>preemption bound \(--bound\)<\/dt><dd>2<\/dd>/);
    assert.match(html, /coverage: 10 executions/);
  });
});
