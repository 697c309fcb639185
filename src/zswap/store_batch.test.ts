/**
 * Batched stores (profile 7.3-batching) against sequential ones (7.3, `latest`): over the real
 * compressors, folios of every size from one page to a PMD, with text, binary, zero and
 * incompressible pages, both must leave the same entries (same compressed bytes), the same
 * counters and the same data on swap-in. A page that fails fails the whole folio in both, with
 * the same counters and no entry left behind.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setCryptoAlgorithms } from "../crypto/acomp.ts";
import { createNativeCompressorRegistry } from "../crypto/algorithms/native/index.ts";
import { mixedPages, randomPage, zeroPage } from "../crypto/algorithms/pages_test_util.ts";
import { EAGAIN } from "../kernel/errno.ts";
import { Kernel } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { Memcg } from "../mm/memcg.ts";
import { swapIn, swapOut, swapon } from "../mm/swap.ts";
import { MemoryStorage } from "../mm/swap_storage.ts";
import { RealExecutor } from "../real/executor.ts";
import { zsObjRead } from "../zsmalloc/obj_rw.ts";
import { profileDesign } from "./acomp_ctx/profile_design.ts";
import { acompCtxMemory } from "./ctx_memory.ts";
import type { Profile } from "./params.ts";
import type { ZswapState } from "./state.ts";
import { zswapDebugfs, zswapInit, zswapSetup } from "./zswap.ts";

const COMPRESSORS = ["lz4", "zstd", "lzo", "deflate", "deflate-iaa"] as const;
const FOLIO_PAGES = [1, 4, 13, 16, 512] as const;

interface Booted {
  readonly k: Kernel;
  readonly z: ZswapState;
  readonly ex: RealExecutor;
}

function boot(profile: Profile, compressor: string): Booted {
  const k = new Kernel({ nrCpus: 2, mode: "real" });
  setCryptoAlgorithms(k, createNativeCompressorRegistry()).scompLockModel = false;
  const z = zswapInit(k, {
    design: profileDesign(profile),
    profile,
    params: { compressor, enabled: true },
  });
  memory(k).totalramPages = 1 << 22;
  swapon(k, new MemoryStorage(8192));
  const ex = new RealExecutor(k);
  assert.equal(ex.runSync("setup", 0, zswapSetup(k)), 0);
  return { k, z, ex };
}

/** A folio of `nr` pages: mixed content with a zero page and an incompressible one in it. */
function folioData(nr: number, seed: number): Uint8Array {
  const pages = mixedPages(nr, seed);
  if (nr > 2) pages[1] = zeroPage();
  if (nr > 3) pages[nr - 2] = randomPage(seed);
  const data = new Uint8Array(nr * PAGE_SIZE);
  for (const [i, p] of pages.entries()) data.set(p, i * PAGE_SIZE);
  return data;
}

/** Every entry's slot, length and stored bytes, in slot order. */
function entriesOf(b: Booted): string[] {
  const out: string[] = [];
  const buf = new Uint8Array(PAGE_SIZE);
  for (const [off, entry] of [...b.z.tree(0)].sort((x, y) => x[0] - y[0])) {
    const t = b.z.entries;
    const zs = (t.pool(entry) as NonNullable<ReturnType<typeof t.pool>>).data.zsPool;
    const n = zsObjRead(zs, t.handle(entry), buf);
    out.push(`${off}:${t.length(entry)}:${Buffer.from(buf.subarray(0, n)).toString("base64")}`);
  }
  return out;
}

interface Outcome {
  readonly entries: string[];
  readonly debugfs: unknown;
  readonly events: unknown;
  /** Each folio's bytes on swap-in, or swapOut's negative errno. */
  readonly back: Array<Uint8Array | number>;
}

