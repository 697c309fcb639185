/**
 * The executions of the lifecycle, engine and batching scenarios must die young: once an
 * execution is over, a young-generation GC must be able to free it. A generator closure created and called per execution
 * (an actor body written as `function* () {...}` inside `actors(env)`) breaks this: V8 keeps
 * the closure reachable from the old generation until the next full GC, so every execution
 * survives every scavenge and the checker runs at half speed (docs/checking.md, "Speed").
 *
 * The measure runs in a child process (it needs --expose-gc and a young generation large
 * enough that no GC happens among the executions): heap growth over 200 executions after two
 * young GCs, per execution. An execution that dies young leaves almost nothing; one kept
 * alive leaves its whole kernel (20-40 KB).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const SCRIPT = `
const { scenarioProgram } = await import(${JSON.stringify(fileURLToPath(new URL("./harness.ts", import.meta.url)))});
const { LIFECYCLE_SCENARIOS, scenarioById } = await import(${JSON.stringify(fileURLToPath(new URL("./scenarios/index.ts", import.meta.url)))});
const { ENGINE_SCENARIOS } = await import(${JSON.stringify(fileURLToPath(new URL("./scenarios/engine.ts", import.meta.url)))});
const { BATCHING_SCENARIOS } = await import(${JSON.stringify(fileURLToPath(new URL("./scenarios/batching.ts", import.meta.url)))});
const { runOnce } = await import(${JSON.stringify(fileURLToPath(new URL("../sim/explore.ts", import.meta.url)))});
const { designByName } = await import(${JSON.stringify(fileURLToPath(new URL("../zswap/acomp_ctx/index.ts", import.meta.url)))});
const zero = { name: "zero", choose: () => 0 };
const out = {};
const cells = [
  ...[...LIFECYCLE_SCENARIOS, ...ENGINE_SCENARIOS, scenarioById("C26")].map((s) => ["D7", s]),
  ...BATCHING_SCENARIOS.map((s) => ["D7-batch", s]),
];
for (const [design, s] of cells) {
  const program = scenarioProgram(designByName(design), s);
  for (let i = 0; i < 50; i++) runOnce(program, zero);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 200; i++) runOnce(program, zero);
  gc({ type: "minor" });
  gc({ type: "minor" });
  out[s.id] = Math.round((process.memoryUsage().heapUsed - before) / 200);
}
process.stdout.write(JSON.stringify(out));
`;

/** Bytes per execution still on the heap after two young GCs, per scenario. */
function survivingBytes(): Record<string, number> {
  const r = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--min-semi-space-size=64",
      "--max-semi-space-size=64",
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      SCRIPT,
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe("the lifecycle, engine and batching scenarios' executions die young", () => {
  // 10 KB: half of the smallest kept execution, and room over the 1-4.5 KB that executions
  // measure now (the entry table's buffer and the JIT's own growth vary between runs).
  it("leave under 10 KB each after two young GCs (a kept execution leaves 20-40 KB)", () => {
    const perExecution = survivingBytes();
    // 13 lifecycle, 9 engine (C13-C25) and C26, 4 batching.
    assert.ok(Object.keys(perExecution).length >= 27, JSON.stringify(perExecution));
    for (const [id, bytes] of Object.entries(perExecution)) {
      assert.ok(bytes < 10_240, `${id}: ${bytes} bytes per execution survive young GCs`);
    }
  });
});
