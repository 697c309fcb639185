/**
 * The swap layer on its own (no zswap, or a recording stand-in for its hooks): slots, the
 * swapcache, the zero-page bitmap, the device, and when zswap_invalidate() is called.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Op, sched } from "../kernel/effect.ts";
import { EAGAIN, ENOENT } from "../kernel/errno.ts";
import { Kernel } from "../kernel/kernel.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { SimExecutor } from "../sim/executor.ts";
import type { Strategy } from "../sim/strategy.ts";
import { Folio, folioUnlock } from "./folio.ts";
import { Memcg } from "./memcg.ts";
import {
  type SwapHooks,
  swapcacheAdd,
  swapcacheDelete,
  swapDevice,
  swapFree,
  swapIn,
  swapOut,
  swapon,
  swapState,
} from "./swap.ts";
import { type SwpEntry, swpKey } from "./swap_entry.ts";
import { MemoryStorage } from "./swap_storage.ts";

const PLAIN: Strategy = { name: "plain", choose: () => 0 };
/** Starts the first task, then switches to another task at every scheduling point. */
function eagerSwitch(): Strategy {
  let started = false;
  return {
    name: "eager-switch",
    choose(n, kind) {
      if (kind !== "schedule") return 0;
      if (!started) {
        started = true;
        return 0;
      }
      return n - 1;
    },
  };
}

function boot(nrSlots = 16): Kernel {
  const k = new Kernel({ nrCpus: 2 });
  swapon(k, new MemoryStorage(nrSlots));
  return k;
}

/** Runs the bodies as tasks (in order of creation) to the end; returns their results. */
function run<T>(k: Kernel, ...ops: Op<T>[]): T[] {
  return runWith(k, PLAIN, ...ops);
}

function runWith<T>(k: Kernel, strategy: Strategy, ...ops: Op<T>[]): T[] {
  const out: T[] = [];
  for (const [i, op] of ops.entries()) {
    k.spawn(
      `T${i}`,
      i % 2,
      (function* () {
        out[i] = yield* op;
      })(),
    );
  }
  const r = new SimExecutor(k, strategy).run();
  assert.equal(r.outcome, "ok", r.bug?.text ?? r.message);
  return out;
}

/** The slot of a successful swap-out. */
function slot(r: SwpEntry | number | undefined): SwpEntry {
  assert.ok(r !== undefined && typeof r !== "number", `swapOut failed with ${r}`);
  return r;
}

function page(tag: number): Uint8Array {
  return new Uint8Array(PAGE_SIZE).fill(tag);
}

/** Hooks that reject every store and record invalidations. */
function recordingHooks(invalidated: string[]): SwapHooks {
  return {
    // biome-ignore lint/correctness/useYield: an Op that completes at once
    *store() {
      return false;
    },
    // biome-ignore lint/correctness/useYield: an Op that completes at once
    *load() {
      return -ENOENT;
    },
    // biome-ignore lint/correctness/useYield: an Op that completes at once
    *invalidate(_k, swp) {
      invalidated.push(swpKey(swp));
    },
  };
}

describe("swap layer", () => {
  it("swaps a page out to the device and back; the slot is released afterwards", () => {
    const k = boot();
    const dev = swapDevice(k, 0);
    const swp = slot(run(k, swapOut(k, 0, page(7), null))[0]);
    assert.equal(dev.nrFree, 15);
    assert.equal(dev.swapcache.size, 0, "swap-out leaves nothing in the swapcache");
    const [got] = run(k, swapIn(k, swp, null));
    assert.deepEqual(got, page(7));
    assert.equal(dev.nrFree, 16);
    const ev = swapState(k).events;
    assert.deepEqual([ev.pswpout, ev.pswpin], [1, 1]);
    assert.equal(run(k, swapIn(k, swp, null))[0], -ENOENT, "a freed slot is gone");
  });

  it("keeps zero pages in the zeromap: no device I/O either way", () => {
    const k = boot();
    const swp = slot(run(k, swapOut(k, 0, new Uint8Array(2 * PAGE_SIZE), null))[0]);
    const dev = swapDevice(k, 0);
    assert.deepEqual([dev.zeromap[swp.offset], dev.zeromap[swp.offset + 1]], [1, 1]);
    const [a, b] = run(
      k,
      swapIn(k, swp, null),
      swapIn(k, { type: 0, offset: swp.offset + 1 }, null),
    );
    assert.deepEqual([a, b], [new Uint8Array(PAGE_SIZE), new Uint8Array(PAGE_SIZE)]);
    const ev = swapState(k).events;
    assert.deepEqual([ev.swpout_zero, ev.swpin_zero, ev.pswpout, ev.pswpin], [2, 2, 0, 0]);
  });

  it("allocates a large folio's slots naturally aligned", () => {
    const k = boot();
    run(k, swapOut(k, 0, page(1), null));
    const big = slot(run(k, swapOut(k, 0, new Uint8Array(4 * PAGE_SIZE).fill(3), null))[0]);
    assert.equal(big.offset % 4, 0);
  });

  it("memory.zswap.writeback=0: a page zswap rejects stays in memory, its slots are released", () => {
    const k = boot();
    const invalidated: string[] = [];
    swapState(k).hooks = recordingHooks(invalidated);
    const m = new Memcg("/nowb");
    m.zswapWriteback = false;
    const [r] = run(k, swapOut(k, 0, page(5), m));
    assert.equal(r, -EAGAIN);
    assert.equal(swapDevice(k, 0).nrFree, 16);
    assert.equal(swapState(k).events.pswpout, 0);
    assert.deepEqual(invalidated, ["0:0"], "the released slot is invalidated in zswap");
  });

  it("calls zswap_invalidate() once, when neither the page table nor the swapcache holds the slot", () => {
    const k = boot();
    const invalidated: string[] = [];
    swapState(k).hooks = recordingHooks(invalidated);
    const swp = slot(run(k, swapOut(k, 0, page(9), null))[0]);
    assert.deepEqual(invalidated, []);
    const dev = swapDevice(k, 0);
    // A swapcache folio (e.g. writeback's) outlives the page table's reference.
    const folio = new Folio(swp, 1, null);
    run(
      k,
      (function* () {
        swapcacheAdd(k, dev, folio);
        yield* swapFree(k, swp);
        assert.deepEqual(invalidated, [], "still in the swapcache");
        folioUnlock(k, folio);
        yield* swapcacheDelete(k, dev, folio);
      })(),
    );
    assert.deepEqual(invalidated, [swpKey(swp)]);
    assert.equal(dev.nrFree, 16);
  });

  it("a swap-in waits for the slot's locked swapcache folio and uses it once uptodate", () => {
    const k = boot();
    const swp = slot(run(k, swapOut(k, 0, page(4), null))[0]);
    const dev = swapDevice(k, 0);
    const folio = new Folio(swp, 1, null, page(4));
    const holder = function* (): Op<Uint8Array | number> {
      swapcacheAdd(k, dev, folio);
      yield* sched("holding the folio");
      folio.uptodate = true;
      folioUnlock(k, folio);
      yield* swapcacheDelete(k, dev, folio);
      return 0;
    };
    const [, got] = runWith(k, eagerSwitch(), holder(), swapIn(k, swp, null));
    assert.deepEqual(got, page(4));
    assert.equal(swapState(k).events.pswpin, 0, "no device read: the folio was uptodate");
    assert.equal(dev.nrFree, 16);
  });
});
