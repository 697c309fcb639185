import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SlotIdTable } from "./slot_id_table.ts";
import { SlotTable } from "./slot_table.ts";

const NR_SLOTS = 4096;
const op = fc.oneof(
  fc.record({ set: fc.constant(true), slot: fc.nat(NR_SLOTS - 1), v: fc.integer({ min: 1 }) }),
  fc.record({ set: fc.constant(false), slot: fc.nat(NR_SLOTS - 1) }),
);
type Op = { set: true; slot: number; v: number } | { set: false; slot: number };

/** Runs `ops` on the table and on a Map; they must agree after every step. */
function agree<T>(
  ops: Op[],
  t: {
    get(s: number): T;
    set(s: number, v: number): void;
    delete(s: number): boolean;
    size: number;
    [Symbol.iterator](): Iterator<[number, unknown]>;
  },
  none: T,
): void {
  const m = new Map<number, number>();
  for (const o of ops) {
    if (o.set) {
      t.set(o.slot, o.v);
      m.set(o.slot, o.v);
    } else assert.equal(t.delete(o.slot), m.delete(o.slot));
    assert.equal(t.get(o.slot), m.get(o.slot) ?? none);
    assert.equal(t.size, m.size);
  }
  assert.deepEqual(
    [...t],
    [...m].sort((a, b) => a[0] - b[0]),
  );
}

describe("swap slot tables (zswap's tree, the swap cache)", () => {
  it("SlotIdTable behaves as a Map of slot -> id, iterating in slot order", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) =>
        agree(ops as Op[], new SlotIdTable(NR_SLOTS), 0),
      ),
    );
  });

  it("SlotTable behaves as a Map of slot -> value, iterating in slot order", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) =>
        agree(ops as Op[], new SlotTable<number>(NR_SLOTS), undefined),
      ),
    );
  });

  it("an emptied chunk is dropped (one spare kept): a million slots used once hold one chunk", () => {
    const t = new SlotIdTable(1 << 20);
    for (let s = 0; s < 1 << 20; s++) {
      t.set(s, s + 1);
      t.delete(s);
    }
    assert.equal(t.size, 0);
    assert.equal(t.bytesReserved(), 1024, "the spare chunk: 256 slots of 4 bytes");
    for (let s = 0; s < 1024; s++) t.set(s, 7);
    assert.equal(t.bytesReserved(), 4 * 1024);
  });

  it("rejects slots out of range and ids that are not positive int32", () => {
    const t = new SlotIdTable(10);
    assert.throws(() => t.set(10, 1), /expected a slot in 0..9, got 10/);
    assert.throws(() => t.set(0, 0), /expected an id in 1..2\^31-1, got 0/);
    assert.throws(() => t.set(0, 2 ** 31), /expected an id/);
  });
});
