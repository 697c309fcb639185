/**
 * The real path's shortcuts (issue 17) keep their promises: the library keeps no kmemleak set
 * unless instrumented, the compressor clock counts only when asked for and only the binding's
 * time, and preemption points that are off hand back the shared finished operation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NO_EFFECTS } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { liveObjects, memory } from "../kernel/memory.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { preemptPoint } from "../kernel/points.ts";
import { Task } from "../kernel/task.ts";
import { DEFAULT_MIX, generateCorpus } from "../workload/corpus.ts";
import { createZswap } from "./create_zswap.ts";

const corpus = generateCorpus({ sizeBytes: 64 * PAGE_SIZE, seed: 3, mix: DEFAULT_MIX });
const pages = Array.from({ length: 64 }, (_, i) =>
  corpus.pages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
);

describe("live-object tracking in the library", () => {
  it("is off unless instrumented: no entry stays in the kmemleak set, and asking for it throws", async () => {
    const z = createZswap({ compressor: "lz4", cpus: 1, swapSizeBytes: 128 * PAGE_SIZE });
    try {
      const slots = pages.map((p) => z.swapOutSync(p));
      assert.ok((z.stats().debugfs.stored_pages ?? 0) > 0);
      assert.equal(memory(z.kernel).live.size, 0);
      assert.throws(() => liveObjects(z.kernel), /does not track live objects/);
      for (const [i, s] of slots.entries()) assert.deepEqual(z.swapInSync(s), pages[i]);
    } finally {
      await z.close();
    }
  });

  it("is on when instrumented: every stored entry is live, and none after swap-in", async () => {
    const z = createZswap({
      compressor: "lz4",
      cpus: 1,
      swapSizeBytes: 128 * PAGE_SIZE,
      instrumented: true,
    });
    try {
      const entries = () => liveObjects(z.kernel, (o) => o.label === "zswap_entry").length;
      const slots = pages.map((p) => z.swapOutSync(p));
      assert.equal(entries(), z.stats().debugfs.stored_pages);
      for (const s of slots) z.swapInSync(s);
      assert.equal(entries(), 0);
    } finally {
      await z.close();
    }
  });
});

describe("the compressor clock", () => {
  it("is null by default", async () => {
    const z = createZswap({ compressor: "lz4", cpus: 1, swapSizeBytes: 128 * PAGE_SIZE });
    try {
      z.swapOutSync(pages[0] as Uint8Array);
      assert.equal(z.compressorTime(), null);
    } finally {
      await z.close();
    }
  });

  it("counts compress on the way out and decompress on the way in, each within the wall time", async () => {
    const z = createZswap({
      compressor: "zstd",
      cpus: 1,
      swapSizeBytes: 128 * PAGE_SIZE,
      timeCompressor: true,
    });
    try {
      const t0 = performance.now();
      const slots = pages.map((p) => z.swapOutSync(p));
      const outMs = performance.now() - t0;
      const afterOut = z.compressorTime();
      assert.ok(afterOut !== null && afterOut.compressSeconds > 0);
      assert.equal(afterOut.decompressSeconds, 0);
      assert.ok(afterOut.compressSeconds * 1e3 <= outMs);
      for (const s of slots) z.swapInSync(s);
      const afterIn = z.compressorTime();
      assert.ok(afterIn !== null && afterIn.decompressSeconds > 0);
      assert.equal(afterIn.compressSeconds, afterOut.compressSeconds);
    } finally {
      await z.close();
    }
  });

  it("refuses a non-boolean timeCompressor", () => {
    assert.throws(
      () => createZswap({ timeCompressor: "yes" as unknown as boolean }),
      /timeCompressor/,
    );
  });
});

describe("preemption points that are off", () => {
  it("return the shared finished operation in real mode, and a sched effect in the simulator", () => {
    const real = new Kernel({ nrCpus: 1, mode: "real" });
    assert.equal(preemptPoint(real, "percpu", "raw_cpu_ptr"), NO_EFFECTS);
    const sim = new Kernel({ nrCpus: 1, points: "access" });
    // "lock" points are off at the access level, "percpu" ones on.
    assert.equal(preemptPoint(sim, "percpu", "raw_cpu_ptr"), NO_EFFECTS, "no current task");
    sim.current = new Task(0, "t", 0, NO_EFFECTS);
    assert.equal(preemptPoint(sim, "lock", "after unlock"), NO_EFFECTS);
    const r = preemptPoint(sim, "percpu", "raw_cpu_ptr").next();
    assert.deepEqual(r, { done: false, value: { t: "sched", label: "raw_cpu_ptr" } });
    assert.deepEqual(NO_EFFECTS.next(), { done: true, value: undefined });
  });
});
