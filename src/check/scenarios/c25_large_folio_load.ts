/**
 * C25. Load of a large folio. The prelude (on the init task, before W and L exist: see
 * docs/checking.md, "Reach") swaps out a 4-page folio (four zswap entries at slots s..s+3) and
 * ages the entries; W, the shrinker, writes one of them back, so the range may be
 * only partly in zswap. L then faults the whole range in as one large folio.
 *
 * zswap does not load large folios: zswap_load() WARNs and returns -EINVAL (K3: true without
 * uptodate), whatever is at the first offset, and the fault falls back to order-0 swap-ins.
 * What must never happen is a partial fill: some pages from zswap or disk and others stale, or
 * -ENOENT for a range partly in zswap, which would make the swap layer read every page from
 * disk.
 *
 * Oracle: the large load never succeeds; if the folio ends up uptodate anyway, every page must
 * be right (data-loss report otherwise); the data oracle checks every page at the end.
 */
import type { Op } from "../../kernel/effect.ts";
import { ENOENT } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { KernelBug } from "../../kernel/report.ts";
import { siteLines, siteOf } from "../../kernel/site.ts";
import { Folio, folioUnlock } from "../../mm/folio.ts";
import {
  swapcacheAdd,
  swapcacheDelete,
  swapDevice,
  swapFree,
  swapOut,
  swapState,
} from "../../mm/swap.ts";
import { type SwpEntry, swpEntry } from "../../mm/swap_entry.ts";
import { storageRead } from "../../mm/swap_storage.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";

const NR = 4;
const TAG = 250;

/** The folio's first slot s, per execution (keyed by the execution's oracle). */
const slotS = new WeakMap<object, SwpEntry>();

export const C25: Scenario = {
  id: "C25",
  title: "load of a large folio",
  bad: "a large folio is filled partly (from zswap, or from disk while part of the range is in zswap)",
  nrCpus: 2,
  *prelude({ k, z, oracle }) {
    const data = new Uint8Array(NR * PAGE_SIZE);
    for (let i = 0; i < NR; i++) data.set(testPage(TAG + i), i * PAGE_SIZE);
    const r = yield* swapOut(k, 0, data, null);
    if (typeof r === "number") return;
    slotS.set(oracle, r);
    for (let i = 0; i < NR; i++) oracle.record(swpEntry(r.type, r.offset + i), testPage(TAG + i));
    yield* zswapShrinkerScan(k, z.rootMemcg, NR); // second chance: clears the referenced bits
  },
  actors: (env) => [actorOf("W", 0, shrinkOne(env)), actorOf("L", 1, loadLarge(env))],
};

/** W: the shrinker, one entry. */
function* shrinkOne({ k, z }: ScenarioEnv): Op<void> {
  yield* zswapShrinkerScan(k, z.rootMemcg, 1);
}

/** L: faults the whole range in as one large folio. */
function* loadLarge({ k, oracle }: ScenarioEnv): Op<void> {
  const s = slotS.get(oracle);
  if (s !== undefined && (yield* largeSwapIn(k, s))) {
    for (let i = 0; i < NR; i++) oracle.forget(swpEntry(s.type, s.offset + i));
  }
}

/**
 * A large-folio swap-in of s..s+NR-1 (swap_read_folio() of an mTHP): zswap_load() first; on
 * -ENOENT, read every page from the device. Returns true if the folio was mapped (every page
 * checked and its slot freed); false when it fell back (SIGBUS on the large folio, or part of the
 * range already in the swapcache).
 */
function* largeSwapIn(k: Kernel, s: SwpEntry): Op<boolean> {
  const sw = swapState(k);
  const dev = swapDevice(k, s.type);
  for (let i = 0; i < NR; i++) {
    if (dev.swapcache.has(s.offset + i) || !dev.inUse(s.offset + i)) return false;
  }
  const folio = new Folio(s, NR, null);
  swapcacheAdd(k, dev, folio);
  const ret = sw.hooks === null ? -ENOENT : yield* sw.hooks.load(k, folio);
  if (ret === 0) {
    throw new KernelBug("assertion", "C25: zswap_load() filled a large folio", [
      `the ${NR}-page folio at ${s.type}:${s.offset} was loaded from zswap; zswap loads only order-0 folios`,
      ...siteLines("Detected", siteOf(k)),
    ]);
  }
  if (ret === -ENOENT) {
    for (let i = 0; i < NR; i++) yield* storageRead(dev.storage, s.offset + i, folio.page(i));
    sw.events.pswpin += NR;
    folio.uptodate = true;
  }
  if (folio.owner === k.task) folioUnlock(k, folio);
  yield* swapcacheDelete(k, dev, folio);
  if (!folio.uptodate) return false;
  for (let i = 0; i < NR; i++) {
    const want = testPage(TAG + i);
    const got = folio.page(i);
    if (got.some((b, j) => b !== want[j])) {
      throw new KernelBug(
        "data-loss",
        `BUG: data corruption: large folio at ${s.type}:${s.offset} partly filled`,
        [
          `page ${i} (slot ${s.offset + i}) does not hold its content: zswap_load() answered -ENOENT while part of the range was in zswap, and the rest was read from disk`,
          ...siteLines("Detected", siteOf(k)),
        ],
      );
    }
  }
  for (let i = 0; i < NR; i++) yield* swapFree(k, swpEntry(s.type, s.offset + i));
  return true;
}
