/**
 * Ledger rows 6-18 (rows.ts): the claims about preparing the ctxs: on which CPU, while the pool
 * is created, with which GFP flags, rolled back how, zeroed, removed before the free, and how
 * long the pool lives.
 */
import type { LedgerRow } from "./rows.ts";

const safe = "safe" as const;

export const PREPARE_ROWS: readonly LedgerRow[] = [
  {
    name: "prepare-other-cpu",
    who: "Yosry Ahmed",
    quote:
      "CPUHP_MM_ZSWP_POOL_PREPARE is in the PREPARE section ... even if we go into reclaim during zswap_cpu_comp_prepare(), it will never be on the CPU that we are allocating resources for.",
    property:
      "reclaim from prepare(pool, cpu) on CPU online never runs on cpu; moved to the ONLINE section (on the CPU itself) it does, and D2 then deadlocks",
    checks: [
      {
        design: "D7",
        scenario: "C4",
        claim: "prepare-other-cpu",
        expect: safe,
        role: "PREPARE placement (D7)",
      },
      {
        design: "D2",
        scenario: "C4",
        exact: true,
        claim: "prepare-other-cpu",
        expect: safe,
        role: "PREPARE placement (D2, exact)",
      },
      {
        design: "L-D7-online",
        scenario: "C4",
        claim: "prepare-other-cpu",
        expect: ["WARN"],
        role: "ONLINE placement: the oracle must fire",
      },
      {
        design: "L-D2-online",
        scenario: "C4",
        exact: true,
        expect: ["deadlock"],
        role: "ONLINE placement of D2: a deadlock that happens",
      },
    ],
  },
  {
    name: "creating-pool-unused",
    who: "Yosry Ahmed",
    quote:
      "reclaim from zswap_cpu_comp_prepare() can recurse into zswap on the same CPU AFAICT. However, because the pool is still under creation, it will not be used",
    property: "no compress/decompress takes a ctx of a pool that was never on zswap_pools",
    checks: [
      {
        design: "D7",
        scenario: "C12",
        claim: "creating-pool-unused",
        expect: safe,
        role: "reclaim during pool creation (D7)",
      },
      {
        design: "D7",
        scenario: "C4",
        claim: "creating-pool-unused",
        expect: safe,
        role: "pool creation racing CPU online (D7)",
      },
      {
        design: "D2",
        scenario: "C12",
        exact: true,
        claim: "creating-pool-unused",
        expect: safe,
        role: "D2 (exact)",
      },
    ],
  },
  {
    name: "prepare-exclusive",
    who: "Yosry Ahmed",
    quote:
      "So I think we don't need to worry about zswap_cpu_comp_prepare() racing with compression or decompression for the same pool and CPU.",
    property: "when prepare(pool, cpu) starts, no other task holds or waits for that ctx's mutex",
    checks: ["C4", "C9", "C10", "C12"].map((s) => ({
      design: "D7",
      scenario: s,
      claim: "prepare-exclusive",
      expect: safe,
      role: "D7",
    })),
  },
  {
    name: "gfp-kernel-risk",
    who: "Kanchana P Sridhar",
    quote:
      "all the zswap_cpu_comp_prepare() allocations are done with GFP_KERNEL ... this appears to be a risk for deadlock between zswap_compress() and zswap_cpu_comp_prepare() in general",
    property:
      "the shipping design of the time (D4: allocations outside the mutex) can deadlock through reclaim from prepare (exact mode)",
    checks: [
      {
        design: "D4",
        scenario: "C4",
        exact: true,
        expect: ["deadlock"],
        role: "CPU online and pool creation",
      },
      { design: "D4", scenario: "C12", exact: true, expect: ["deadlock"], role: "pool creation" },
    ],
  },
  {
    name: "option1-null",
    who: "Kanchana P Sridhar",
    quote:
      "1) acomp_ctx_get_cpu_lock() ... returns NULL ... there is no deadlock ... zswap_decompress() will need a BUG_ON(!acomp_ctx) ... We won't be migrated to a different CPU because we hold the mutex",
    property:
      "D5 with an acquire that returns NULL when !__online: no deadlock, no data loss, and no load ever hits the BUG_ON",
    checks: [
      {
        design: "L-D5-option1",
        scenario: "C12",
        exact: true,
        expect: safe,
        role: "reclaim from prepare at pool creation: no deadlock",
      },
      { design: "L-D5-option1", scenario: "C1", expect: safe, role: "migration + offline" },
      {
        design: "L-D5-option1",
        scenario: "C6",
        expect: safe,
        role: "loads after the CPU went offline",
      },
      { design: "L-D5-option1", scenario: "C9", expect: safe, role: "offline while in use" },
    ],
  },
  {
    name: "option2-noreclaim",
    who: "Kanchana P Sridhar",
    quote:
      "2) ... use a gfp_t that prevents direct reclaim and kswapd, i.e., something similar to GFP_TRANSHUGE_LIGHT",
    property:
      "with a no-reclaim GFP in prepare the reclaim-recursion reports disappear (even allocating under the mutex), and allocation failures are handled cleanly",
    checks: [
      {
        design: "D2",
        scenario: "C4",
        expect: ["lockdep"],
        role: "GFP_KERNEL under the mutex: the report",
      },
      {
        design: "L-D2-option2",
        scenario: "C4",
        expect: safe,
        role: "no-reclaim GFP under the mutex: no report",
      },
      {
        design: "L-D2-option2",
        scenario: "L2",
        expect: safe,
        role: "prepare allocations fail: clean",
      },
      {
        design: "L-D7-option2",
        scenario: "L2",
        expect: safe,
        role: "D7 with the no-reclaim GFP: clean",
      },
    ],
  },
  {
    name: "no-use-before-online",
    who: "Yosry Ahmed",
    quote:
      "For compress/decompress to acquire the mutex they need to run on that CPU, and I don't think that's possible before onlining completes",
    property:
      "no task locks a ctx whose prepare has not completed; with the callback in the ONLINE section it can",
    checks: [
      ...["D4", "D5", "D7"].map((d) => ({
        design: d,
        scenario: "L1",
        claim: "no-use-before-online",
        expect: safe,
        role: `${d}, a CPU comes up under stores and loads`,
      })),
      {
        design: "D7",
        scenario: "C10",
        claim: "no-use-before-online",
        expect: safe,
        role: "D7, online-offline-online",
      },
      {
        design: "L-D7-online",
        scenario: "L1",
        claim: "no-use-before-online",
        expect: ["WARN"],
        role: "ONLINE placement: the oracle must fire",
      },
    ],
  },
  {
    name: "add-instance-sync",
    who: "Yosry Ahmed",
    quote:
      "I believe cpuhp_state_add_instance() calls the onlining function synchronously on all present CPUs, so I don't think it's possible to end up in a state where the pool is being destroyed and some CPU executed zswap_cpu_comp_prepare() while others haven't.",
    property:
      "whenever a pool's ctxs are freed, prepare has succeeded on every online CPU or on none",
    checks: [
      {
        design: "D7",
        scenario: "C7",
        claim: "prepared-all-or-none",
        expect: safe,
        role: "partial add_instance failure (D7)",
      },
    ],
  },
  {
    name: "add-instance-rollback",
    who: "Kanchana P Sridhar",
    quote:
      "The startup callback is invoked sequentially for_each_present_cpu(). If an error occurs ... it calls the teardown callback only on the earlier cores ... However, zswap_cpu_comp_dealloc() will be called for all cores",
    property:
      "startups run on the adding task in CPU order; on failure only earlier CPUs are torn down (only with a teardown); zswap's cleanup then frees every CPU, prepared or not",
    checks: [
      {
        design: "D4",
        scenario: "C7",
        claim: "add-instance-rollback",
        expect: safe,
        role: "with a teardown (D4)",
      },
      {
        design: "D7",
        scenario: "C7",
        claim: "add-instance-rollback",
        expect: safe,
        role: "without a teardown (D7)",
      },
      {
        design: "V-D7-no-gfp-zero-always-alloc",
        scenario: "C7",
        expect: ["uninit"],
        role: "the cleanup reaches never-prepared CPUs",
      },
    ],
  },
  {
    name: "zero-init",
    who: "Kanchana P Sridhar",
    quote:
      "Hence, I believe the zero initialization is useful, albeit using alloc_percpu_gfp(__GFP_ZERO) to allocate the acomp_ctx. (Yosry: I agree about zero initialization for that.)",
    property:
      "without __GFP_ZERO the partial-failure cleanup reads uninitialised memory; with it, it is clean",
    checks: [
      {
        design: "V-D7-no-gfp-zero",
        scenario: "C7",
        expect: ["uninit"],
        role: "D7 without __GFP_ZERO",
      },
      { design: "D7", scenario: "C7", expect: safe, role: "D7 (GFP_KERNEL | __GFP_ZERO)" },
      { design: "D7", scenario: "C11", expect: safe, role: "D7, a failed prepare re-prepared" },
    ],
  },
  {
    name: "remove-before-free",
    who: "Yosry Ahmed",
    quote:
      "If pool destruction races with CPU onlining ... I believe we must always call cpuhp_state_remove_instance() *before* freeing the resources",
    property:
      "freeing the ctxs before remove_instance loses a concurrent prepare's allocation; removing first is clean",
    checks: [
      { design: "D5", scenario: "C8", expect: ["leak"], role: "D5 frees first: the race" },
      { design: "D7", scenario: "C8", expect: safe, role: "D7 removes first" },
      { design: "D7", scenario: "C23", expect: safe, role: "D7's ref_fail path removes first" },
    ],
  },
  {
    name: "online-gone-serialisation",
    who: "Yosry Ahmed",
    quote: "I believe this problem goes away with acomp_ctx->__online going away, right?",
    property:
      "D5 without __online, destroying with remove_instance first, has neither the race nor a deadlock on cpuhp_state_mutex",
    checks: ["C7", "C8", "C23"].map((s) => ({
      design: "L-D5-remove-first",
      scenario: s,
      exact: s === "C8",
      expect: safe,
      role: "D5 without __online, remove_instance first",
    })),
  },
  {
    name: "pool-lifetime",
    who: "Kanchana P Sridhar",
    quote:
      "Another possibility is to not rely on cpuhotplug in zswap, and instead manage the per-cpu acomp_ctx resource allocation entirely in zswap_pool_create(), and deletion entirely in zswap_pool_destroy()",
    property:
      "per-CPU resources that live from pool create to pool destroy (what 7.1 does) are safe; their per-CPU cost is computed from the model's allocations",
    checks: ["C1", "C7", "C8", "C9", "C10", "C11", "C12", "C23"].map((s) => ({
      design: "D7",
      scenario: s,
      expect: safe,
      role: "D7 (7.1)",
    })),
    memoryCost: true,
  },
];
