/**
 * The real deflate-iaa accelerator: engines in worker threads compress a batch in parallel and
 * the result is what one thread compressing page by page gives (same entries, same counters,
 * same data), in every sync_mode. Also: the engine pool's protocol on its own, and that its
 * workers end with close().
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inflateRawSync } from "node:zlib";
import { DeflateIaaCodec } from "../../crypto/algorithms/native/deflate_iaa.ts";
import { mixedPages, randomPage, zeroPage } from "../../crypto/algorithms/pages_test_util.ts";
import { IAA_SYNC_MODES } from "../../crypto/iaa_crypto.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { createZswap } from "../create_zswap.ts";
import type { CreateZswapOptions } from "../types.ts";
import { OP_COMPRESS } from "./deflate_iaa_engine.ts";
import { EngineIaaDevice } from "./iaa_device.ts";

function folio(nr: number, seed: number): Uint8Array {
  const pages = mixedPages(nr, seed);
  pages[2] = zeroPage();
  pages[nr - 1] = randomPage(seed);
  const data = new Uint8Array(nr * PAGE_SIZE);
  for (const [i, p] of pages.entries()) data.set(p, i * PAGE_SIZE);
  return data;
}

async function storeAll(o: CreateZswapOptions, folios: readonly Uint8Array[]) {
  const z = createZswap({ cpus: 2, totalRamBytes: 2 ** 34, compressor: "deflate-iaa", ...o });
  try {
    const slots = folios.map((f) => z.swapOutSync(f));
    const stats = z.stats();
    const classes = z.zsmallocClasses();
    const back = slots.map((s) => z.swapInSync(s));
    return { debugfs: stats.debugfs, vmstat: stats.vmstat, classes, back };
  } finally {
    await z.close();
  }
}

describe("deflate-iaa on worker engines", () => {
  const folios = [folio(16, 1), folio(512, 2), folio(4, 3), folio(16, 4)];
  let sequential: Awaited<ReturnType<typeof storeAll>>;

  before(async () => {
    sequential = await storeAll({ profile: "latest" }, folios);
  });

  for (const mode of IAA_SYNC_MODES) {
    it(`${mode}: 2 engines store exactly what one thread stores page by page`, async () => {
      const batched = await storeAll(
        { profile: "7.3-batching", iaaEngines: 2, iaaSyncMode: mode },
        folios,
      );
      assert.deepEqual(batched.debugfs, sequential.debugfs);
      assert.deepEqual(batched.vmstat, sequential.vmstat);
      assert.equal(batched.classes, sequential.classes, "zsmalloc classes (object sizes)");
      for (const [i, f] of folios.entries())
        assert.ok(Buffer.compare(batched.back[i] as Uint8Array, f) === 0, `folio ${i} came back`);
    });
  }

  it("rejects bad engine counts and modes with one-line errors", () => {
    assert.throws(
      () => createZswap({ iaaEngines: -1 }),
      /expected iaaEngines to be an integer 0\.\.64, got -1/,
    );
    assert.throws(
      () => createZswap({ iaaSyncMode: "poll" as never }),
      /expected iaaSyncMode to be one of sync, async, async_irq, got 'poll'/,
    );
  });
});

describe("EngineIaaDevice and its EnginePool", () => {
  let device: EngineIaaDevice;
  before(() => {
    device = EngineIaaDevice.create(2);
  });
  after(async () => {
    await device.close();
  });

  it("completes every descriptor of a batch; the output is raw deflate any inflate reads", () => {
    device.pool.waitReady();
    const pages = mixedPages(8, 9);
    const ids = pages.map((p) => device.submitCompress(p, PAGE_SIZE));
    assert.ok(ids.every((id) => id >= 0));
    const out = pages.map(() => new Uint8Array(PAGE_SIZE));
    const res: Array<number | null> = ids.map(() => null);
    for (let pass = 0; res.some((r) => r === null); pass++) {
      assert.ok(pass < 100_000, "the batch completes");
      for (const [i, id] of ids.entries())
        if (res[i] === null) res[i] = device.poll(id, out[i] as Uint8Array);
      device.waitIrq(5);
    }
    const codec = new DeflateIaaCodec();
    for (const [i, p] of pages.entries()) {
      const n = res[i] as number;
      const expect = new Uint8Array(PAGE_SIZE);
      const m = codec.compress(p, expect);
      if (m < 0) {
        assert.equal(n, m, "the same error as the calling thread's codec");
        continue;
      }
      assert.deepEqual(out[i]?.subarray(0, n), expect.subarray(0, m), "same bytes as the codec");
      assert.ok(Buffer.compare(inflateRawSync(out[i]?.subarray(0, n) as Uint8Array), p) === 0);
    }
  });

  it("the ring reports full (-EAGAIN) instead of overwriting", () => {
    const ids: number[] = [];
    for (let i = 0; i < 200; i++) ids.push(device.submitCompress(zeroPage(), PAGE_SIZE));
    assert.equal(ids.filter((id) => id < 0).length, 200 - 128);
    for (const id of ids.filter((x) => x >= 0)) {
      while (device.poll(id, new Uint8Array(PAGE_SIZE)) === null) device.waitIrq(5);
    }
    assert.ok(device.pool.submit(OP_COMPRESS, zeroPage(), PAGE_SIZE) >= 0, "slots were released");
  });
});
