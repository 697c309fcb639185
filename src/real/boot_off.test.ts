/**
 * The library's `bootOff` option: Debian's boot default, zswap off and not set up until it is
 * enabled at run time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createZswap } from "./create_zswap.ts";
import { PAGE_SIZE } from "./zswap_instance.ts";

function textPage(seed: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE; i++) p[i] = 97 + ((i * 31 + seed) % 7);
  return p;
}

describe("createZswap({ bootOff })", () => {
  it("stores nothing and has no pool until enabled; the first enable creates zswap1", async () => {
    const z = createZswap({ cpus: 1, totalRamBytes: 2 ** 32, enabled: false, bootOff: true });
    try {
      const a = z.swapOutSync(textPage(1));
      let s = z.stats();
      assert.equal(s.debugfs.stored_pages, 0);
      assert.equal(s.vmstat.pswpout, 1);
      assert.equal(s.debugfs.pool_total_size, 0);
      await z.setParam("enabled", true);
      const b = z.swapOutSync(textPage(2));
      s = z.stats();
      assert.equal(s.debugfs.stored_pages, 1);
      assert.match(z.zsmallocClasses(), /zsmalloc\/zswap1\//);
      assert.deepEqual(z.swapInSync(a, new Uint8Array(PAGE_SIZE)), textPage(1));
      assert.deepEqual(z.swapInSync(b, new Uint8Array(PAGE_SIZE)), textPage(2));
    } finally {
      await z.close();
    }
  });
});
