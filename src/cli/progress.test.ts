import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Progress } from "./progress.ts";

function fake(isTTY: boolean) {
  const s = { isTTY, out: "", write: (x: string) => (s.out += x) };
  return s;
}

describe("Progress", () => {
  it("draws nothing when stderr is not a terminal, or when quiet", () => {
    const s = fake(false);
    assert.equal(Progress.open("run", "pages", { stream: s }), null);
    assert.equal(Progress.open("run", "pages", { stream: fake(true), quiet: true }), null);
  });

  it("shows the command, the phase, a bar, the count and an ETA from the phase's rate", () => {
    let t = 0;
    const s = fake(true);
    const p = Progress.open("run", "pages", { stream: s, now: () => t }) as Progress;
    p.phase("swap-out", 4096);
    assert.equal(p.line(0), "run swap-out [--------------------]   0% 0/4096 pages");
    t = 2000;
    assert.equal(p.line(1024), "run swap-out [#####---------------]  25% 1024/4096 pages ETA 6s");
    p.phase("swap-in", 4096, 0);
    assert.equal(p.line(10), "run swap-in [--------------------]   0% 10/4096 pages");
    p.update(4096);
    p.stop();
    assert.ok(s.out.startsWith("\r\x1b[Krun swap-out"));
    assert.ok(s.out.endsWith("\r\x1b[K"));
  });

  it("counts without a bar when the total is unknown, and redraws at most every 100 ms", () => {
    let t = 0;
    const s = fake(true);
    const p = Progress.open("check", "executions", { stream: s, now: () => t }) as Progress;
    p.phase("dfs", 0);
    assert.equal(p.line(1500), "check dfs 1500 executions");
    const before = s.out.length;
    t = 50;
    p.update(10);
    assert.equal(s.out.length, before);
    t = 150;
    p.update(20);
    assert.ok(s.out.endsWith("check dfs 20 executions"));
  });
});
