/**
 * Pointers that many zswap entries share (entry->pool, entry->objcg), stored in the entry table
 * (entry_table.ts) as 16-bit indexes into a registry instead of an 8-byte reference each.
 */

/**
 * Values many entries point at (pools, memcgs), by a 16-bit index; 0 is null. An index is
 * recycled once no entry holds it (untracked mode; a tracked table keeps them, so that a freed
 * entry's fields still read as they were, as a freed object's do).
 */
export class PtrRegistry<T extends object> {
  private readonly values: Array<T | null> = [null];
  private readonly users: number[] = [0];
  private readonly index = new Map<T, number>();
  private readonly free: number[] = [];
  /** The last value held and its index: stores mostly hold the same pool and memcg. */
  private lastValue: T | null = null;
  private lastIndex = 0;

  constructor(readonly what: string) {}

  get(i: number): T | null {
    return this.values[i] ?? null;
  }

  /** The index of `v`, held once more. */
  hold(v: T | null): number {
    if (v === null) return 0;
    let i = v === this.lastValue ? this.lastIndex : this.index.get(v);
    if (i === undefined) {
      i = this.free.pop() ?? this.values.length;
      if (i > 0xffff) throw new Error(`zswap entry table: more than 65535 live ${this.what}s`);
      this.values[i] = v;
      this.users[i] = 0;
      this.index.set(v, i);
    }
    this.users[i] = (this.users[i] as number) + 1;
    this.lastValue = v;
    this.lastIndex = i;
    return i;
  }

  release(i: number): void {
    if (i === 0) return;
    const n = (this.users[i] as number) - 1;
    this.users[i] = n;
    if (n > 0) return;
    this.index.delete(this.values[i] as T);
    if (this.lastIndex === i) this.lastValue = null;
    this.values[i] = null;
    this.free.push(i);
  }
}
