/**
 * The swap layer around zswap (mm/swapfile.c, mm/swap_state.c, mm/page_io.c, mm/memory.c's
 * do_swap_page), reduced to what zswap interacts with:
 *
 * - swap devices with slot allocation; a slot stays allocated while the page table references it
 *   (swap count) or a swapcache folio exists for it (SWAP_HAS_CACHE); when both are gone the slot
 *   is released and zswap_invalidate() runs, as in swap_entry_range_free();
 * - the zero-page bitmap (zero pages never reach zswap);
 * - swap-out: zswap_store(), else write to the device; swap-in: zswap_load(), else read it.
 *
 * zswap sits above this layer (imports flow downward), so the swap layer calls it through
 * `SwapHooks`, which zswap registers at setup.
 */
import { andThen, NO_EFFECTS, type Op, returned, returnedAfter } from "../kernel/effect.ts";
import { EAGAIN, EEXIST, EIO, ENOENT, ENOSPC } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { Folio, folioLock, folioTrylock, folioUnlock } from "./folio.ts";
import type { Memcg } from "./memcg.ts";
import { SlotTable } from "./slot_table.ts";
import { type SwpEntry, swpEntry } from "./swap_entry.ts";
import { type SwapStorage, storageRead, storageWrite } from "./swap_storage.ts";
import { newVmEvents, type VmEvents } from "./vmstat.ts";

export interface SwapHooks {
  /** zswap_store(folio): true if zswap took every page. */
  store(k: Kernel, folio: Folio): Op<boolean>;
  /** zswap_load(folio): 0, -ENOENT (not in zswap), -EIO, -EINVAL. */
  load(k: Kernel, folio: Folio): Op<number>;
  /** zswap_invalidate(swp). */
  invalidate(k: Kernel, swp: SwpEntry): Op<void>;
}

export class SwapDevice {
  /** Page-table references per slot (swap_map count, 0 or 1 here). */
  readonly count: Uint8Array;
  /** SWAP_HAS_CACHE per slot. */
  readonly hasCache: Uint8Array;
  /** The zero-page bitmap (one byte per slot). */
  readonly zeromap: Uint8Array;
  /** The swapcache: the folio of each slot that has one (SWAP_HAS_CACHE is `hasCache`). */
  readonly swapcache: SlotTable<Folio>;
  nrFree: number;
  private cursor = 0;

  constructor(
    readonly type: number,
    readonly storage: SwapStorage,
  ) {
    const n = storage.nrSlots;
    // One buffer for the three maps (the model checker swaps on a device per execution).
    const maps = new ArrayBuffer(3 * n);
    this.count = new Uint8Array(maps, 0, n);
    this.hasCache = new Uint8Array(maps, n, n);
    this.zeromap = new Uint8Array(maps, 2 * n, n);
    this.swapcache = new SlotTable(n);
    this.nrFree = n;
  }

  get nrSlots(): number {
    return this.storage.nrSlots;
  }

  inUse(offset: number): boolean {
    return this.count[offset] !== 0 || this.hasCache[offset] !== 0;
  }

  /** Finds `nr` free contiguous slots (naturally aligned for large folios, as the kernel's clusters do). */
  allocRange(nr: number): number {
    const n = this.nrSlots;
    for (let tried = 0; tried < n; tried += nr) {
      const start = this.cursor - (this.cursor % nr);
      this.cursor = (start + nr) % n;
      if (start + nr > n) continue;
      let free = true;
      for (let i = start; i < start + nr && free; i++) free = !this.inUse(i);
      if (free) return start;
    }
    return -1;
  }
}

export class SwapState {
  readonly devices: SwapDevice[] = [];
  hooks: SwapHooks | null = null;
  readonly events: VmEvents = newVmEvents();
}

/** The last kernel asked about and its swap state (looked up several times per page). */
let lastKernel: Kernel | null = null;
let lastState: SwapState | null = null;

export function swapState(k: Kernel): SwapState {
  k.fp?.sticky("swap"); // coarse footprint: the swap layer's state (src/kernel/access.ts)
  if (k === lastKernel) return lastState as SwapState;
  const s = k.subsystem("swap", () => new SwapState());
  lastKernel = k;
  lastState = s;
  return s;
}

