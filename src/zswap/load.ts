/**
 * zswap_load() and zswap_invalidate().
 */
import { andThen, NO_EFFECTS, type Op, returned } from "../kernel/effect.ts";
import { EINVAL, EIO, ENOENT } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { traced, tracedCall } from "../kernel/site.ts";
import { type Folio, folioAssertLocked } from "../mm/folio.ts";
import type { SwpEntry } from "../mm/swap_entry.ts";
import { zswapDecompress } from "./compress.ts";
import { zswapEntryFree } from "./entry.ts";
import { type EntryRef, NO_ENTRY } from "./entry_table.ts";
import { zswapState } from "./state.ts";

/**
 * zswap_load(): 0 (the folio is filled and uptodate; the entry is erased: loads are exclusive),
 * -ENOENT (not in zswap), -EIO (decompression failed), -EINVAL (a large folio).
 */
export function zswapLoad(k: Kernel, folio: Folio): Op<number> {
  return tracedCall(k, "zswap_load", load, folio, undefined, undefined, undefined);
}

/**
 * Not a generator (see andThen): on the real hot path every step finishes at the call, so a
 * load makes no generator of its own; the simulator sees the same effects as before.
 */
function load(k: Kernel, folio: Folio): Op<number> {
  const z = zswapState(k);
  folioAssertLocked(k, folio);
  if (!z.everEnabled) return returned(-ENOENT); // zswap_never_enabled()
  // Large folios are not loaded from zswap (WARN; SIGBUS), whether or not their first page is
  // in the tree: a large folio may be only partly in zswap, and reading the rest from disk would
  // be a partial fill. So this check comes before the lookup, as in the kernel.
  if (folio.nrPages > 1) {
    k.note("WARN_ON_ONCE(folio_test_large(folio)) in zswap_load");
    return returned(-EINVAL);
  }
  const entry = z.tree(folio.swap.type).get(folio.swap.offset);
  if (entry === NO_ENTRY) return returned(-ENOENT);
  // The folio lock keeps the entry in the tree while we decompress it.
  return andThen(zswapDecompress(k, entry, folio.page(0)), loaded, k, folio, entry);
}

/** If the page is in the folio: erase the entry (loads are exclusive) and free it. */
function loaded(ok: boolean, k: Kernel, folio: Folio, entry: EntryRef): Op<number> {
  if (!ok) return returned(-EIO);
  const z = zswapState(k);
  z.events.zswpin++;
  z.entries.memcg(entry)?.countEvent("zswpin", 1);
  z.tree(folio.swap.type).delete(folio.swap.offset);
  return andThen(zswapEntryFree(k, entry), folioFilled, folio);
}

function folioFilled(_: unknown, folio: Folio): Op<number> {
  folio.uptodate = true;
  folio.dirty = true;
  return returned(0);
}

/** zswap_invalidate(): the slot was freed; drop its entry if any. */
export function zswapInvalidate(k: Kernel, swp: SwpEntry): Op<void> {
  // Most freed slots have no entry (zswap_load erased it already): then nothing to drop, and no
  // generator. The lookup is the one invalidate() would do first, at the same moment.
  const tree = zswapState(k).tree(swp.type);
  if (tree.size === 0 || !tree.has(swp.offset)) return NO_EFFECTS;
  return traced(k, "zswap_invalidate", invalidate(k, swp));
}

function* invalidate(k: Kernel, swp: SwpEntry): Op<void> {
  const tree = zswapState(k).tree(swp.type);
  if (tree.size === 0) return;
  const entry = tree.get(swp.offset);
  if (entry === NO_ENTRY) return;
  tree.delete(swp.offset);
  yield* zswapEntryFree(k, entry);
}

export { EIO };
