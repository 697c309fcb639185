/**
 * What the 7.3 and 6.12 profiles change in the engine: the compressor fallback at boot, the
 * first pool's name, shrink_memcg()'s walk, root-cgroup folios (no objcg) and 6.12's large
 * folio refusal. Each test shows the behaviour and, where a one-line change would break it,
 * the figure that would change.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setCryptoAlgorithms } from "../crypto/acomp.ts";
import { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import { simCompressorFactory } from "../crypto/algorithms/sim.ts";
import type { Op } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { Memcg } from "../mm/memcg.ts";
import { swapOut, swapon, swapState } from "../mm/swap.ts";
import { MemoryStorage } from "../mm/swap_storage.ts";
import { SimExecutor } from "../sim/executor.ts";
import { D0 } from "./acomp_ctx/d0.ts";
import { D7 } from "./acomp_ctx/d7.ts";
import { checkProfile, type Profile, type ZswapParams } from "./params.ts";
import { shrinkMemcg } from "./shrinker.ts";
import { zswapInit, zswapParamSet, zswapSetup } from "./zswap.ts";

const LZO_STAND_IN = { ...simCompressorFactory, name: "lzo" };

function boot(profile: Profile, params: Partial<ZswapParams>, bootOff = false) {
  const k = new Kernel({ nrCpus: 1 });
  setCryptoAlgorithms(k, new CompressorRegistry([simCompressorFactory, LZO_STAND_IN]));
  const z = zswapInit(k, {
    design: profile === "6.12" ? D0 : D7,
    profile,
    bootOff,
    params: { enabled: true, compressor: "sim", ...params },
  });
  memory(k).totalramPages = 1 << 16;
  swapon(k, new MemoryStorage(512));
  const run = <T>(op: Op<T>): T => {
    let out: { v: T } | null = null;
    k.spawn(
      "T",
      0,
      (function* () {
        out = { v: yield* op };
      })(),
    );
    new SimExecutor(k, { name: "plain", choose: () => 0 }, { stepsMax: 200_000 }).run();
    if (out === null) throw new Error("task did not finish");
    return (out as { v: T }).v;
  };
  return { k, z, run };
}

/** A page the sim compressor shrinks (it compresses runs of zeros): one marked byte. */
function textPage(seed: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  p[seed % PAGE_SIZE] = 1 + (seed % 250);
  return p;
}

describe("profiles", () => {
  it("latest is an alias of 7.3; unknown names list both", () => {
    assert.equal(checkProfile("latest"), "7.3");
    assert.equal(checkProfile("6.12"), "6.12");
    assert.throws(() => checkProfile("7.1"), /available: 7\.3, 6\.12, 7\.3-batching, latest/);
  });

  it("a compressor missing at boot falls back to CONFIG_ZSWAP_COMPRESSOR_DEFAULT; the first pool is zswap1", () => {
    const { k, z, run } = boot("7.3", { compressor: "842" });
    assert.equal(run(zswapSetup(k)), 0);
    assert.equal(z.params.compressor, "lzo");
    assert.deepEqual(
      z.pools.map((p) => [p.data.name, p.data.tfmName]),
      [["zswap1", "lzo"]],
    );
  });

  it("booted off (Debian's default), zswap has no pool until it is enabled; then it is set up", () => {
    const { k, z, run } = boot("7.3", { enabled: false }, true);
    assert.equal(run(zswapSetup(k)), 0);
    assert.deepEqual([z.initState, z.pools.length, z.everEnabled], ["uninit", 0, false]);
    run(swapOut(k, 0, textPage(1), null));
    assert.equal(swapState(k).events.pswpout, 1, "off: the page goes to the swap device");
    assert.equal(run(zswapParamSet(k, "enabled", "Y")), 0);
    assert.deepEqual([z.initState, z.pools.map((p) => p.data.name)], ["succeed", ["zswap1"]]);
    run(swapOut(k, 0, textPage(2), null));
    assert.equal(z.stats.stored_pages, 1);
  });

  it("6.12 has the zpool parameter (zsmalloc only here); 7.3 has no zpool layer", () => {
    const old = boot("6.12", {});
    assert.equal(old.run(zswapSetup(old.k)), 0);
    assert.equal(old.run(zswapParamSet(old.k, "zpool", "zsmalloc")), 0);
    assert.equal(old.run(zswapParamSet(old.k, "zpool", "z3fold")), -2, "-ENOENT: not available");
    assert.equal(old.z.params.zpool, "zsmalloc");
    const cur = boot("7.3", {});
    cur.run(zswapSetup(cur.k));
    assert.throws(
      () => cur.run(zswapParamSet(cur.k, "zpool", "zsmalloc")),
      /Unknown zswap parameter 'zpool'/,
    );
  });

  it("root-cgroup folios have no objcg: nothing is charged; a child memcg's are", () => {
    const { k, z, run } = boot("7.3", {});
    run(zswapSetup(k));
    const child = new Memcg("/test", z.rootMemcg);
    run(swapOut(k, 0, textPage(1), null));
    run(swapOut(k, 0, textPage(2), z.rootMemcg));
    assert.equal(z.stats.stored_pages, 2);
    assert.equal(z.rootMemcg.zswapped, 0, "root folios charge nothing");
    run(swapOut(k, 0, textPage(3), child));
    assert.equal(child.zswapped, 1);
    assert.equal(z.rootMemcg.zswapped, 1, "the child's charge goes up the hierarchy");
  });

  for (const [profile, walked] of [
    ["7.3", 32],
    ["6.12", 1],
  ] as const) {
    it(`${profile}: one shrink_memcg() call walks ${walked} entr${walked === 1 ? "y" : "ies"} of a memcg's LRU`, () => {
      const { k, z, run } = boot(profile, {});
      run(zswapSetup(k));
      for (let i = 0; i < 40; i++) run(swapOut(k, 0, textPage(i), null));
      assert.equal(z.stats.stored_pages, 40, JSON.stringify(z.stats));
      // Every new entry is referenced: a walk only clears the bit (rotation) of what it visits.
      assert.equal(run(shrinkMemcg(k, z.rootMemcg)), -11, "-EAGAIN: nothing written back");
      let cleared = 0;
      for (const t of z.trees.values())
        for (const e of t.values()) if (!z.entries.referenced(e)) cleared++;
      assert.equal(cleared, walked);
    });
  }

  it("6.12 refuses a large folio before anything else; 7.3 stores it", () => {
    for (const [profile, stored] of [
      ["6.12", 0],
      ["7.3", 4],
    ] as const) {
      const { k, z, run } = boot(profile, {});
      run(zswapSetup(k));
      const folio = new Uint8Array(4 * PAGE_SIZE);
      for (let i = 0; i < 4; i++) folio.set(textPage(i), i * PAGE_SIZE);
      run(swapOut(k, 0, folio, null));
      assert.equal(z.stats.stored_pages, stored, profile);
      assert.equal(swapState(k).events.pswpout, 4 - stored, profile);
    }
  });
});
