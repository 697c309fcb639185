import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { zswapTsSync } from "./cli_test_util.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));

const zswapTs = (...args: string[]) => zswapTsSync(args);

describe("zswap-ts check and replay", () => {
  it("reports the 6.12 use-after-free in the kernel's format, exits 1, and replays it exactly", () => {
    const r = zswapTs("check", "--design", "D0", "--scenario", "C1");
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^zswap-ts check: D0 x C1: BUG \(UAF\)/);
    assert.match(r.stdout, /BUG: KASAN: slab-use-after-free in zswap_(de)?compress/);
    assert.match(r.stdout, /Freed by task H on cpu \d at step \d+:\n zswap_cpu_comp_dead/);
    assert.match(r.stdout, /\| CPU0 +\| CPU1/);
    const token = /Replay: zswap-ts replay (\S+)/.exec(r.stdout)?.[1];
    assert.ok(token, r.stdout);
    const again = zswapTs("replay", token);
    assert.equal(again.status, 1, again.stderr);
    const report = (s: string) => s.slice(s.indexOf("=====")).split("\nReplay:")[0];
    assert.equal(report(again.stdout), report(r.stdout));
  });

  it("writes the HTML page and trace JSON of a bug, and marks the events in --json", () => {
    const dir = mkdtempSync(join(tmpdir(), "zswap-ts-out-"));
    const [html, json] = [join(dir, "t.html"), join(dir, "t.json")];
    const r = zswapTs(
      "check",
      "-d",
      "D0",
      "-s",
      "C1",
      "--json",
      "--html",
      html,
      "--trace-json",
      json,
    );
    assert.equal(r.status, 1, r.stderr);
    const cell = JSON.parse(r.stdout) as { trace: Array<{ effect: string; marks?: string[] }> };
    assert.ok(cell.trace.some((e) => e.effect === "free" && e.marks?.includes("free")));
    assert.match(readFileSync(html, "utf8"), /class="marked m-free/);
    assert.ok(Array.isArray(JSON.parse(readFileSync(json, "utf8")).traceEvents));
  });

  it("--html, --trace-json and --wide without one cell are usage errors", () => {
    const r = zswapTs("check", "--matrix", "--html", "x.html");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--html, --trace-json and --wide go with one cell \(--scenario\)/);
  });

  it("--html on a verified result writes what was verified; --trace-json writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "zswap-ts-out-"));
    const [html, json] = [join(dir, "v.html"), join(dir, "v.json")];
    const r = zswapTs("check", "-d", "D7", "-s", "C1", "--html", html, "--trace-json", json);
    assert.equal(r.status, 0, r.stderr);
    const page = readFileSync(html, "utf8");
    assert.match(page, /VERIFIED/);
    assert.match(page, /preemption bound \(--bound\)<\/dt><dd>2</);
    assert.match(page, /coverage: \d+ executions/);
    assert.ok(!existsSync(json));
    assert.match(r.stderr, /no trace JSON written: verified results have no failing execution/);
  });

  it("exits 0 with how the design was verified, and its coverage", () => {
    const r = zswapTs("check", "-d", "D7", "-s", "C1", "--json");
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      verdict: string;
      how: string;
      token: string | null;
      coverage: { executions: number; distinctSchedules: number; pointsUnreached: string[] };
    };
    assert.equal(j.verdict, "verified");
    assert.match(
      j.how,
      /^verified up to bound 2 with partial-order reduction: \d+ executions, exhaustive/,
    );
    assert.equal(j.token, null);
    assert.ok(j.coverage.executions > 0 && j.coverage.distinctSchedules > 0);
    assert.ok(Array.isArray(j.coverage.pointsUnreached));
  });

  it("exits 3 when inconclusive, and says which bound was hit and the flag that raises it", () => {
    const steps = zswapTs("check", "-d", "D7", "-s", "C1", "--steps-max", "20");
    assert.equal(steps.status, 3, steps.stdout + steps.stderr);
    assert.match(steps.stdout, /^zswap-ts check: D7 x C1: INCONCLUSIVE/);
    assert.match(steps.stdout, /reached the step bound of 20 steps.*raise --steps-max/);
    assert.match(steps.stdout, /\ncoverage: /);
    const cap = zswapTs("check", "-d", "D7", "-s", "C14", "--dfs-executions", "50", "--json");
    assert.equal(cap.status, 3, cap.stderr);
    const j = JSON.parse(cap.stdout) as { verdict: string; inconclusive: { flag: string }[] };
    assert.equal(j.verdict, "inconclusive");
    assert.deepEqual(
      j.inconclusive.map((x) => x.flag),
      ["--dfs-executions"],
    );
    const rnd = zswapTs("check", "-d", "D7", "-s", "C1", "--strategy", "random");
    assert.equal(rnd.status, 3);
    assert.match(rnd.stdout, /is not exhaustive/);
  });

  it("never prints verified for D0 x C1 at a tiny step bound", () => {
    const r = zswapTs("check", "-d", "D0", "-s", "C1", "--steps-max", "20");
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stdout, /verified/);
  });

  it("states the points level in text and JSON; --points chooses it and the token keeps it", () => {
    const text = zswapTs("check", "-d", "D7", "-s", "C11");
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /; points access$/m);
    const j = JSON.parse(
      zswapTs("check", "-d", "D7", "-s", "C11", "--points", "all", "--json").stdout,
    );
    assert.equal(j.points, "all");
    const bug = zswapTs("check", "-d", "D0", "-s", "C1", "--points", "sleep");
    assert.equal(bug.status, 1, bug.stderr);
    assert.match(bug.stdout, /; points sleep$/m);
    const token = /Replay: zswap-ts replay (\S+)/.exec(bug.stdout)?.[1] ?? "";
    assert.match(token, /^zt1\.D0\.C1\./, "a sleep-level token has no points flag");
    assert.equal(zswapTs("replay", token).status, 1);
    const bad = zswapTs("check", "-d", "D7", "-s", "C1", "--points", "most");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--points <level>.* is invalid/);
  });

  it("gives exit 2 and one line for bad input", () => {
    for (const args of [
      ["check", "--design", "D9", "--scenario", "C1"],
      ["check", "--design", "D0"],
      ["check", "--design", "D0", "--scenario", "C1", "--bound", "-1"],
      ["check", "-d", "D0", "-s", "C1", "--steps-max", "0x10"],
      ["check", "-d", "D0", "-s", "C1", "--steps-max", ""],
      ["check", "-d", "D0", "-s", "C1", "--executions", "1e308"],
      ["check", "-d", "D0", "-s", "C1", "--seed", "1.5"],
      ["check", "-d", "D0", "-s", "C1", "--dfs-executions", "-1"],
      ["check", "-d", "D0", "-s", "C1", "--seed", "-1"],
      ["check", "--matrix", "--selftest"],
      ["replay", "zt1.D0.C1.0"],
      ["replay", "zt1.D0.C1.zzzz.1"],
    ]) {
      const r = zswapTs(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^zswap-ts: /);
    }
  });

  it("checks a reviewer's design from a file, finds its bug, and replays it with the same file", () => {
    const good = zswapTs(
      "check",
      "--design-file",
      "examples/d1b_migrate_disable.ts",
      "--scenario",
      "C1",
    );
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /^zswap-ts check: D1b x C1: verified up to bound 2/);
    // The 7.1 design with D5's destroy order: free the ctxs, then remove the cpuhp instance.
    const dir = mkdtempSync(join(tmpdir(), "zswap-ts-design-"));
    const file = join(dir, "early_free.ts");
    const src = (m: string) => JSON.stringify(join(repo, "src", m));
    writeFileSync(
      file,
      [
        `import { D7 } from ${src("zswap/acomp_ctx/d7.ts")};`,
        `import { freeAllCtxs, freeCtxArea, removeInstance } from ${src("zswap/acomp_ctx/common.ts")};`,
        "export const EarlyFree = {",
        '  ...D7, name: "D7-early-free", summary: "frees before remove_instance",',
        "  *destroyCtxs(k, pool) { yield* freeAllCtxs(k, pool, true); yield* removeInstance(k, pool); freeCtxArea(k, pool); },",
        "};",
      ].join("\n"),
    );
    const bad = zswapTs("check", "--design-file", file, "--scenario", "C8");
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /D7-early-free x C8: BUG \(leak\)/);
    const token = /Replay: zswap-ts replay (\S+)/.exec(bad.stdout)?.[1] as string;
    const again = zswapTs("replay", token, "--design-file", file);
    assert.equal(again.status, 1, again.stderr);
    assert.match(again.stdout, /kmemleak/);
    const missing = zswapTs("check", "--design-file", join(dir, "nope.ts"));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^zswap-ts: Cannot load design file .*nope\.ts: no such file\n$/);
    // A file that never finishes loading is an error after --load-timeout, not a hang.
    for (const [name, body] of [
      ["spin.mts", "while (true) {}\nexport const X = 1;\n"],
      ["never.mts", "await new Promise(() => {});\nexport const X = 1;\n"],
    ] as const) {
      writeFileSync(join(dir, name), body);
      const hang = zswapTs("check", "--design-file", join(dir, name), "--load-timeout", "1");
      assert.equal(hang.status, 2, hang.stdout + hang.stderr);
      assert.match(
        hang.stderr,
        /^zswap-ts: Cannot load design file .*: it did not finish loading within 1 s\n$/,
      );
    }
  });

  it("reports a livelock from a design file as a bug, with a trace cut to its start and end", () => {
    const dir = mkdtempSync(join(tmpdir(), "zswap-ts-live-"));
    const file = join(dir, "hoisted.mts");
    const variants = JSON.stringify(join(repo, "src/check/variants/liveness_variants.ts"));
    writeFileSync(file, `import { D4_HOISTED } from ${variants};\nexport default D4_HOISTED;\n`);
    const r = zswapTs("check", "--design-file", file, "-s", "C1");
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^zswap-ts check: D4-hoisted x C1: BUG \(livelock\)/);
    assert.match(r.stdout, /\n {6}\| \.\.\. \d+ events \(steps \d+-\d+\) folded \.\.\.\n/);
    assert.ok(r.stdout.split("\n").length < 500);
    const token = /Replay: zswap-ts replay (\S+)/.exec(r.stdout)?.[1] as string;
    const again = zswapTs("replay", token, "--design-file", file);
    assert.equal(again.status, 1, again.stderr);
    assert.match(again.stdout, /BUG: livelock: task T:1 retries forever/);
  });

  it("lists designs and scenarios", () => {
    const r = zswapTs("check", "--list", "--json");
    assert.equal(r.status, 0);
    const j = JSON.parse(r.stdout) as { designs: { name: string }[]; scenarios: { id: string }[] };
    assert.deepEqual(
      j.designs.map((d) => d.name),
      ["D0", "D1", "D2", "D3", "D4", "D5", "D7", "D7-v14", "D7-batch", "D7-batch-v7"],
    );
    assert.ok(j.scenarios.some((s) => s.id === "C17"));
  });
});
