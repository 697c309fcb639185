/**
 * The expected design x scenario matrix.
 *
 * The starting point is reference/zswap-design.md §4.1 (and, for rows §4.1 does not have, the
 * scenario texts of §4), which argues each cell for the scenario's own target bug. Our
 * scenarios exercise real kernel paths, so a scenario sometimes also reaches a *different* real
 * bug of a design (for example C12's pool switch ends in a pool destroy, which runs D3's dead
 * callback, which frees the tfm under the ctx mutex: C5's chain). Those cells are amended here,
 * each with the evidence from the kernel's code, instead of bending the model or the scenario.
 * `docs/matrix.md` lists the same amendments.
 */
import type { BugKind } from "../kernel/report.ts";

/** A bug as the matrix shows it: one word per detector family. */
export type BugClass =
  | "UAF"
  | "double-free"
  | "NULL"
  | "uninit"
  | "lockdep"
  | "deadlock"
  | "hung-task"
  | "soft-lockup"
  | "livelock"
  | "leak"
  | "WARN"
  | "data-loss"
  | "atomic";

export type Expect =
  | { readonly kind: "safe" }
  | { readonly kind: "bug"; readonly classes: readonly BugClass[] }
  | { readonly kind: "n/a" };

export interface ExpectedCell {
  readonly expect: Expect;
  /** "reference": §4.1; "inferred": from the §4 scenario text; "amended": see `note`. */
  readonly source: "reference" | "inferred" | "amended";
  readonly note?: string;
}

const SAFE: Expect = { kind: "safe" };
const NA: Expect = { kind: "n/a" };
const bug = (...classes: BugClass[]): Expect => ({ kind: "bug", classes });

const ref = (expect: Expect): ExpectedCell => ({ expect, source: "reference" });
const inferred = (expect: Expect): ExpectedCell => ({ expect, source: "inferred" });
const amended = (expect: Expect, note: string): ExpectedCell => ({
  expect,
  source: "amended",
  note,
});

export const DESIGN_COLUMNS = [
  "D0",
  "D1",
  "D2",
  "D3",
  "D4",
  "D5",
  "D7",
  "D7-v14",
  "D7-batch",
  "D7-batch-v7",
] as const;

/** The batching designs keep D7's ctx lifetime, so their lifecycle cells are D7's. */
const BATCHING_COLUMNS: readonly string[] = ["D7-batch", "D7-batch-v7"];

/** Notes shared by several amended cells. */
const D0_UAF =
  "D0's dead callback frees req/tfm/buffer with no lock while a migrated task still uses them (C1's UAF); this scenario also takes CPU 0 down under a zswap user.";
const D1_RECLAIM =
  'D1 takes cpus_read_lock() in zswap_compress(); here reclaim reaches zswap_store() while cpu_hotplug_lock is already held or ordered before fs_reclaim (prepare allocates under cpus_read_lock in cpuhp_state_add_instance, or under cpus_write_lock in _cpu_up): the deadlock that got eaebeb93922c reverted ("code already holding the lock can fall into reclaim and enter zswap").';
const D2_ALLOC_UNDER_MUTEX =
  "D2's prepare allocates while holding its ctx mutex (fixed by 779b9955f643); with reclaim into zswap_store() lockdep sees ctx mutex -> fs_reclaim -> ctx mutex (one lock class): C4's report, reached here through prepare on CPU bring-up or pool creation.";
const D3_FREE_UNDER_MUTEX =
  "D3's dead callback frees the tfm under the ctx mutex (crypto_free_acomp takes scomp_lock); the old pool's destroy calls it for every online CPU through cpuhp_state_remove_instance(): C5's chain scomp_lock -> fs_reclaim -> ctx mutex -> scomp_lock (fixed by c11bcbc0a517).";
const D5_DESTROY_RACE =
  "D5 frees the ctxs before cpuhp_state_remove_instance(); the old pool is destroyed while a CPU comes up, whose prepare allocates into the dying pool: C8's leak.";