/** swapon(): adds a device; zswap is told through `onSwapon`. */
export function swapon(k: Kernel, storage: SwapStorage): SwapDevice {
  const s = swapState(k);
  const dev = new SwapDevice(s.devices.length, storage);
  s.devices.push(dev);
  return dev;
}

export function swapDevice(k: Kernel, type: number): SwapDevice {
  const dev = swapState(k).devices[type];
  if (dev === undefined) throw new RangeError(`no swap device of type ${type}`);
  return dev;
}

/** Whether every byte of `data` (a page or a folio) is zero: swap_writeout() keeps it out of zswap. */
export function isZeroFilled(data: Uint8Array): boolean {
  const n = data.length;
  // Most pages have a non-zero byte in their first eight: decide those before making a view.
  for (let i = 0; i < 8 && i < n; i++) if (data[i] !== 0) return false;
  // Then 32 bytes a step, OR-ing eight 32-bit words (as the kernel's word-at-a-time loop; 64-bit
  // words would be BigInts): a zero page is read in about half the time of a word-by-word loop,
  // and every zero page is read to its end.
  if ((data.byteOffset & 3) === 0 && (n & 31) === 0) {
    const w = new Int32Array(data.buffer, data.byteOffset, n >>> 2);
    for (let i = 0; i < w.length; i += 8) {
      if (
        (w[i]! |
          w[i + 1]! |
          w[i + 2]! |
          w[i + 3]! |
          w[i + 4]! |
          w[i + 5]! |
          w[i + 6]! |
          w[i + 7]!) !==
        0
      )
        return false;
    }
    return true;
  }
  for (let i = 8; i < n; i++) if (data[i] !== 0) return false;
  return true;
}

/**
 * Releases a slot once neither a page table nor the swapcache references it. Not a generator:
 * the release is done at the call, and only zswap_invalidate() can have effects (`swp`: the
 * slot's entry when the caller has it, so none is made).
 */
function maybeReleaseSlot(k: Kernel, dev: SwapDevice, offset: number, swp?: SwpEntry): Op<void> {
  if (dev.inUse(offset)) return NO_EFFECTS;
  dev.zeromap[offset] = 0;
  dev.nrFree++;
  const hooks = swapState(k).hooks;
  if (hooks === null) return NO_EFFECTS;
  return hooks.invalidate(k, swp ?? swpEntry(dev.type, offset));
}

/** Adds a new locked folio to the swapcache for `swp` (SWAP_HAS_CACHE). */
export function swapcacheAdd(k: Kernel, dev: SwapDevice, folio: Folio): void {
  for (let i = 0; i < folio.nrPages; i++) {
    dev.hasCache[folio.swap.offset + i] = 1;
    dev.swapcache.set(folio.swap.offset + i, folio);
  }
  if (!folioTrylock(k, folio)) throw new Error("a new folio must be lockable");
}

/** delete_from_swap_cache(): drops SWAP_HAS_CACHE and releases slots nobody references. */
export function swapcacheDelete(k: Kernel, dev: SwapDevice, folio: Folio): Op<void> {
  // The common case, a page table still maps every slot, releases nothing and yields nothing:
  // done here without a generator. Otherwise the loop below, page by page as before.
  const start = folio.swap.offset;
  for (let i = 0; i < folio.nrPages; i++)
    if (dev.count[start + i] === 0) return swapcacheDrop(k, dev, folio);
  for (let i = 0; i < folio.nrPages; i++) {
    if (dev.swapcache.get(start + i) === folio) dev.swapcache.delete(start + i);
    dev.hasCache[start + i] = 0;
  }
  return NO_EFFECTS;
}

function* swapcacheDrop(k: Kernel, dev: SwapDevice, folio: Folio): Op<void> {
  for (let i = 0; i < folio.nrPages; i++) {
    const off = folio.swap.offset + i;
    if (dev.swapcache.get(off) === folio) dev.swapcache.delete(off);
    dev.hasCache[off] = 0;
    // Checked here too, so the common case (the page table still maps the slot) makes no call.
    if (!dev.inUse(off)) yield* maybeReleaseSlot(k, dev, off);
  }
}

/**
 * swap_cache_alloc_folio() as writeback uses it: a new locked folio for `swp`, or -EEXIST if one
 * is already cached, or -ENOENT if the slot is no longer in use.
 */
