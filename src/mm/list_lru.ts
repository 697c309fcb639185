/**
 * list_lru (mm/list_lru.c): per-memcg LRU lists under one spinlock, with the isolate-callback
 * walk that zswap's shrinker uses.
 *
 * Items are intrusive: they carry their own prev/next links (as list_head does), so add and
 * delete are O(1) and allocation-free. Simplified: one lock for all lists (the kernel has one
 * per list_lru_one), no NUMA nodes.
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { Spinlock, spinLock, spinUnlock } from "../kernel/spinlock.ts";
import type { Memcg } from "./memcg.ts";

export interface LruLinks<T> {
  lruPrev: T | null;
  lruNext: T | null;
  onLru: boolean;
}

export type LruStatus = "removed" | "removed_retry" | "rotate" | "skip" | "retry" | "stop";

export class ListLruOne<T extends { data: LruLinks<T> }> {
  head: T | null = null;
  tail: T | null = null;
  nrItems = 0;

  pushTail(item: T): void {
    const d = item.data;
    d.lruPrev = this.tail;
    d.lruNext = null;
    if (this.tail !== null) this.tail.data.lruNext = item;
    else this.head = item;
    this.tail = item;
    d.onLru = true;
    this.nrItems++;
  }

  unlink(item: T): void {
    const d = item.data;
    if (d.lruPrev !== null) d.lruPrev.data.lruNext = d.lruNext;
    else this.head = d.lruNext;
    if (d.lruNext !== null) d.lruNext.data.lruPrev = d.lruPrev;
    else this.tail = d.lruPrev;
    d.lruPrev = d.lruNext = null;
    d.onLru = false;
    this.nrItems--;
  }

  /** list_move_tail(). */
  moveTail(item: T): void {
    this.unlink(item);
    this.pushTail(item);
  }
}

export class ListLru<T extends { data: LruLinks<T> }> {
  readonly lock = new Spinlock("list_lru lock", "&l->lock");
  private readonly lists = new Map<Memcg | null, ListLruOne<T>>();

  one(memcg: Memcg | null): ListLruOne<T> {
    let l = this.lists.get(memcg);
    if (l === undefined) this.lists.set(memcg, (l = new ListLruOne<T>()));
    return l;
  }

  /** list_lru_add(): takes the lock. */
  add(k: Kernel, memcg: Memcg | null, item: T): void {
    spinLock(k, this.lock);
    if (!item.data.onLru) this.one(memcg).pushTail(item);
    spinUnlock(k, this.lock);
  }

  /** list_lru_del(): takes the lock; a no-op if the item is not on a list. */
  del(k: Kernel, memcg: Memcg | null, item: T): void {
    spinLock(k, this.lock);
    if (item.data.onLru) this.one(memcg).unlink(item);
    spinUnlock(k, this.lock);
  }

  count(memcg: Memcg | null): number {
    return this.lists.get(memcg)?.nrItems ?? 0;
  }

  totalCount(): number {
    let n = 0;
    for (const l of this.lists.values()) n += l.nrItems;
    return n;
  }

  /**
   * list_lru_walk_one(): calls `isolate` on items from the head with the lock held. An isolate
   * callback that drops the lock returns "removed_retry" or "retry", and the walk restarts from
   * the head (the list may have changed). Returns the number of items isolated.
   */
  *walk(
    k: Kernel,
    memcg: Memcg | null,
    isolate: (item: T, l: ListLruOne<T>) => Op<LruStatus>,
    nrToWalk: number,
  ): Op<number> {
    const l = this.one(memcg);
    let isolated = 0;
    let budget = nrToWalk;
    spinLock(k, this.lock);
    let item = l.head;
    while (item !== null && budget-- > 0) {
      const next: T | null = item.data.lruNext;
      const status = yield* isolate(item, l);
      if (status === "removed" || status === "removed_retry") isolated++;
      if (status === "stop") break;
      if (status === "rotate") l.moveTail(item);
      item = status === "removed_retry" || status === "retry" ? l.head : next;
    }
    spinUnlock(k, this.lock);
    return isolated;
  }
}
