/**
 * The review's claims about when prepare runs and who can use a ctx, as oracles (`check --claim`).
 *
 * Each oracle wraps a design's hooks with bookkeeping and an assertion; it changes nothing the
 * design does, so a violation is a counterexample to the claim (with a trace and a token) even
 * where the design stays memory-safe.
 */
import type { Op } from "../../kernel/effect.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { KernelBug } from "../../kernel/report.ts";
import { siteLines, siteOf } from "../../kernel/site.ts";
import type { AcompCtxDesign, CreateFailStage } from "../../zswap/acomp_ctx/design.ts";
import type { AcompCtx, PoolObj } from "../../zswap/types.ts";
import type { Claim } from "../claims.ts";

/** What the oracles remember about one pool. */
interface PoolLog {
  /** The task that allocated the pool's ctxs (zswap_pool_create). */
  creator: number;
  /** prepare calls, in order: cpu, task, result (null while running). */
  prepares: Array<{ cpu: number; task: number; ret: number | null }>;
  /** CPUs whose prepare succeeded and that were not torn down since. */
  readonly live: Set<number>;
  /** teardown (dead) calls, in order. */
  readonly deads: number[];
  /** Seen on zswap_pools by an acquire: creation completed. */
  published: boolean;
}

interface LedgerState {
  readonly pools: Map<PoolObj, PoolLog>;
  /** Per task: the prepare(pool, cpu) calls it is inside, innermost last. */
  readonly preparing: Map<number, Array<{ pool: PoolObj; cpu: number }>>;
}

function ledger(k: Kernel): LedgerState {
  return k.subsystem("claims-ledger", () => ({ pools: new Map(), preparing: new Map() }));
}

function logOf(k: Kernel, pool: PoolObj): PoolLog {
  const s = ledger(k);
  let log = s.pools.get(pool);
  if (log === undefined) {
    log = { creator: -1, prepares: [], live: new Set(), deads: [], published: false };
    s.pools.set(pool, log);
  }
  return log;
}

function violation(k: Kernel, claim: string, title: string, lines: string[]): KernelBug {
  return new KernelBug("assertion", `claim violated: ${claim}: ${title}`, [
    ...lines,
    ...siteLines("Detected at", siteOf(k)),
  ]);
}

/** The hooks an oracle may add checks to; each runs before (or after) the design's own. */
interface Checks {
  beforeAcquire?(k: Kernel, pool: PoolObj): void;
  afterAcquire?(k: Kernel, pool: PoolObj, ctx: AcompCtx): void;
  beforeCleanup?(k: Kernel, pool: PoolObj, stage: CreateFailStage | "destroy"): void;
  beforePrepare?(k: Kernel, pool: PoolObj, cpu: number): void;
}

/** Wraps every hook with the shared bookkeeping, plus `checks`. */
function observed(design: AcompCtxDesign, c: Checks): AcompCtxDesign {
  function* prepare(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
    c.beforePrepare?.(k, pool, cpu);
    const log = logOf(k, pool);
    const call = { cpu, task: k.task.id, ret: null as number | null };
    log.prepares.push(call);
    const stack = ledger(k).preparing.get(k.task.id) ?? [];
    ledger(k).preparing.set(k.task.id, stack);
    stack.push({ pool, cpu });
    try {
      call.ret = yield* design.prepare(k, pool, cpu);
    } finally {
      stack.pop();
    }
    if (call.ret === 0) log.live.add(cpu);
    return call.ret;
  }
  function* dead(k: Kernel, pool: PoolObj, cpu: number): Op<number> {
    const log = logOf(k, pool);
    log.deads.push(cpu);
    log.live.delete(cpu);
    return yield* design.dead(k, pool, cpu);
  }
  function seen(k: Kernel, pool: PoolObj): void {
    if (pool.data.onList) logOf(k, pool).published = true;
    c.beforeAcquire?.(k, pool);
  }
  const wrapped: AcompCtxDesign = {
    ...design,
    *allocCtxs(k, pool) {
      logOf(k, pool).creator = k.task.id;
      return yield* design.allocCtxs(k, pool);
    },
    prepare,
    dead,
    *acquire(k, pool) {
      seen(k, pool);
      const ctx = yield* design.acquire(k, pool);
      c.afterAcquire?.(k, pool, ctx);
      return ctx;
    },
    *createFailed(k, pool, stage) {
      c.beforeCleanup?.(k, pool, stage);
      yield* design.createFailed(k, pool, stage);
    },
    *destroyCtxs(k, pool) {
      c.beforeCleanup?.(k, pool, "destroy");
      yield* design.destroyCtxs(k, pool);
    },
  };
  const tryAcquire = design.tryAcquire;
  if (tryAcquire === undefined) return wrapped;
  return {
    ...wrapped,
    *tryAcquire(k, pool) {
      seen(k, pool);
      const ctx = yield* tryAcquire(k, pool);
      if (ctx !== null) c.afterAcquire?.(k, pool, ctx);
      return ctx;
    },
  };
}