export function swapCacheAllocFolio(k: Kernel, swp: SwpEntry, memcg: Memcg | null): Folio | number {
  const dev = swapDevice(k, swp.type);
  if (dev.swapcache.has(swp.offset)) return -EEXIST;
  if (!dev.inUse(swp.offset)) return -ENOENT;
  const folio = new Folio(swp, 1, memcg);
  swapcacheAdd(k, dev, folio);
  return folio;
}

/**
 * swap_writeout() of a locked swapcache folio: zero pages go to the bitmap, otherwise zswap,
 * otherwise the device. Returns 0 or a negative errno (the folio then stays dirty in memory).
 */
export function swapWriteout(k: Kernel, folio: Folio): Op<number> {
  // Not a generator (see andThen): on the real hot path every step finishes at the call.
  const s = swapState(k);
  const dev = swapDevice(k, folio.swap.type);
  const off = folio.swap.offset;
  if (isZeroFilled(folio.data)) {
    for (let i = 0; i < folio.nrPages; i++) dev.zeromap[off + i] = 1;
    s.events.swpout_zero += folio.nrPages;
    // A stale zswap copy must not survive a zero write (the kernel invalidates via zswap_store's
    // disabled path only when it is called; the zero path skips it, so drop stale copies here).
    if (s.hooks === null) return returned(0);
    if (folio.nrPages === 1)
      return andThen(s.hooks.invalidate(k, swpEntry(dev.type, off)), returnedAfter, 0);
    return invalidateZeroFolio(k, s.hooks, dev, folio);
  }
  for (let i = 0; i < folio.nrPages; i++) dev.zeromap[off + i] = 0;
  if (s.hooks === null) return writeoutToDevice(k, dev, folio);
  return andThen(s.hooks.store(k, folio), zswapStored, k, dev, folio);
}

function zswapStored(stored: boolean, k: Kernel, dev: SwapDevice, folio: Folio): Op<number> {
  return stored ? returned(0) : writeoutToDevice(k, dev, folio);
}

function* invalidateZeroFolio(
  k: Kernel,
  hooks: SwapHooks,
  dev: SwapDevice,
  folio: Folio,
): Op<number> {
  for (let i = 0; i < folio.nrPages; i++)
    yield* hooks.invalidate(k, swpEntry(dev.type, folio.swap.offset + i));
  return 0;
}

/** swap_writeout()'s last resort: the folio's pages are written to the swap device. */
function* writeoutToDevice(k: Kernel, dev: SwapDevice, folio: Folio): Op<number> {
  const s = swapState(k);
  const off = folio.swap.offset;
  // memory.zswap.writeback=0 also forbids swapping to the device after a rejected store: the
  // folio stays in memory, dirty (AOP_WRITEPAGE_ACTIVATE).
  if (folio.memcg !== null && !folio.memcg.writebackEnabled()) return -EAGAIN;
  for (let i = 0; i < folio.nrPages; i++) {
    const ret = yield* storageWrite(dev.storage, off + i, folio.page(i));
    if (ret < 0) return ret;
    s.events.pswpout++;
  }
  return 0;
}

/**
 * Swap a page (or a large folio of nr pages) out: allocate slots, put a locked folio in the
 * swapcache, write it out, drop it from the swapcache. Returns the swap entry, or -ENOSPC.
 *
 * The folio gets a copy of `data` unless `copy` is false: then it reads `data` itself until the
 * operation finishes (the real library does that, the page being the caller's until then).
 */
export function* swapOut(
  k: Kernel,
  type: number,
  data: Uint8Array,
  memcg: Memcg | null,
  copy = true,
): Op<SwpEntry | number> {
  return yield* swapOutCall(k, type, data, memcg, copy);
}

/**
 * swapOut's body as a plain function that returns an Op (see andThen): what runs before its
 * first effect runs at the call. For an executor that calls it once the task is current
 * (RealExecutor.runSyncCall), so that a page swapped out makes no generator at all.
 */
