/**
 * The commutation test (src/check/commute.ts) on scenarios: adjacent steps the footprints call
 * independent can be swapped without changing anything observable; and it fires when an
 * annotation is knocked out (the footprints then call dependent steps independent).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSeed } from "../util/rng.ts";
import { designByName } from "../zswap/acomp_ctx/index.ts";
import { commuteExecution, randomBase } from "./commute.ts";
import { zswapDigest } from "./commute_digest.ts";
import { scenarioProgram } from "./harness.ts";
import { scenarioById } from "./scenarios/index.ts";

function swaps(
  d: string,
  s: string,
  seeds: number,
  drop: ((key: string) => boolean) | null = null,
) {
  const program = scenarioProgram(designByName(d), scenarioById(s));
  let swapped = 0;
  const failures: string[] = [];
  for (let i = 0; i < seeds; i++) {
    const r = commuteExecution(program, randomBase(deriveSeed(7, i)), zswapDigest, 40, drop);
    swapped += r.swapped;
    for (const f of r.failures) failures.push(`${d} x ${s} seed ${i}: ${f.what}`);
  }
  return { swapped, failures };
}

describe("commutation: independent steps commute", () => {
  let total = 0;
  for (const [d, s] of [
    ["D0", "C1"],
    ["D7", "C4"],
    ["D7", "C9"],
    ["D7", "C13"],
    ["D7", "C16"],
    ["D7", "C26"],
  ] as const) {
    it(`${d} x ${s}`, () => {
      const r = swaps(d, s, 2);
      total += r.swapped;
      assert.deepEqual(r.failures, []);
    });
  }

  it("swapped enough pairs to mean something", () => {
    assert.ok(total > 20, `only ${total} swaps`);
  });

  // Sticky keys (zswap, swap, objects, per-CPU slots) already order most steps of tasks that
  // touched the same state, so a knocked-out key shows only where nothing else orders the steps.
  it("fires when zswap's state is left out of the footprints", () => {
    const r = swaps("D7", "C20", 3, (key) => key === "zswap");
    assert.ok(r.failures.length > 0, `${r.swapped} swaps, none changed anything`);
  });

  it("fires when kmalloc'd objects are left out of the footprints", () => {
    const r = swaps("D0", "C6", 6, (key) => /^o\d/.test(key));
    assert.ok(r.failures.length > 0, `${r.swapped} swaps, none changed anything`);
  });
});