function run(profile: Profile, compressor: string, folios: Uint8Array[], memcg: Memcg | null) {
  const b = boot(profile, compressor);
  const slots = folios.map((f, i) => b.ex.runSync(`out${i}`, i % 2, swapOut(b.k, 0, f, memcg)));
  const entries = entriesOf(b);
  const debugfs = { ...zswapDebugfs(b.k) };
  const events = { ...b.z.events };
  const back: Array<Uint8Array | number> = [];
  for (const [i, s] of slots.entries()) {
    if (typeof s === "number") {
      back.push(s); // not swapped out (-EAGAIN: it stays in memory)
      continue;
    }
    const nr = (folios[i] as Uint8Array).length / PAGE_SIZE;
    const data = new Uint8Array(nr * PAGE_SIZE);
    for (let p = 0; p < nr; p++) {
      const swp = { type: s.type, offset: s.offset + p };
      const page = b.ex.runSync("in", 0, swapIn(b.k, swp, memcg)) as Uint8Array;
      data.set(page, p * PAGE_SIZE);
    }
    back.push(data);
  }
  return { entries, debugfs, events, back } satisfies Outcome;
}

function assertSame(seq: Outcome, bat: Outcome, folios: Uint8Array[]): void {
  assert.deepEqual(bat.debugfs, seq.debugfs, "debugfs counters");
  assert.deepEqual(bat.events, seq.events, "vm events");
  assert.deepEqual(bat.entries, seq.entries, "entries (slot, length, stored bytes)");
  for (const [i, f] of folios.entries()) {
    const got = bat.back[i];
    if (typeof got === "number") assert.equal(got, seq.back[i], `folio ${i} rejected alike`);
    else assert.ok(Buffer.compare(got as Uint8Array, f) === 0, `folio ${i} came back`);
  }
}

describe("7.3-batching stores as 7.3 does", () => {
  for (const compressor of COMPRESSORS) {
    it(`${compressor}: same entries, counters and data, folios of ${FOLIO_PAGES.join("/")} pages`, () => {
      const folios = FOLIO_PAGES.map((nr, i) => folioData(nr, 7 + i));
      const seq = run("7.3", compressor, folios, null);
      const bat = run("7.3-batching", compressor, folios, null);
      assertSame(seq, bat, folios);
      assert.ok((seq.debugfs as { stored_pages: number }).stored_pages > 500);
      assert.ok(
        (seq.debugfs as { stored_incompressible_pages: number }).stored_incompressible_pages >= 3,
      );
    });
  }

  for (const compressor of ["zstd", "deflate-iaa"]) {
    it(`${compressor}: one incompressible page without writeback fails the whole folio, alike`, () => {
      const memcg = new Memcg("nowb");
      memcg.zswapWriteback = false;
      const folios = [folioData(16, 3), folioData(4, 5), folioData(3, 6)];
      folios[0]?.set(randomPage(99), 11 * PAGE_SIZE); // page 11 of 16: second store batch
      const seq = run("7.3", compressor, folios, memcg);
      const bat = run("7.3-batching", compressor, folios, memcg);
      assertSame(seq, bat, folios);
      const d = bat.debugfs as { reject_compress_fail: number; reject_compress_poor: number };
      assert.ok(d.reject_compress_fail + d.reject_compress_poor >= 2, "both folios rejected");
      assert.deepEqual(bat.back.slice(0, 2), [-EAGAIN, -EAGAIN], "rejected folios stay in memory");
      const slot = (bat.back[2] as Uint8Array).length / PAGE_SIZE;
      assert.equal(slot, 3);
      assert.equal(bat.entries.length, 3, "only the third folio's pages are in zswap");
    });
  }
});

describe("per-CPU ctx memory of the pool lifetime (§3.6)", () => {
  it("8 dst buffers per CPU for deflate-iaa under 7.3-batching, 1 for software and for 7.3", () => {
    const figures = (profile: Profile, compressor: string) =>
      acompCtxMemory(boot(profile, compressor).k).map((r) => [r.buffers, r.totalBytes]);
    assert.deepEqual(figures("7.3-batching", "deflate-iaa"), [
      [8, 8 * PAGE_SIZE + 256 + 96 + 64],
      [8, 8 * PAGE_SIZE + 256 + 96 + 64],
    ]);
    assert.deepEqual(figures("7.3-batching", "zstd"), figures("7.3", "zstd"));
    assert.deepEqual(figures("7.3", "deflate-iaa"), [
      [1, PAGE_SIZE + 256 + 96 + 64],
      [1, PAGE_SIZE + 256 + 96 + 64],
    ]);
  });
});