export function swapOutCall(
  k: Kernel,
  type: number,
  data: Uint8Array,
  memcg: Memcg | null,
  copy: boolean,
): Op<SwpEntry | number> {
  const dev = swapDevice(k, type);
  const nr = data.length / PAGE_SIZE;
  if (!Number.isInteger(nr) || nr < 1)
    throw new RangeError(`swapOut: expected a multiple of ${PAGE_SIZE} bytes, got ${data.length}`);
  const start = dev.allocRange(nr);
  if (start < 0) return returned(-ENOSPC);
  for (let i = 0; i < nr; i++) dev.count[start + i] = 1;
  dev.nrFree -= nr;
  const folio = new Folio(swpEntry(type, start), nr, memcg, copy ? data.slice() : data);
  folio.dirty = true;
  swapcacheAdd(k, dev, folio);
  return andThen(swapWriteout(k, folio), writtenOut, k, dev, folio);
}

function writtenOut(ret: number, k: Kernel, dev: SwapDevice, folio: Folio): Op<SwpEntry | number> {
  folioUnlock(k, folio);
  if (ret < 0) {
    // The data could not be written: release the slots, the caller keeps the page.
    for (let i = 0; i < folio.nrPages; i++) dev.count[folio.swap.offset + i] = 0;
    return andThen(swapcacheDelete(k, dev, folio), returnedAfter, ret);
  }
  return andThen(swapcacheDelete(k, dev, folio), returnedAfter, folio.swap);
}

/**
 * A redirtied page written out again to the slot it already has (the folio stayed in the
 * swapcache): this is how a stale zswap entry can exist for a slot (scenario C18).
 */
export function* swapRewrite(
  k: Kernel,
  swp: SwpEntry,
  data: Uint8Array,
  memcg: Memcg | null,
): Op<number> {
  const dev = swapDevice(k, swp.type);
  for (;;) {
    const cached = dev.swapcache.get(swp.offset);
    if (cached === undefined) break;
    yield* folioLock(k, cached);
    folioUnlock(k, cached);
  }
  const folio = new Folio(swp, 1, memcg, data.slice());
  folio.dirty = true;
  swapcacheAdd(k, dev, folio);
  const ret = yield* swapWriteout(k, folio);
  folioUnlock(k, folio);
  yield* swapcacheDelete(k, dev, folio);
  return ret;
}

/**
 * Swap a page in (do_swap_page for one page): find or create the swapcache folio, fill it from
 * the zero bitmap, zswap or the device, then drop the page table's reference to the slot.
 * Returns the page's bytes, or a negative errno (-EIO: SIGBUS).
 *
 * With `dst` (one page), the new folio's page is `dst` itself and the bytes are returned there
 * (no allocation, no copy: the real library's path); without it, in a new array.
 */
export function* swapIn(
  k: Kernel,
  swp: SwpEntry,
  memcg: Memcg | null,
  dst?: Uint8Array,
): Op<Uint8Array | number> {
  return yield* swapInCall(k, swp, memcg, dst);
}

/**
 * swapIn's body as a plain function that returns an Op (see andThen and swapOutCall): a page
 * swapped in from zswap makes no generator.
 */
export function swapInCall(
  k: Kernel,
  swp: SwpEntry,
  memcg: Memcg | null,
  dst: Uint8Array | undefined,
): Op<Uint8Array | number> {
  const dev = swapDevice(k, swp.type);
  if (dev.swapcache.get(swp.offset) !== undefined) return swapInCached(k, dev, swp, memcg, dst);
  return swapInNew(k, dev, swp, memcg, dst);
}

/** The slot has a swapcache folio: wait for it, and take the page from it if it is uptodate. */
function* swapInCached(
  k: Kernel,
  dev: SwapDevice,
  swp: SwpEntry,
  memcg: Memcg | null,
  dst: Uint8Array | undefined,
): Op<Uint8Array | number> {
  for (;;) {
    const cached = dev.swapcache.get(swp.offset);
    if (cached === undefined) break;
    // Someone else (writeback, another fault) owns the slot's folio: wait for it.
    yield* folioLock(k, cached);
    const done = cached.uptodate;
    const page = cached.page(swp.offset - cached.swap.offset);
    const bytes = dst === undefined ? page.slice() : copyPage(dst, page);
    folioUnlock(k, cached);
    // A folio whose writeback failed has no other owner: the swap-in takes it out of the cache.
    if (cached.writebackFailed && cached.owner === null) yield* swapcacheDelete(k, dev, cached);
    if (done) {
      yield* swapFreeNow(k, swp);
      return bytes;
    }
  }
  return yield* swapInNew(k, dev, swp, memcg, dst);
}

