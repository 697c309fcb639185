/**
 * CPU workers on their own: a closed set of workers is kept for the next one with the same
 * handler and as many workers (their compiled code carries over), and only then; the calling
 * thread wakes engines without losing a job (every job completes, with one or many queued).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { codecOp } from "./codec_engine.ts";
import { CpuWorkers, endIdleCpuWorkers } from "./cpu_workers.ts";

const LZ4 = codecOp("compress", "7.3", "lz4");

function page(seed: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE; i++) p[i] = (i * seed) % 251 < 64 ? seed : i & 7;
  return p;
}

describe("CPU workers", () => {
  afterEach(() => endIdleCpuWorkers());

  it("a closed set is taken by the next create with the same shape, once", async () => {
    const a = CpuWorkers.create({ workers: 2 });
    const pool = a.pool;
    await a.close();
    const b = CpuWorkers.create({ workers: 2 });
    assert.equal(b.pool, pool, "the idle workers were reused");
    const c = CpuWorkers.create({ workers: 2 });
    assert.notEqual(c.pool, pool, "taken once");
    await c.close();
    await b.close(); // the idle slot is taken by c's: b's are ended
    const d = CpuWorkers.create({ workers: 1 });
    assert.notEqual(d.pool, pool, "not with another number of workers");
    assert.notEqual(d.pool, c.pool);
    await d.close();
  });

  it("workers with a job in flight are not kept", async () => {
    const a = CpuWorkers.create({ workers: 1, help: false });
    assert.ok(a.submit(LZ4, page(3), PAGE_SIZE) >= 0);
    a.kick();
    await a.close();
    const b = CpuWorkers.create({ workers: 1 });
    assert.notEqual(b.pool, a.pool);
    await b.close();
  });

  for (const n of [1, 7, 200]) {
    it(`${n} jobs queued at once all complete, woken with one kick`, async () => {
      const w = CpuWorkers.create({ workers: 2, help: false });
      try {
        const slots = Array.from({ length: n }, (_, i) => w.submit(LZ4, page(i + 1), PAGE_SIZE));
        assert.ok(slots.every((s) => s >= 0));
        w.kick();
        assert.equal(w.waitAll(slots, 10_000, false), true);
        for (const s of slots) assert.ok(w.pool.result(s) > 0);
        w.discard(slots);
      } finally {
        await w.close();
      }
    });
  }
});
