import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Kernel } from "../kernel/kernel.ts";
import type { KObj } from "../kernel/memory.ts";
import { KernelBug } from "../kernel/report.ts";
import { Memcg } from "../mm/memcg.ts";
import { swpEntry } from "../mm/swap_entry.ts";
import {
  ENTRY_GEN_MAX,
  ENTRY_QUARANTINE,
  ENTRY_SLOT_BITS,
  type EntryRef,
  ZswapEntryTable,
} from "./entry_table.ts";
import type { PoolObj } from "./types.ts";

const SLOT_MASK = (1 << ENTRY_SLOT_BITS) - 1;

function realKernel(): Kernel {
  return new Kernel({ mode: "real", nrCpus: 1 });
}

/** A stand-in pool: the table only keeps it by identity. */
function fakePool(name: string): PoolObj {
  return { data: { name } } as unknown as PoolObj;
}

function bugKind(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof KernelBug, `expected a KernelBug, got ${String(e)}`);
    return e.kind;
  }
  assert.fail("expected a kernel bug report");
}

describe("zswap entry table (untracked: the library)", () => {
  it("keeps each field of each entry, and a fresh entry's fields are reset", () => {
    const k = realKernel();
    const t = new ZswapEntryTable(false, 4);
    const pool = fakePool("lz4");
    const memcg = new Memcg("/a");
    const refs: EntryRef[] = [];
    for (let i = 0; i < 10; i++) {
      const e = t.create(k, swpEntry(i % 3, 1000 + i), false);
      t.setLength(e, 100 + i);
      t.setHandle(e, 7 * i + 1);
      t.setPool(e, pool);
      t.setMemcg(e, i % 2 === 0 ? memcg : null);
      t.setReferenced(e, i % 3 === 0);
      refs.push(e);
    }
    for (const [i, e] of refs.entries()) {
      assert.ok(t.live(e));
      assert.equal(t.length(e), 100 + i);
      assert.equal(t.handle(e), 7 * i + 1);
      assert.equal(t.pool(e), pool);
      assert.equal(t.memcg(e), i % 2 === 0 ? memcg : null);
      assert.equal(t.referenced(e), i % 3 === 0);
      assert.deepEqual(t.swpentry(e), { type: i % 3, offset: 1000 + i });
    }
    assert.equal(t.count, 10);
    assert.equal(t.bytesReserved(), 16 * 25, "grown from 4 to 16 slots, 25 bytes each");
  });

  it("reuses a freed slot only after the quarantine, with the next generation", () => {
    const k = realKernel();
    const t = new ZswapEntryTable(false);
    const first = t.create(k, swpEntry(0, 0), false);
    t.free(k, first);
    const later: EntryRef[] = [];
    for (let i = 0; i < ENTRY_QUARANTINE; i++) {
      const e = t.create(k, swpEntry(0, i + 1), false);
      assert.notEqual(e & SLOT_MASK, first & SLOT_MASK, "still in quarantine");
      later.push(e);
    }
    for (const e of later) t.free(k, e);
    const reused = t.create(k, swpEntry(0, 9), false);
    assert.equal(reused & SLOT_MASK, first & SLOT_MASK);
    assert.equal(reused >>> ENTRY_SLOT_BITS, 2, "generation 2");
    assert.ok(!t.live(first));
    assert.ok(t.live(reused));
    assert.equal(t.length(reused), 0);
    assert.equal(t.pool(reused), null);
  });

  it("reports a use after free and a double free (KASAN style), also across reuse", () => {
    const k = realKernel();
    const t = new ZswapEntryTable(false);
    const e = t.create(k, swpEntry(0, 1), false);
    t.use(k, e, "read entry"); // live: quiet
    t.free(k, e);
    assert.equal(
      bugKind(() => t.use(k, e, "read entry")),
      "use-after-free",
    );
    assert.equal(
      bugKind(() => t.free(k, e)),
      "double-free",
    );
    assert.match(
      (() => {
        try {
          t.use(k, e, "read entry->pool");
        } catch (x) {
          return (x as KernelBug).message;
        }
        return "";
      })(),
      /BUG: KASAN: slab-use-after-free/,
    );
    // A forged or never-issued ref is not live either.
    assert.equal(
      bugKind(() => t.use(k, 12345, "read entry")),
      "use-after-free",
    );
  });

  it("drops a pool or memcg once no entry holds it (indexes are recycled)", () => {
    const k = realKernel();
    const t = new ZswapEntryTable(false);
    for (let round = 0; round < 70_000; round += 10_000) {
      // More distinct pools over time than a 16-bit index holds at once would allow, if kept.
      const pools = Array.from({ length: 10_000 }, (_, i) => fakePool(`p${round + i}`));
      const refs = pools.map((p, i) => {
        const e = t.create(k, swpEntry(0, i), false);
        t.setPool(e, p);
        return e;
      });
      for (const [i, e] of refs.entries()) assert.equal(t.pool(e), pools[i]);
      for (const e of refs) t.free(k, e);
    }
    assert.equal(t.count, 0);
  });

  it("matches a model of live entries over random alloc/free/set sequences", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("alloc" as const), offset: fc.nat(1 << 20) }),
      fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("set" as const), pick: fc.nat(), v: fc.nat(4096) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const k = realKernel();
        const t = new ZswapEntryTable(false, 2);
        const model = new Map<EntryRef, { offset: number; length: number }>();
        const dead: EntryRef[] = [];
        for (const o of ops) {
          const live = [...model.keys()];
          if (o.kind === "alloc") {
            const e = t.create(k, swpEntry(1, o.offset), false);
            assert.ok(!model.has(e), "a live ref handed out twice");
            model.set(e, { offset: o.offset, length: 0 });
          } else if (live.length > 0) {
            const e = live[o.pick % live.length] as EntryRef;
            if (o.kind === "free") {
              t.free(k, e);
              model.delete(e);
              dead.push(e);
            } else {
              t.setLength(e, o.v);
              (model.get(e) as { length: number }).length = o.v;
            }
          }
        }
        assert.equal(t.count, model.size);
        for (const [e, m] of model) {
          assert.ok(t.live(e));
          assert.equal(t.swpOffset(e), m.offset);
          assert.equal(t.length(e), m.length);
        }
        // Fewer than ENTRY_GEN_MAX reuses of a slot here: no stale ref passes for live.
        for (const e of dead) if (!model.has(e)) assert.ok(!t.live(e));
      }),
      { numRuns: 30 },
    );
    assert.ok(ENTRY_GEN_MAX >= 127);
  });
});

describe("zswap entry table (tracked: the simulator)", () => {
  function simKernel(): Kernel {
    return new Kernel({ mode: "sim", nrCpus: 1 });
  }

  it("gives each entry a KObj with the kmalloc ids, and never reuses a slot", () => {
    const k = simKernel();
    const t = new ZswapEntryTable(true);
    const a = t.create(k, swpEntry(0, 1), false);
    t.free(k, a);
    const refs: EntryRef[] = [];
    for (let i = 0; i < ENTRY_QUARANTINE + 10; i++) {
      const e = t.create(k, swpEntry(0, i), false);
      refs.push(e);
      t.free(k, e);
    }
    assert.ok(refs.every((e) => (e & SLOT_MASK) !== (a & SLOT_MASK)));
    const obj = t.obj(a) as KObj<EntryRef>;
    assert.equal(obj.label, "zswap_entry");
    assert.equal(obj.data, a);
    assert.ok(obj.freed);
    assert.equal(
      bugKind(() => t.use(k, a, "read entry")),
      "use-after-free",
    );
    assert.equal(
      bugKind(() => t.free(k, a)),
      "double-free",
    );
    assert.equal(t.count, 0);
  });
});
