/**
 * D1b, written as a reviewer would write a new design for `zswap-ts check --design-file`:
 * "mm: zswap: disable migration while using per-CPU acomp_ctx" (proposed January 2025, dropped
 * as "a much bigger hammer than needed"). It is D0 (6.12) with migrate_disable() held from
 * raw_cpu_ptr() until the ctx is released, so the CPU whose ctx a task uses cannot go down
 * under it: _cpu_down() waits for the pinned task.
 *
 *   npx zswap-ts check --design-file examples/d1b_migrate_disable.ts            # every scenario
 *   npx zswap-ts check --design-file examples/d1b_migrate_disable.ts -s C1      # one
 *
 * A design file exports one AcompCtxDesign (default export, or any named export); see
 * src/zswap/acomp_ctx/design.ts for the hooks and docs/checking.md for how to write them.
 */
import type { Op } from "../src/kernel/effect.ts";
import type { Kernel } from "../src/kernel/kernel.ts";
import { use } from "../src/kernel/memory.ts";
import { mutexLock, mutexUnlock } from "../src/kernel/mutex.ts";
import { rawCpuPtr } from "../src/kernel/percpu.ts";
import { migrateDisable, migrateEnable } from "../src/kernel/preempt.ts";
import { D0 } from "../src/zswap/acomp_ctx/d0.ts";
import type { AcompCtxDesign } from "../src/zswap/acomp_ctx/design.ts";
import type { AcompCtx, PoolObj } from "../src/zswap/types.ts";

const D1b: AcompCtxDesign = {
  ...D0,
  name: "D1b",
  summary: "Jan 2025 proposal (dropped): D0 plus migrate_disable() while the ctx is in use",
  versions: "not merged",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    migrateDisable(k);
    const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
    if (area === null) throw new Error("acquire: pool has no ctx area");
    const ctx = rawCpuPtr(k, area);
    yield* mutexLock(k, ctx.mutex);
    return ctx;
  },
  release(k: Kernel, ctx: AcompCtx): void {
    mutexUnlock(k, ctx.mutex);
    migrateEnable(k);
  },
};

export default D1b;
