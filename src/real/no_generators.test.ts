/**
 * The real hot path makes no generator (issue 17): swap-out and swap-in are plain functions that
 * return an Op (andThen), the executor calls them on their task (runSyncCall), and a page stored
 * in zswap and loaded back finishes every step at the call. andThen itself keeps yield*'s
 * meaning when a step does have effects (the simulator's case).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setCryptoAlgorithms } from "../crypto/acomp.ts";
import { andThen, type Effect, NO_EFFECTS, type Op, returned } from "../kernel/effect.ts";
import { Kernel } from "../kernel/kernel.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { swapInCall, swapOutCall, swapon } from "../mm/swap.ts";
import type { SwpEntry } from "../mm/swap_entry.ts";
import { MemoryStorage } from "../mm/swap_storage.ts";
import { D7 } from "../zswap/acomp_ctx/d7.ts";
import { zswapState } from "../zswap/state.ts";
import { zswapInit, zswapSetup } from "../zswap/zswap.ts";
import { RealExecutor } from "./executor.ts";
import { realCompressorRegistry } from "./options.ts";

const isGenerator = (op: unknown): boolean =>
  Object.prototype.toString.call(op) === "[object Generator]";

/** A step with effects: yields `n` sched effects, then returns what the last answer was. */
function* step(n: number): Op<unknown> {
  let answer: unknown;
  for (let i = 0; i < n; i++) answer = yield { t: "sched", label: `s${i}` };
  return answer;
}

describe("andThen", () => {
  it("runs the rest at once when the operation has no effects: the rest's op is the result", () => {
    const rest = returned(5);
    const op = andThen(NO_EFFECTS, (_v, a: number) => (a === 1 ? rest : NO_EFFECTS), 1);
    assert.equal(op, rest, "no generator in between");
    assert.equal(
      andThen(returned(4), (v: number) => returned(v + 1)).next().value,
      5,
      "the value is passed on",
    );
  });

  it("yields the operation's effects, then the rest's, as yield* does, and passes answers in", () => {
    const op = andThen(
      step(2),
      (v: unknown, tag: string) => {
        const inner = step(1);
        return andThen(inner, (w: unknown) => returned(`${tag}:${String(v)}:${String(w)}`));
      },
      "t",
    );
    assert.ok(isGenerator(op));
    const seen: string[] = [];
    let r = op.next();
    let i = 0;
    while (!r.done) {
      seen.push((r.value as Effect).label);
      r = op.next(`a${i++}`);
    }
    assert.deepEqual(seen, ["s0", "s1", "s0"]);
    assert.equal(r.value, "t:a1:a2");
  });

  it("throws into the operation an error thrown into it, which it may catch", () => {
    function* catching(): Op<string> {
      try {
        yield { t: "sched", label: "x" };
        return "not thrown";
      } catch (e) {
        return `caught ${(e as Error).message}`;
      }
    }
    const op = andThen(catching(), (v: string) => returned(v));
    op.next();
    assert.deepEqual(op.throw(new Error("boom")), { done: true, value: "caught boom" });
  });

  it("returns the operation when the caller returns early (its finally blocks run)", () => {
    let cleaned = false;
    function* cleanup(): Op<void> {
      try {
        yield { t: "sched", label: "x" };
      } finally {
        cleaned = true;
      }
    }
    const op = andThen(cleanup(), () => NO_EFFECTS);
    op.next();
    op.return(undefined);
    assert.ok(cleaned);
  });
});

describe("the real hot path", () => {
  it("stores a page in zswap and loads it back without a generator", () => {
    const k = new Kernel({ nrCpus: 1, mode: "real" });
    setCryptoAlgorithms(k, realCompressorRegistry()).scompLockModel = false;
    zswapInit(k, { design: D7, profile: "7.3", params: { compressor: "lz4" } });
    const dev = swapon(k, new MemoryStorage(8));
    const ex = new RealExecutor(k);
    assert.equal(ex.runSync("setup", 0, zswapSetup(k)), 0);
    const page = new Uint8Array(PAGE_SIZE).map((_, i) => (i * 7) % 13);
    const ops: unknown[] = [];
    const swp = ex.runSyncCall(
      "swapout",
      0,
      (kk, type: number, data: Uint8Array) => {
        const op = swapOutCall(kk, type, data, null, false);
        ops.push(op);
        return op;
      },
      dev.type,
      page,
      undefined,
      undefined,
    ) as SwpEntry;
    assert.equal(zswapState(k).stats.stored_pages, 1, "the page went to zswap");
    const dst = new Uint8Array(PAGE_SIZE);
    const back = ex.runSyncCall(
      "swapin",
      0,
      (kk, s: SwpEntry, d: Uint8Array) => {
        const op = swapInCall(kk, s, null, d);
        ops.push(op);
        return op;
      },
      swp,
      dst,
      undefined,
      undefined,
    );
    assert.equal(back, dst);
    assert.deepEqual(dst, page);
    assert.equal(zswapState(k).stats.stored_pages, 0);
    for (const op of ops) assert.ok(!isGenerator(op), "each operation finished at the call");
  });
});