/** "it will never be on the CPU that we are allocating resources for" (CPU online). */
export const prepareOtherCpu: Claim = {
  name: "prepare-other-cpu",
  statement:
    "reclaim from zswap_cpu_comp_prepare(pool, cpu) for a live pool (CPU online) never runs on that cpu",
  source: "Yosry Ahmed, 10 Mar 2025: PREPARE callbacks run on a control CPU",
  wrap: (d) =>
    observed(d, {
      beforeAcquire(k, pool) {
        for (const p of ledger(k).preparing.get(k.task.id) ?? []) {
          if (!p.pool.data.onList || p.cpu !== k.cpu) continue;
          throw violation(
            k,
            "prepare-other-cpu",
            `zswap entered from prepare(cpu${p.cpu}) on cpu${p.cpu}`,
            [
              `${k.task.name} is inside zswap_cpu_comp_prepare(${p.pool.data.name}, cpu${p.cpu}) and reached compress/decompress`,
              `on cpu${k.cpu}, the CPU being prepared: it takes the ctx being set up (pool ${pool.data.name}).`,
            ],
          );
        }
      },
    }),
};

/** "because the pool is still under creation, it will not be used". */
export const creatingPoolUnused: Claim = {
  name: "creating-pool-unused",
  statement: "no compress or decompress uses a pool whose creation has not completed",
  source: "Yosry Ahmed, 10 Mar 2025: zswap_pool_current_get() won't find a pool under creation",
  wrap: (d) =>
    observed(d, {
      beforeAcquire(k, pool) {
        const log = logOf(k, pool);
        if (log.published) return;
        throw violation(
          k,
          "creating-pool-unused",
          `${pool.data.name} used before it was published`,
          [
            `${k.task.name} takes a ctx of ${pool.data.name}, which was never on zswap_pools:`,
            "its creation has not completed (or failed).",
          ],
        );
      },
    }),
};

/** "I don't think that's possible before onlining completes". */
export const noUseBeforeOnline: Claim = {
  name: "no-use-before-online",
  statement: "compress/decompress only lock a ctx whose prepare has completed successfully",
  source:
    "Yosry Ahmed, 10 Mar 2025: compress/decompress cannot run on a CPU before onlining completes",
  wrap: (d) =>
    observed(d, {
      afterAcquire(k, pool, ctx) {
        if (logOf(k, pool).live.has(ctx.cpu)) return;
        throw violation(
          k,
          "no-use-before-online",
          `ctx(cpu${ctx.cpu}) locked before its prepare completed`,
          [
            `${k.task.name} on cpu${k.cpu} holds ctx(${pool.data.name}, cpu${ctx.cpu}), whose zswap_cpu_comp_prepare()`,
            "has not completed successfully (still running, failed, or never ran).",
          ],
        );
      },
    }),
};

/**
 * Kanchana's reading of kernel/cpu.c: startup runs synchronously on the adding task, for each
 * present CPU in order; on a failure only the earlier CPUs are torn down (and only with a
 * teardown), while zswap's own cleanup then runs for every CPU.
 */
