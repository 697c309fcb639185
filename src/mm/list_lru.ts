/**
 * list_lru (mm/list_lru.c): per-memcg LRU lists under one spinlock, with the isolate-callback
 * walk that zswap's shrinker uses.
 *
 * Items are intrusive: their prev/next links are fields of the item (as list_head is), kept by
 * the owner (LruLinks), so add and delete are O(1) and allocation-free. Simplified: one lock for all lists (the kernel has one
 * per list_lru_one), no NUMA nodes.
 */
import type { Op } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { Spinlock, spinLock, spinUnlock } from "../kernel/spinlock.ts";
import type { Memcg } from "./memcg.ts";

/**
 * Where the items' links live: items are small positive ids (0 is "none", as NULL), and their
 * prev/next links and on-list bit are fields of the owner's struct of arrays (zswap's entry
 * table), as list_head is a field of struct zswap_entry.
 */
export interface LruLinks {
  lruPrev(id: number): number;
  lruNext(id: number): number;
  setLruPrev(id: number, prev: number): void;
  setLruNext(id: number, next: number): void;
  onLru(id: number): boolean;
  setOnLru(id: number, on: boolean): void;
}

/** The "no item" id: an empty list's head and tail, the ends' links. */
export const LRU_NONE = 0;

export type LruStatus = "removed" | "removed_retry" | "rotate" | "skip" | "retry" | "stop";

export class ListLruOne {
  head = LRU_NONE;
  tail = LRU_NONE;
  nrItems = 0;

  constructor(readonly links: LruLinks) {}

  pushTail(item: number): void {
    const d = this.links;
    d.setLruPrev(item, this.tail);
    d.setLruNext(item, LRU_NONE);
    if (this.tail !== LRU_NONE) d.setLruNext(this.tail, item);
    else this.head = item;
    this.tail = item;
    d.setOnLru(item, true);
    this.nrItems++;
  }

  unlink(item: number): void {
    const d = this.links;
    const prev = d.lruPrev(item);
    const next = d.lruNext(item);
    if (prev !== LRU_NONE) d.setLruNext(prev, next);
    else this.head = next;
    if (next !== LRU_NONE) d.setLruPrev(next, prev);
    else this.tail = prev;
    d.setLruPrev(item, LRU_NONE);
    d.setLruNext(item, LRU_NONE);
    d.setOnLru(item, false);
    this.nrItems--;
  }

  /** list_move_tail(). */
  moveTail(item: number): void {
    this.unlink(item);
    this.pushTail(item);
  }
}

export class ListLru {
  readonly lock = new Spinlock("list_lru lock", "&l->lock");
  private readonly lists = new Map<Memcg | null, ListLruOne>();

  constructor(readonly links: LruLinks) {}

  one(memcg: Memcg | null): ListLruOne {
    let l = this.lists.get(memcg);
    if (l === undefined) this.lists.set(memcg, (l = new ListLruOne(this.links)));
    return l;
  }

  /** list_lru_add(): takes the lock. */
  add(k: Kernel, memcg: Memcg | null, item: number): void {
    spinLock(k, this.lock);
    if (!this.links.onLru(item)) this.one(memcg).pushTail(item);
    spinUnlock(k, this.lock);
  }

  /** list_lru_del(): takes the lock; a no-op if the item is not on a list. */
  del(k: Kernel, memcg: Memcg | null, item: number): void {
    spinLock(k, this.lock);
    if (this.links.onLru(item)) this.one(memcg).unlink(item);
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
    isolate: (item: number, l: ListLruOne) => Op<LruStatus>,
    nrToWalk: number,
  ): Op<number> {
    const l = this.one(memcg);
    let isolated = 0;
    let budget = nrToWalk;
    spinLock(k, this.lock);
    let item = l.head;
    while (item !== LRU_NONE && budget-- > 0) {
      const next = this.links.lruNext(item);
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
