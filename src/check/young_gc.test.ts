/**
 * A lifecycle scenario's executions (and those of the engine scenarios converted so far: C14,
 * C18, C20) must die young: once an execution is over, a young-
 * generation GC must be able to free it. A generator closure created and called per execution
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
const { LIFECYCLE_SCENARIOS } = await import(${JSON.stringify(fileURLToPath(new URL("./scenarios/index.ts", import.meta.url)))});
const { engineScenarioById } = await import(${JSON.stringify(fileURLToPath(new URL("./scenarios/engine.ts", import.meta.url)))});
const { runOnce } = await import(${JSON.stringify(fileURLToPath(new URL("../sim/explore.ts", import.meta.url)))});
const { designByName } = await import(${JSON.stringify(fileURLToPath(new URL("../zswap/acomp_ctx/index.ts", import.meta.url)))});
const zero = { name: "zero", choose: () => 0 };
const out = {};
const converted = ["C14", "C18", "C20"].map(engineScenarioById);
for (const s of [...LIFECYCLE_SCENARIOS, ...converted]) {
  const program = scenarioProgram(designByName("D7"), s);
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

/** Bytes per execution still on the heap after two young GCs, per lifecycle scenario. */
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

describe("lifecycle scenarios' executions (and C14, C18, C20's) die young", () => {
  // 10 KB: half of the smallest kept execution, and room over the 1-4.5 KB that executions
  // measure now (the entry table's buffer and the JIT's own growth vary between runs).
  it("leave under 10 KB each after two young GCs (a kept execution leaves 20-40 KB)", () => {
    const perExecution = survivingBytes();
    assert.ok(Object.keys(perExecution).length >= 16, JSON.stringify(perExecution));
    for (const [id, bytes] of Object.entries(perExecution)) {
      assert.ok(bytes < 10_240, `${id}: ${bytes} bytes per execution survive young GCs`);
    }
  });
});
