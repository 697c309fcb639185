/**
 * Ledger rows 1-5 (rows.ts): the claims about the ctx itself once it is prepared: its __online
 * flag, its mutex, nr_reqs, the deadlock, and whether the hotfix was needed.
 */
import type { LedgerRow } from "./rows.ts";

const safe = "safe" as const;
const OFFLINE_SCENARIOS = ["C1", "C6", "C9", "C10"];

export const CTX_ROWS: readonly LedgerRow[] = [
  {
    name: "online-unneeded",
    who: "Yosry Ahmed",
    quote:
      "If we are not freeing resources during CPU offlining, then we do not need a CPU offline callback and acomp_ctx->__online serves no purpose.",
    property:
      "D5 with __online and its teardown removed (mutex taken directly) stays safe through offline, migration and online-offline-online",
    checks: [
      ...OFFLINE_SCENARIOS.map((s) => ({
        design: "L-D5-no-online",
        scenario: s,
        expect: safe,
        role: "D5 without __online",
      })),
      ...["C1", "C6", "C10"].map((s) => ({
        design: "D5",
        scenario: s,
        expect: safe,
        role: "D5 as posted, with __online: the baseline",
      })),
      ...OFFLINE_SCENARIOS.map((s) => ({
        design: "D7",
        scenario: s,
        expect: safe,
        role: "D7 (7.1): no __online either",
      })),
    ],
  },
  {
    name: "mutex-direct",
    who: "Yosry Ahmed",
    quote:
      "If offlining does not free resources, then we can hold the mutex directly in the compress/decompress path and drop the hotunplug callback completely.",
    property:
      "with resources kept through offline, raw_cpu_ptr + mutex_lock (no retry, no teardown) is safe; with a teardown that frees, the same acquire is not",
    checks: [
      ...["C1", "C6", "C9"].map((s) => ({
        design: "D7",
        scenario: s,
        expect: safe,
        role: "D7: plain mutex, no teardown",
      })),
      {
        design: "V-D4-no-retry",
        scenario: "C6",
        expect: ["NULL", "UAF"],
        role: "the premise matters: D4 (frees at offline) with a plain mutex must fail",
      },
    ],
  },
  {
    name: "nr-reqs-unneeded",
    who: "Yosry Ahmed",
    quote:
      "I also believe nr_reqs can be dropped from this patch, as it seems like it's only used know when to set __online.",
    property:
      "D5 without __online and nr_reqs (prepare tests acomp instead) has no leak, double free or dangling pointer",
    checks: ["C7", "C10", "C11", "C23"].map((s) => ({
      design: "L-D5-no-nr-reqs",
      scenario: s,
      expect: safe,
      role: "D5 without __online and nr_reqs",
    })),
  },
  {
    name: "deadlock-regardless",
    who: "Kanchana P Sridhar",
    quote:
      "if it is possible for the allocations in zswap_cpu_comp_prepare() to trigger reclaim ... this seems like a potential for deadlock regardless of the mutex.",
    property:
      "a prepare that allocates outside the ctx mutex can deadlock through reclaim into zswap (exact mode: only deadlocks that happen)",
    checks: [
      {
        design: "D3",
        scenario: "C4",
        exact: true,
        expect: ["deadlock"],
        role: "D3: allocations outside the mutex",
      },
      {
        design: "D7",
        scenario: "C4",
        exact: true,
        expect: ["deadlock"],
        role: "D7: no mutex in prepare",
      },
      {
        design: "D7",
        scenario: "C12",
        exact: true,
        expect: ["deadlock"],
        role: "D7, reclaim during pool creation",
      },
    ],
  },
  {
    name: "hotfix-unnecessary",
    who: "Yosry Ahmed",
    quote: "I took a closer look and I believe my hotfix was actually unnecessary.",
    property:
      "D2 (allocations under the ctx mutex) gives the syzbot lockdep report, but no deadlock can happen (exact mode)",
    checks: [
      {
        design: "D2",
        scenario: "C4",
        expect: ["lockdep"],
        role: "the syzbot report: lockdep fires",
      },
      {
        design: "D2",
        scenario: "C4",
        exact: true,
        expect: safe,
        role: "exact mode: no deadlock on CPU online or pool creation",
      },
      {
        design: "D2",
        scenario: "C12",
        exact: true,
        expect: safe,
        role: "exact mode: reclaim during pool creation",
      },
    ],
  },
];