export const addInstanceRollback: Claim = {
  name: "add-instance-rollback",
  statement:
    "cpuhp_state_add_instance() runs prepare on the adding task for each online CPU in order; on failure only earlier CPUs are torn down",
  source: "Kanchana P Sridhar, 10 Mar 2025 (quoted in the review), from kernel/cpu.c",
  wrap: (d) =>
    observed(d, {
      beforePrepare(k, pool, cpu) {
        const log = logOf(k, pool);
        if (log.published || pool.data.onList || log.creator === k.task.id) return;
        throw violation(
          k,
          "add-instance-rollback",
          `prepare(cpu${cpu}) of a pool under creation on another task`,
          [
            `${k.task.name} runs prepare for ${pool.data.name}, created by task ${log.creator}: not synchronous.`,
          ],
        );
      },
      beforeCleanup(k, pool, stage) {
        if (stage !== "cpuhp_add_fail") return;
        const problems = rollbackProblems(k.cpus.onlineList(), d.hasTeardown, logOf(k, pool));
        if (problems.length === 0) return;
        throw violation(
          k,
          "add-instance-rollback",
          "add_instance's startups or rollback differ from the claim",
          problems,
        );
      },
    }),
};

/** What add_instance did for one pool, against the claim (exported for its tests). */
export function rollbackProblems(
  onlineCpus: readonly number[],
  hasTeardown: boolean,
  log: Pick<PoolLog, "prepares" | "deads">,
): string[] {
  const calls = log.prepares;
  const cpus = calls.map((c) => c.cpu);
  const failed = calls.at(-1);
  const out: string[] = [];
  if (cpus.some((c, i) => i > 0 && c <= (cpus[i - 1] as number)))
    out.push(`startups ran in the order ${cpus.join(", ")}, not ascending`);
  if (failed === undefined || failed.ret === 0)
    out.push("no startup failed, yet add_instance failed");
  const expected = onlineCpus.filter((c) => failed !== undefined && c <= failed.cpu);
  if (expected.join() !== cpus.join())
    out.push(
      `startups on cpus ${cpus.join(", ")}; expected every online cpu up to the failing one: ${expected.join(", ")}`,
    );
  const ok = calls.filter((c) => c.ret === 0).map((c) => c.cpu);
  const want = hasTeardown ? ok : [];
  if ([...log.deads].sort().join() !== [...want].sort().join())
    out.push(`teardown ran on cpus [${log.deads.join(", ")}]; expected [${want.join(", ")}]`);
  return out;
}

/** Yosry: "I don't think it's possible to end up in a state where the pool is being destroyed
 * and some CPU executed zswap_cpu_comp_prepare() while others haven't". */
export const preparedAllOrNone: Claim = {
  name: "prepared-all-or-none",
  statement:
    "when a pool's ctxs are freed (destroy or create error path), prepare has run on every online CPU or on none",
  source: "Yosry Ahmed, 10 Mar 2025: cpuhp_state_add_instance() calls prepare on all present CPUs",
  wrap: (d) =>
    observed(d, {
      beforeCleanup(k, pool, stage) {
        const live = logOf(k, pool).live;
        const online = k.cpus.onlineList();
        const done = online.filter((c) => live.has(c));
        if (done.length === 0 || done.length === online.length) return;
        throw violation(
          k,
          "prepared-all-or-none",
          `${stage} with prepare done on cpus ${done.join(", ")} only`,
          [
            `${pool.data.name}'s ctxs are freed (${stage}) while prepare succeeded on cpus [${done.join(", ")}]`,
            `of the online cpus [${online.join(", ")}]: the cleanup meets ctxs that prepare never touched.`,
          ],
        );
      },
    }),
};

export const LEDGER_ORACLES: readonly Claim[] = [
  prepareOtherCpu,
  creatingPoolUnused,
  noUseBeforeOnline,
  addInstanceRollback,
  preparedAllOrNone,
];
