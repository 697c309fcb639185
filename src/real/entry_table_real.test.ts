/**
 * zswap's entry table under the library, on many entries: slots are reused (past the
 * quarantine), yet stats, the LRU (writeback), invalidation, loads and memcg charges stay right,
 * and the tracked representation (instrumented: a KObj per entry, as in the simulator) and the
 * untracked one (no object per entry) give the same results.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PAGE_SIZE } from "../kernel/page.ts";
import { zswapState } from "../zswap/state.ts";
import { createZswap } from "./create_zswap.ts";
import type { SwapSlot, ZswapInstance } from "./zswap_instance.ts";

/** Page i: distinct, compressible; every 7th incompressible (stored as it is). */
function pageOf(i: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  const v = new DataView(p.buffer);
  if (i % 7 === 3) {
    let x = (i + 1) * 2654435761;
    for (let j = 0; j < PAGE_SIZE; j += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      v.setUint32(j, x >>> 0);
    }
    return p;
  }
  for (let j = 0; j < PAGE_SIZE; j += 64) v.setUint32(j, i * 31 + j);
  return p;
}

/** The zswap internals whose agreement with the counters this test checks. */
function internals(z: ZswapInstance) {
  const s = zswapState(z.kernel);
  let inTrees = 0;
  for (const t of s.trees.values()) inTrees += t.size;
  return { entries: s.entries.count, inTrees, onLru: s.lru.totalCount(), table: s.entries };
}

function assertConsistent(z: ZswapInstance, what: string): void {
  const s = z.stats();
  const stored = s.debugfs.stored_pages ?? -1;
  const i = internals(z);
  assert.equal(i.entries, stored, `${what}: live entries = stored_pages`);
  assert.equal(i.inTrees, stored, `${what}: tree entries = stored_pages`);
  assert.equal(i.onLru, stored, `${what}: LRU entries = stored_pages`);
  const memcg = s.memcg as NonNullable<typeof s.memcg>;
  assert.equal(memcg.zswapCurrent, s.derived.compressedBytes, `${what}: memory.zswap.current`);
  assert.equal(memcg.stat.zswapped, stored * PAGE_SIZE, `${what}: memory.stat zswapped`);
  assert.equal(z.memcgRead("memory.zswap.current"), `${s.derived.compressedBytes}\n`);
}

async function workload(instrumented: boolean) {
  const z = createZswap({
    compressor: "lz4",
    cpus: 2,
    totalRamBytes: 2 ** 34,
    shrinker_enabled: true,
    memcgMaxBytes: 2 ** 30,
    instrumented,
  });
  const live = new Map<number, { slot: SwapSlot; i: number }>();
  const store = (i: number) => {
    const slot = z.swapOutSync(pageOf(i));
    live.set(i, { slot, i });
  };
  const loadBack = (i: number) => {
    const { slot } = live.get(i) as { slot: SwapSlot };
    assert.deepEqual(z.swapInSync(slot), pageOf(i), `page ${i} came back changed`);
    live.delete(i);
  };
  try {
    for (let i = 0; i < 3000; i++) store(i);
    assertConsistent(z, "after 3000 stores");
    for (let i = 0; i < 3000; i += 3) {
      z.free((live.get(i) as { slot: SwapSlot }).slot); // swap_free(): zswap_invalidate()
      live.delete(i);
    }
    assertConsistent(z, "after invalidating every third");
    for (let i = 1; i < 3000; i += 5) if (live.has(i)) loadBack(i);
    assertConsistent(z, "after loads");
    const onLru = internals(z).onLru;
    assert.equal(await z.shrink(onLru), 0, "first pass: second chance for every entry");
    const written = await z.shrink(700);
    await z.flush();
    assert.equal(written, 700);
    assertConsistent(z, "after writeback via the LRU");
    // Another round of stores reuses freed entry slots (untracked) past the quarantine.
    for (let i = 3000; i < 4500; i++) store(i);
    assertConsistent(z, "after reuse");
    const mid = z.stats();
    const slotsUsed = internals(z).table.slotsUsed;
    for (const i of [...live.keys()]) loadBack(i);
    assertConsistent(z, "after loading everything");
    const end = z.stats();
    assert.equal(end.debugfs.stored_pages, 0);
    assert.equal(end.derived.compressedBytes, 0);
    assert.equal(end.memcg?.zswapCurrent, 0);
    return { mid: JSON.stringify(mid.debugfs), end: JSON.stringify(end.debugfs), slotsUsed };
  } finally {
    await z.close();
  }
}

describe("zswap entry table in the library (many entries)", () => {
  it("stats, writeback, invalidate, loads and memcg charges stay right as slots are reused", async () => {
    const untracked = await workload(false);
    // 4500 entries were made; the untracked table reused slots (at most peak + quarantine).
    assert.ok(untracked.slotsUsed < 4500, `slots used ${untracked.slotsUsed}`);
    const tracked = await workload(true);
    assert.equal(tracked.slotsUsed, 4500, "tracked: one slot per entry ever made");
    assert.equal(untracked.mid, tracked.mid, "same counters with and without per-entry objects");
    assert.equal(untracked.end, tracked.end);
  });
});
