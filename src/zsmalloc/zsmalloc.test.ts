import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { zsCheckPool } from "./check.ts";
import { zsCompact, zsCompactablePages } from "./compact.ts";
import {
  isZsErrno,
  ZS_EINVAL,
  ZS_ENOMEM,
  ZS_ENOSPC,
  ZsError,
  zsMallocErrorMessage,
} from "./errors.ts";
import { zsObjLength, zsObjRead, zsObjReadBegin, zsObjSize, zsObjWrite } from "./obj_rw.ts";
import { SPARE_CHUNKS_MAX } from "./page_arena.ts";
import type { ZsPool } from "./pool.ts";
import { zsClassStats, zsPoolStats, zsStatsText } from "./stats.ts";
import {
  zsCreatePool,
  zsDestroyPool,
  zsFree,
  zsGetTotalPages,
  zsHugeClassSize,
  zsLookupClassIndex,
  zsMalloc,
  zsObjCount,
} from "./zsmalloc.ts";

/** Deterministic content for (seed, length). */
function bytes(seed: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (seed * 2654435761 + 12345) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

function mallocOk(pool: ZsPool, size: number): number {
  const h = zsMalloc(pool, size);
  assert.ok(!isZsErrno(h), `zsMalloc(${size}) failed: ${h}`);
  return h;
}

function readBack(pool: ZsPool, h: number): Uint8Array {
  const buf = new Uint8Array(4096);
  const n = zsObjRead(pool, h, buf);
  return buf.slice(0, n);
}

describe("sizes", () => {
  it("rejects 0 and > PAGE_SIZE with kernel errnos and clear messages", () => {
    const pool = zsCreatePool("sizes");
    assert.equal(zsMalloc(pool, 0), ZS_EINVAL);
    assert.equal(zsMalloc(pool, -5), ZS_EINVAL);
    assert.equal(zsMalloc(pool, 4097), ZS_ENOSPC);
    assert.equal(zsMallocErrorMessage(ZS_EINVAL, 0), "zsMalloc: expected size 1..4096, got 0");
    assert.equal(
      zsMallocErrorMessage(ZS_ENOSPC, 4097),
      "zsMalloc: expected size 1..4096, got 4097",
    );
    assert.throws(
      () => zsMalloc(pool, 1.5),
      new ZsError("zsMalloc: expected size 1..4096, got 1.5"),
    );
    assert.throws(() => zsMalloc(pool, Number.NaN), /expected size 1\.\.4096, got NaN/);
    assert.equal(zsGetTotalPages(pool), 0);
    assert.equal(zsObjCount(pool), 0);
  });

  it("stores 1 byte and exactly PAGE_SIZE bytes", () => {
    const pool = zsCreatePool("edges");
    const a = mallocOk(pool, 1);
    const b = mallocOk(pool, 4096);
    zsObjWrite(pool, a, bytes(1, 1));
    zsObjWrite(pool, b, bytes(2, 4096));
    assert.deepEqual(readBack(pool, a), bytes(1, 1));
    assert.deepEqual(readBack(pool, b), bytes(2, 4096));
    assert.equal(zsObjSize(pool, b), 4096);
    assert.equal(zsHugeClassSize(pool), 3625);
    assert.equal(zsLookupClassIndex(pool, 4096 + 8), 254);
  });

  it("a shorter write sets the length; a longer one or a short buffer throws", () => {
    const pool = zsCreatePool("len");
    const h = mallocOk(pool, 100);
    assert.equal(zsObjLength(pool, h), 100);
    zsObjWrite(pool, h, bytes(3, 200), 40);
    assert.equal(zsObjLength(pool, h), 40);
    assert.deepEqual(readBack(pool, h), bytes(3, 40));
    assert.throws(() => zsObjWrite(pool, h, bytes(3, 200)), /expected length 0\.\.100 .* got 200/);
    assert.throws(() => zsObjWrite(pool, h, bytes(3, 10), 20), /expected length 0\.\.10/);
    assert.throws(() => zsObjRead(pool, h, new Uint8Array(39)), /at least 40 bytes, got 39/);
  });
});

describe("handles", () => {
  it("a freed handle is stale for read, write and free", () => {
    const pool = zsCreatePool("stale");
    const h = mallocOk(pool, 500);
    zsObjWrite(pool, h, bytes(4, 500));
    zsFree(pool, h);
    assert.throws(
      () => zsObjRead(pool, h, new Uint8Array(4096)),
      /zsObjRead: stale handle .* the object was freed/,
    );
    assert.throws(() => zsObjWrite(pool, h, bytes(4, 10)), /zsObjWrite: stale handle/);
    assert.throws(() => zsFree(pool, h), /zsFree: stale handle/);
  });

  it("a reused slot does not answer for the old handle", () => {
    const pool = zsCreatePool("reuse");
    const old = mallocOk(pool, 300);
    zsObjWrite(pool, old, bytes(5, 300));
    zsFree(pool, old);
    // Quarantine: the slot comes back only after HANDLE_QUARANTINE (1024) later frees.
    const fresh = mallocOk(pool, 300);
    assert.notEqual(fresh & 0x7fffff, old & 0x7fffff);
    const others = Array.from({ length: 1024 }, () => mallocOk(pool, 300));
    for (const h of [fresh, ...others]) zsFree(pool, h);
    const next = mallocOk(pool, 300); // the oldest freed slot, at the next generation
    assert.equal(next & 0x7fffff, old & 0x7fffff);
    assert.notEqual(next, old);
    zsObjWrite(pool, next, bytes(6, 300));
    assert.throws(
      () => zsObjRead(pool, old, new Uint8Array(4096)),
      /stale handle .*in use again at generation 2/,
    );
    assert.deepEqual(readBack(pool, next), bytes(6, 300));
  });

  it("forged handles are rejected; 0 and errnos are ignored by zsFree like IS_ERR_OR_NULL", () => {
    const pool = zsCreatePool("forged");
    mallocOk(pool, 10);
    for (const bad of [1, 12345, 2 ** 31, 3.5, -1 >>> 0]) {
      assert.throws(() => zsObjRead(pool, bad, new Uint8Array(4096)), ZsError, `handle ${bad}`);
    }
    zsFree(pool, 0);
    zsFree(pool, ZS_ENOMEM);
    assert.equal(zsObjCount(pool), 1);
  });

  it("a destroyed pool refuses everything and reports what was left in it", () => {
    const pool = zsCreatePool("gone");
    const h = mallocOk(pool, 3000);
    // 3000 + 8 -> index 186 (3008: 3 pages, 4 objects), merged into 3072 (12288 / 3072 = 4);
    // 1 of 4 in use is 25%, group 3 (ZS_INUSE_RATIO_30).
    assert.deepEqual(zsDestroyPool(pool), ["Class-3072 fullness group 3 is not empty"]);
    assert.throws(() => zsMalloc(pool, 10), /zsMalloc: pool "gone" was destroyed/);
    assert.throws(() => zsObjRead(pool, h, new Uint8Array(4096)), /destroyed/);
    assert.throws(() => zsDestroyPool(pool), /destroyed/);
    assert.deepEqual(zsDestroyPool(zsCreatePool("empty")), []);
  });
});

describe("zsObjReadBegin", () => {
  it("returns a view of an object in one page, and a bounce copy of one that spans two", () => {
    const pool = zsCreatePool("rb");
    const bounce = new Uint8Array(4096);
    let views = 0;
    let copies = 0;
    let spanning = 0;
    // 3000-byte objects (class 3008): some start near a page end and span two pages.
    for (let i = 0; i < 12; i++) {
      const h = mallocOk(pool, 3000);
      const data = bytes(i, 3000);
      zsObjWrite(pool, h, data);
      const got = zsObjReadBegin(pool, h, bounce);
      assert.deepEqual(got, data);
      if (got.buffer === bounce.buffer) {
        copies++;
        spanning = h;
      } else views++;
    }
    assert.ok(views > 0 && copies > 0, `views ${views}, copies ${copies}`);
    assert.throws(() => zsObjReadBegin(pool, spanning, new Uint8Array(10)), /bounce/);
  });
});

describe("memory", () => {
  it("maxPages and failZspageAlloc give -ENOMEM exactly when a new zspage is needed", () => {
    const pool = zsCreatePool("limit", { maxPages: 2 });
    mallocOk(pool, 4096);
    mallocOk(pool, 4096);
    assert.equal(zsMalloc(pool, 4096), ZS_ENOMEM);
    const small = zsCreatePool("gfp");
    assert.equal(zsMalloc(small, 20, true), ZS_ENOMEM);
    mallocOk(small, 20); // allocates the class-32 zspage
    assert.ok(zsMalloc(small, 20, true) > 0); // room in it: no page allocation needed
    assert.deepEqual(zsCheckPool(small), []);
  });

  it("freeing everything gives the pages and the arena's chunks back", () => {
    const pool = zsCreatePool("arena");
    const hs = Array.from({ length: 3000 }, () => mallocOk(pool, 4096));
    assert.equal(zsGetTotalPages(pool), 3000);
    assert.ok(pool.arena.bytesReserved() >= 3000 * 4096);
    for (const h of hs) zsFree(pool, h);
    assert.equal(zsGetTotalPages(pool), 0);
    // 12 chunks were in use; the spares (SPARE_CHUNKS_MAX, 1 MiB each) are all that is left.
    assert.equal(pool.arena.bytesReserved(), SPARE_CHUNKS_MAX << 20);
    assert.deepEqual(zsCheckPool(pool), []);
  });

  it("a pool that empties and fills again reuses its spare chunks' buffers", () => {
    const pool = zsCreatePool("refill");
    const fill = () => Array.from({ length: 3 * 256 }, () => mallocOk(pool, 4096));
    for (const h of fill()) zsFree(pool, h);
    const buffers = [...pool.arena.bytes];
    assert.equal(buffers.filter((b) => b !== undefined).length, 3);
    const hs = fill();
    assert.deepEqual(pool.arena.bytes, buffers, "the same ArrayBuffers, none new");
    for (const h of hs) zsFree(pool, h);
    assert.deepEqual(zsCheckPool(pool), []);
  });
});

describe("compaction", () => {
  it("moves objects of sparse zspages into fuller ones and frees the pages", () => {
    // 20-byte objects: class 32, 1 page, 128 objects. 512 objects fill 4 zspages; keeping every
    // fourth leaves each at 32/128 = 25% (group 30%). zs_can_compact = (512 - 128) / 128 = 3.
    const pool = zsCreatePool("compact");
    const hs = Array.from({ length: 512 }, (_, i) => {
      const h = mallocOk(pool, 20);
      zsObjWrite(pool, h, bytes(i, 20));
      return h;
    });
    hs.forEach((h, i) => {
      if (i % 4 !== 0) zsFree(pool, h);
    });
    assert.equal(zsGetTotalPages(pool), 4);
    assert.equal(zsCompactablePages(pool), 3);
    assert.equal(zsCompact(pool), 3);
    assert.equal(zsGetTotalPages(pool), 1);
    assert.equal(zsPoolStats(pool).pages_compacted, 3);
    hs.forEach((h, i) => {
      if (i % 4 === 0) assert.deepEqual(readBack(pool, h), bytes(i, 20));
    });
    assert.deepEqual(zsCheckPool(pool), []);
    assert.equal(zsCompact(pool), 0);
  });
});

describe("kernel order of zspage choice", () => {
  // 20-byte objects: class 32, one page of 128 objects per zspage.
  const fill = (pool: ZsPool, n: number): number[] =>
    Array.from({ length: n }, () => mallocOk(pool, 20));
  const ratios = (pool: ZsPool): readonly number[] =>
    zsClassStats(pool).find((r) => r.size === 32)!.inuseRatio;

  it("zs_malloc takes the fullest non-full zspage (find_get_zspage: 99% down to 0%)", () => {
    const pool = zsCreatePool("order");
    const [a, b] = [fill(pool, 128), fill(pool, 128)] as const;
    for (const h of a.slice(0, 100)) zsFree(pool, h); // A: 28/128 = 21% -> group 30%
    for (const h of b.slice(0, 10)) zsFree(pool, h); // B: 118/128 = 92% -> group 99%
    fill(pool, 10); // must refill B, the fuller one
    for (const h of a.slice(100)) zsFree(pool, h); // A empties and is freed
    assert.equal(zsGetTotalPages(pool), 1);
  });

  it("compaction moves from the emptiest zspage into the fullest (isolate_src/dst_zspage)", () => {
    // Group = floor(100 * inuse / 128) / 10 + 1, shown as the column 10% * group (11: 100%):
    // A 116/128 (90.6%, group 99%), B 64/128 (50%, group 60%), C 13/128 (10.2%, group 20%).
    // zs_can_compact = (384 - 193) / 128 = 1. dst = A, src = C: 12 objects fill A (100%), C
    // keeps 1 (group 10%). Still 1 to gain: dst = B (fullest partial), src = C: its last object
    // moves, C is freed (1 page). Then (256 - 193) / 128 = 0: stop. A 100%, B 65/128 (50.8%,
    // group 60% still).
    const pool = zsCreatePool("compact-order");
    const [a, b, c] = [fill(pool, 128), fill(pool, 128), fill(pool, 128)] as const;
    for (const h of a.slice(0, 12)) zsFree(pool, h);
    for (const h of b.slice(0, 64)) zsFree(pool, h);
    for (const h of c.slice(0, 115)) zsFree(pool, h);
    assert.deepEqual(ratios(pool), [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
    assert.equal(zsCompact(pool), 1);
    assert.equal(zsGetTotalPages(pool), 2);
    assert.deepEqual(ratios(pool), [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    assert.deepEqual(zsCheckPool(pool), []);
  });

  it("compaction empties the sparsest source first, even when another could fill the destination", () => {
    // A 120/128 (group 99%), B 70/128 (54.7%, group 60%), C 2/128 (group 10%). can_compact =
    // (384 - 192) / 128 = 1. dst = A, src = C: both objects move, C is freed; A 122/128 is not
    // full, and (256 - 192) / 128 = 0 stops the loop. Taking B first would have filled A.
    const pool = zsCreatePool("compact-sparsest");
    const [a, b, c] = [fill(pool, 128), fill(pool, 128), fill(pool, 128)] as const;
    for (const h of a.slice(0, 8)) zsFree(pool, h);
    for (const h of b.slice(0, 58)) zsFree(pool, h);
    for (const h of c.slice(0, 126)) zsFree(pool, h);
    assert.equal(zsCompact(pool), 1);
    assert.deepEqual(ratios(pool), [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
  });
});

describe("stats", () => {
  it("renders the kernel's classes header and one row per real class", () => {
    const pool = zsCreatePool("zswap1");
    const text = zsStatsText(pool);
    const lines = text.split("\n");
    assert.equal(
      lines[0],
      " class  size       10%       20%       30%       40%       50%       60%       70%       80%       90%       99%      100% obj_allocated   obj_used pages_used pages_per_zspage freeable",
    );
    assert.equal(
      lines[1],
      "     0    32         0         0         0         0         0         0         0         0         0         0         0             0          0          0                1        0",
    );
    assert.equal(lines.length, 1 + 119 + 1 + 1 + 1); // header, classes, blank, Total, final ""
    assert.equal(lines.at(-3), "");
    assert.equal(
      lines.at(-2),
      ` Total       ${"        0 ".repeat(11)}            0          0          0                         0`,
    );
    const wide = zsStatsText(pool, { objsPerZspage: true }).split("\n");
    assert.match(wide[0]!, /pages_per_zspage objs_per_zspage freeable$/);
    assert.equal(zsClassStats(pool).find((r) => r.size === 4096)?.huge, true);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random operation sequences against a reference allocator (a Map of handle -> bytes)
// ---------------------------------------------------------------------------------------------

type Op =
  | { readonly k: "malloc"; readonly size: number }
  | { readonly k: "write"; readonly pick: number; readonly seed: number; readonly cut: number }
  | { readonly k: "read"; readonly pick: number }
  | { readonly k: "free"; readonly pick: number }
  | { readonly k: "compact" };

const interesting = [
  1, 24, 25, 200, 1000, 1016, 1560, 2000, 3000, 3256, 3624, 3625, 4088, 4089, 4096,
];

function opArb(sizes: readonly number[]): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...sizes).map((size): Op => ({ k: "malloc", size })) },
    {
      weight: 2,
      arbitrary: fc
        .record({ pick: fc.nat(), seed: fc.nat(), cut: fc.nat() })
        .map((r): Op => ({ k: "write", ...r })),
    },
    { weight: 2, arbitrary: fc.nat().map((pick): Op => ({ k: "read", pick })) },
    { weight: 5, arbitrary: fc.nat().map((pick): Op => ({ k: "free", pick })) },
    { weight: 1, arbitrary: fc.constant<Op>({ k: "compact" }) },
  );
}

/** Few sizes per run, so that objects crowd into few classes and compaction has work to do. */
const scenario = fc
  .record({
    chain: fc.constantFrom(4, 8, 16),
    sizes: fc.array(fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 1, max: 4096 })), {
      minLength: 1,
      maxLength: 3,
    }),
  })
  .chain(({ chain, sizes }) =>
    fc.record({
      chain: fc.constant(chain),
      ops: fc.array(opArb(sizes), { minLength: 1, maxLength: 400, size: "max" }),
    }),
  );

let pagesCompactedTotal = 0;

function runOps(chain: number, ops: readonly Op[]): void {
  const pool = zsCreatePool("prop", { chainSize: chain });
  const model = new Map<number, Uint8Array>();
  const live: number[] = [];
  const dst = new Uint8Array(4096);
  let written = 0;
  for (const op of ops) {
    if (op.k === "malloc") {
      const h = mallocOk(pool, op.size);
      assert.ok(!model.has(h), "handle issued twice");
      const content = bytes(written++, op.size);
      zsObjWrite(pool, h, content);
      model.set(h, content);
      live.push(h);
      continue;
    }
    if (op.k === "compact") {
      const before = zsGetTotalPages(pool);
      const freed = zsCompact(pool);
      pagesCompactedTotal += freed;
      assert.equal(zsGetTotalPages(pool), before - freed);
      assert.equal(zsCompactablePages(pool), 0);
      continue;
    }
    if (live.length === 0) continue;
    const at = op.pick % live.length;
    const h = live[at]!;
    if (op.k === "write") {
      const size = zsObjSize(pool, h);
      const content = bytes(op.seed, op.cut % (size + 1));
      zsObjWrite(pool, h, content);
      model.set(h, content);
    } else if (op.k === "read") {
      const n = zsObjRead(pool, h, dst);
      assert.deepEqual(dst.subarray(0, n), model.get(h));
    } else {
      zsFree(pool, h);
      model.delete(h);
      live[at] = live[live.length - 1]!;
      live.pop();
      assert.throws(() => zsObjRead(pool, h, dst), /stale handle/);
    }
  }
  assert.deepEqual(zsCheckPool(pool), []);
  assert.equal(zsObjCount(pool), model.size);
  for (const [h, content] of model) {
    const n = zsObjRead(pool, h, dst);
    assert.deepEqual(dst.subarray(0, n), content, `handle ${h}`);
  }
  for (const h of live) zsFree(pool, h);
  assert.equal(zsGetTotalPages(pool), 0);
  assert.deepEqual(zsDestroyPool(pool), []);
}

describe("against a reference allocator", () => {
  it("malloc / write / read / free / compact never corrupt or lose an object", () => {
    pagesCompactedTotal = 0;
    fc.assert(
      fc.property(scenario, ({ chain, ops }) => runOps(chain, ops)),
      { numRuns: 1000 },
    );
    // The property is only meaningful if compaction actually moved objects and freed pages.
    assert.ok(pagesCompactedTotal > 0, "no run exercised compaction");
  });

  it("invariants hold after every single operation (shorter runs)", () => {
    fc.assert(
      fc.property(scenario, ({ chain, ops }) => {
        const pool = zsCreatePool("step", { chainSize: chain });
        const live: number[] = [];
        for (const op of ops.slice(0, 60)) {
          if (op.k === "malloc") live.push(mallocOk(pool, op.size));
          else if (op.k === "compact") zsCompact(pool);
          else if (op.k === "free" && live.length > 0) {
            const at = op.pick % live.length;
            zsFree(pool, live[at]!);
            live.splice(at, 1);
          }
          assert.deepEqual(zsCheckPool(pool), []);
        }
      }),
      { numRuns: 250 },
    );
  });
});
