import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkCell, replayCheckToken } from "./checker.ts";
import { timelineHtml } from "./html.ts";

describe("HTML timeline", () => {
  it("puts each effect in its CPU's column, marks the bug, and escapes the text", () => {
    const r = checkCell("D0", "C1");
    const { result, scenario } = replayCheckToken(r.token as string);
    const html = timelineHtml({
      title: "D0 x C1 <uaf>",
      report: result.bug?.text ?? "",
      token: r.token,
      nrCpus: scenario.nrCpus,
      events: result.trace?.events ?? [],
    });
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<title>D0 x C1 &lt;uaf&gt;<\/title>/);
    assert.match(html, /<th>CPU0<\/th><th>CPU1<\/th>/);
    assert.match(html, /<td class="bug"[^>]*><b>T<\/b> bug BUG: KASAN: slab-use-after-free/);
    assert.match(html, /migrate T cpu0 -&gt; cpu1/);
    assert.ok(!html.includes("<script"), "self-contained, no scripts");
    const rows = html.split("\n").filter((l) => l.startsWith('<tr><td class="step">'));
    assert.equal(rows.length, result.trace?.events.length);
  });
});