/** No swapcache folio: a new one, filled from the zero bitmap, zswap or the device. */
function swapInNew(
  k: Kernel,
  dev: SwapDevice,
  swp: SwpEntry,
  memcg: Memcg | null,
  dst: Uint8Array | undefined,
): Op<Uint8Array | number> {
  const s = swapState(k);
  if (!dev.inUse(swp.offset)) return returned(-ENOENT);
  const folio = new Folio(swp, 1, memcg, dst);
  swapcacheAdd(k, dev, folio);
  if (dev.zeromap[swp.offset]) {
    s.events.swpin_zero++;
    // folio_zero_range(): a new folio's page is zeroed already, a caller's `dst` is not.
    if (dst !== undefined) dst.fill(0);
    folio.uptodate = true;
    return swapInFilled(0, k, dev, folio, dst);
  }
  if (s.hooks === null) return zswapLoaded(-ENOENT, k, dev, folio, memcg, dst);
  return andThen(s.hooks.load(k, folio), zswapLoaded, k, dev, folio, memcg, dst);
}

/** zswap_load() returned `ret`: -ENOENT means the page is on the device. */
function zswapLoaded(
  ret: number,
  k: Kernel,
  dev: SwapDevice,
  folio: Folio,
  memcg: Memcg | null,
  dst: Uint8Array | undefined,
): Op<Uint8Array | number> {
  if (ret !== -ENOENT) return swapInFilled(ret, k, dev, folio, dst);
  return andThen(readFromDevice(k, dev, folio, memcg), swapInFilled, k, dev, folio, dst);
}

function* readFromDevice(
  k: Kernel,
  dev: SwapDevice,
  folio: Folio,
  memcg: Memcg | null,
): Op<number> {
  const ret = yield* storageRead(dev.storage, folio.swap.offset, folio.page(0));
  if (ret === 0) {
    swapState(k).events.pswpin++;
    if (memcg !== null) memcg.nrDiskSwapins++;
    folio.uptodate = true;
  }
  return ret;
}

/** The folio was filled (ret 0) or not: out of the swapcache, then the slot is freed. */
function swapInFilled(
  ret: number,
  k: Kernel,
  dev: SwapDevice,
  folio: Folio,
  dst: Uint8Array | undefined,
): Op<Uint8Array | number> {
  // zswap_load unlocks the folio itself on every outcome but -ENOENT; we unlock here for all.
  if (folio.owner === k.task) folioUnlock(k, folio);
  const bytes = dst === undefined ? folio.data.slice() : folio.data;
  return andThen(swapcacheDelete(k, dev, folio), swapInDone, k, folio, ret, bytes);
}

function swapInDone(
  _: unknown,
  k: Kernel,
  folio: Folio,
  ret: number,
  bytes: Uint8Array,
): Op<Uint8Array | number> {
  if (ret < 0 || !folio.uptodate) return returned(ret < 0 ? ret : -EIO);
  return andThen(swapFreeNow(k, folio.swap), returnedAfter, bytes);
}

function copyPage(dst: Uint8Array, src: Uint8Array): Uint8Array {
  dst.set(src);
  return dst;
}

/**
 * swap_free(): the page table drops its reference; the slot is released when unused. A folio
 * left in the swap cache by a failed writeback write is dropped with it (free_swap_and_cache()
 * reclaims a swap cache folio nobody holds once the last reference goes).
 */
export function* swapFree(k: Kernel, swp: SwpEntry): Op<void> {
  yield* swapFreeNow(k, swp);
}

/**
 * swapFree() done at the call, for `yield*` in kernel code (where a generator would start at
 * the same moment): no generator, and only the release of the slot (zswap_invalidate()) can
 * have effects. A task body must be swapFree(), which starts when the task first runs.
 */
function swapFreeNow(k: Kernel, swp: SwpEntry): Op<void> {
  const dev = swapDevice(k, swp.type);
  if (dev.count[swp.offset] === 0) return NO_EFFECTS;
  dev.count[swp.offset] = 0;
  const cached = dev.swapcache.get(swp.offset);
  // Releases the slot: nothing references it now.
  if (cached?.writebackFailed === true && cached.owner === null)
    return swapcacheDelete(k, dev, cached);
  return maybeReleaseSlot(k, dev, swp.offset, swp);
}
