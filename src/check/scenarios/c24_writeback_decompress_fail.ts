/**
 * C24. Writeback decompression failure keeps the entry. The prelude (on the init task, before W
 * and L exist: see docs/checking.md, "Reach") stores page A at slot s, ages its entry E and
 * corrupts E's compressed bytes in zsmalloc (a bit flip in memory, or a failing
 * accelerator). W, the shrinker, validates E and fails to decompress it; L faults s in
 * concurrently and fails the same way.
 *
 * Newest kernels: writeback returns -EIO, E stays in the tree, the swapcache folio is deleted and
 * unlocked; the load returns -EIO (SIGBUS) and also keeps E; decompress_fail counts both. (K2/K3
 * BUG_ON'd instead.) What must never happen is a silent corruption: the garbage written to disk
 * and E dropped, so that a later swap-in returns wrong bytes instead of an error.
 *
 * Oracle: while s is in use, a failed writeback leaves tree[s] == E; L's swap-in returns -EIO (or
 * A itself, never other bytes); at quiescence decompress_fail >= 1 and written_back_pages == 0.
 */
import type { Op } from "../../kernel/effect.ts";
import { PAGE_SIZE } from "../../kernel/page.ts";
import { KernelBug } from "../../kernel/report.ts";
import { siteLines, siteOf } from "../../kernel/site.ts";
import { swapFree, swapIn, swapOut } from "../../mm/swap.ts";
import type { SwpEntry } from "../../mm/swap_entry.ts";
import { zsObjWrite } from "../../zsmalloc/obj_rw.ts";
import { type EntryRef, NO_ENTRY } from "../../zswap/entry_table.ts";
import { zswapShrinkerScan } from "../../zswap/shrinker.ts";
import type { ZswapState } from "../../zswap/state.ts";
import { actorOf, type Scenario, type ScenarioEnv } from "../harness.ts";
import { testPage } from "../oracle.ts";

export interface C24Options {
  /** W's writeback of the LRU's head (test-only: a broken writeback proves the scenario can fail). */
  readonly writeback?: (env: ScenarioEnv) => Op<void>;
}

interface C24State {
  readonly s: SwpEntry;
  readonly e: EntryRef | null;
  /** Set once L has released s: from then on E may be gone. */
  released: boolean;
}

/** Slot s and its entry E, per execution (keyed by the execution's oracle); none if no slot. */
const state = new WeakMap<object, C24State>();

const TAG = 240;

export function makeC24(o: C24Options = {}): Scenario {
  const writeback = o.writeback ?? shrinkOne;
  return {
    id: "C24",
    title: "writeback decompression failure keeps the entry",
    bad: "a failed decompression drops the entry (or writes garbage back), so the slot silently returns wrong bytes",
    nrCpus: 2,
    arm(env) {
      env.k.finishHooks.push(() => checkCounters(env));
    },
    *prelude(env) {
      const { k, z } = env;
      // Not through the oracle: s holds garbage once E is corrupted; L checks it itself.
      const r = yield* swapOut(k, 0, testPage(TAG), null);
      if (typeof r === "number") return;
      yield* shrinkOne(env); // second chance: clears the referenced bit
      const e = z.tree(r.type).get(r.offset);
      const st: C24State = { s: r, e: e === NO_ENTRY ? null : e, released: false };
      state.set(env.oracle, st);
      if (st.e !== null) corrupt(z, st.e);
    },
    actors: (env) => [actorOf("W", 0, writebackKeeps(env, writeback)), actorOf("L", 1, loadS(env))],
  };
}

export const C24 = makeC24();

function* shrinkOne(env: ScenarioEnv): Op<void> {
  yield* zswapShrinkerScan(env.k, env.z.rootMemcg, 1);
}

/** W: writes E back; while s is in use, a failed writeback must leave E in the tree. */
function* writebackKeeps(env: ScenarioEnv, writeback: (env: ScenarioEnv) => Op<void>): Op<void> {
  const { k, z } = env;
  yield* writeback(env);
  const st = state.get(env.oracle);
  if (st === undefined || st.e === null || st.released) return;
  const { s, e } = st;
  if (z.tree(s.type).get(s.offset) !== e) {
    throw new KernelBug("assertion", "C24: a failed writeback dropped the entry", [
      `slot ${s.type}:${s.offset} is still in use but its (undecompressible) entry is gone from the tree`,
      ...siteLines("Detected", siteOf(k)),
    ]);
  }
}

/** L: faults s in; it must fail (-EIO) or return A, never other bytes. */
function* loadS({ k, oracle }: ScenarioEnv): Op<void> {
  const st = state.get(oracle);
  if (st === undefined) return;
  const s = st.s;
  const got = yield* swapIn(k, s, null);
  if (typeof got !== "number" && !sameBytes(got, testPage(TAG))) {
    throw new KernelBug(
      "data-loss",
      `BUG: data corruption: swap slot ${s.type}:${s.offset} returned wrong bytes instead of an I/O error`,
      [
        "the page's compressed copy was corrupt; the swap-in must fail (-EIO, SIGBUS), never succeed with other bytes",
        ...siteLines("Detected", siteOf(k)),
      ],
    );
  }
  // After -EIO the page table still references s: drop it (the process got SIGBUS).
  st.released = true;
  if (typeof got === "number") yield* swapFree(k, s);
}

/** Overwrites the entry's compressed bytes with zeros: the sim decompressor then fails. */
function corrupt(z: ZswapState, entry: EntryRef): void {
  const pool = z.entries.pool(entry);
  const length = z.entries.length(entry);
  if (pool === null || length >= PAGE_SIZE) return;
  zsObjWrite(pool.data.zsPool, z.entries.handle(entry), new Uint8Array(length), length);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkCounters(env: ScenarioEnv): void {
  const s = env.z.stats;
  if (s.decompress_fail >= 1 && s.written_back_pages === 0) return;
  throw new KernelBug("assertion", "C24: unexpected counters after a decompression failure", [
    `decompress_fail ${s.decompress_fail} (expected >= 1), written_back_pages ${s.written_back_pages} (expected 0)`,
  ]);
}