const V14_NO_RESET =
  "v14 23/26's acomp_ctx_dealloc() frees without resetting the pointers; after prepare fails on one CPU, the create error path frees every possible CPU again: double free (the L20 nit, as in C11).";

/** Expected cells by scenario, then design. */
export const EXPECTED: Readonly<Record<string, Readonly<Record<string, ExpectedCell>>>> = {
  C1: row(
    ref(bug("UAF")),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    inferred(SAFE),
  ),
  C2: row(
    ref(bug("UAF", "WARN")),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    inferred(SAFE),
  ),
  C3: row(
    ref(SAFE),
    ref(bug("lockdep", "deadlock")),
    amended(bug("lockdep"), D2_ALLOC_UNDER_MUTEX),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    inferred(SAFE),
  ),
  C4: row(
    ref(SAFE),
    amended(bug("lockdep", "deadlock"), D1_RECLAIM),
    ref(bug("lockdep")),
    amended(bug("lockdep"), D3_FREE_UNDER_MUTEX),
    ref(SAFE),
    amended(bug("leak"), D5_DESTROY_RACE),
    ref(SAFE),
    inferred(SAFE),
  ),
  C5: row(
    amended(bug("UAF"), D0_UAF),
    amended(bug("lockdep", "deadlock"), D1_RECLAIM),
    ref(bug("lockdep", "deadlock")),
    ref(bug("lockdep", "deadlock")),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    inferred(SAFE),
  ),
  C6: row(
    inferred(bug("UAF")),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
  ),
  C7: row(
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(bug("NULL")),
    ref(SAFE),
    amended(bug("double-free", "UAF"), V14_NO_RESET),
  ),
  C8: row(
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(SAFE),
    ref(bug("leak")),
    ref(SAFE),
    inferred(SAFE),
  ),
  C9: row(
    inferred(bug("UAF", "WARN")),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    ref(SAFE),
    inferred(SAFE),
  ),
  C10: row(
    inferred(bug("UAF", "WARN")),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
  ),
  C11: row(
    ref(NA),
    ref(NA),
    ref(NA),
    ref(NA),
    ref(NA),
    ref(SAFE),
    ref(SAFE),
    ref(bug("UAF", "double-free")),
  ),
  C12: row(
    inferred(SAFE),
    amended(bug("lockdep", "deadlock"), D1_RECLAIM),
    amended(bug("lockdep"), D2_ALLOC_UNDER_MUTEX),
    amended(bug("lockdep"), D3_FREE_UNDER_MUTEX),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
  ),
  C23: row(
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(SAFE),
    inferred(bug("leak")),
    inferred(SAFE),
    inferred(SAFE),
  ),
};

function row(...cells: ExpectedCell[]): Record<string, ExpectedCell> {
  const out: Record<string, ExpectedCell> = {};
  DESIGN_COLUMNS.forEach((d, i) => {
    out[d] = BATCHING_COLUMNS.includes(d)
      ? { expect: (out.D7 as ExpectedCell).expect, source: "inferred" }
      : (cells[i] as ExpectedCell);
  });
  return out;
}

export function expectedCell(scenario: string, design: string): ExpectedCell | undefined {
  return EXPECTED[scenario]?.[design];
}

/** The class of a bug report, as the matrix names it. */
export function bugClass(kind: BugKind): BugClass {
  switch (kind) {
    case "use-after-free":
    case "invalid-free":
      return "UAF";
    case "double-free":
      return "double-free";
    case "null-deref":
      return "NULL";
    case "uninit-value":
      return "uninit";
    case "circular-locking":
    case "recursive-locking":
      return "lockdep";
    case "deadlock":
      return "deadlock";
    case "hung-task":
    case "soft-lockup":
    case "livelock":
      return kind;
    case "leak":
      return "leak";
    case "data-loss":
      return "data-loss";
    case "sleep-in-atomic":
      return "atomic";
    case "assertion":
    case "warning":
      return "WARN";
  }
}
