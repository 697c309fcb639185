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
 * A design file exports one AcompCtxDesign (default export, or any named export), built from
 * `zswap-ts/design` (docs/designs.md): copy this file anywhere and it works the same.
 */
import {
  type AcompCtx,
  type AcompCtxDesign,
  D0,
  defineDesign,
  type Kernel,
  migrateDisable,
  migrateEnable,
  mutexLock,
  mutexUnlock,
  type Op,
  type PoolObj,
  preemptPoint,
  rawCpuPtr,
  use,
} from "zswap-ts/design";

const D1b: AcompCtxDesign = defineDesign({
  ...D0,
  name: "D1b",
  summary: "Jan 2025 proposal (dropped): D0 plus migrate_disable() while the ctx is in use",
  versions: "not merged",
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    migrateDisable(k);
    const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
    if (area === null) throw new Error("acquire: pool has no ctx area");
    const ctx = rawCpuPtr(k, area);
    // A point where it could be preempted (not migrated: migration is disabled).
    yield* preemptPoint(k, "percpu", "raw_cpu_ptr(pool->acomp_ctx)");
    yield* mutexLock(k, ctx.mutex);
    return ctx;
  },
  release(k: Kernel, ctx: AcompCtx): void {
    mutexUnlock(k, ctx.mutex);
    migrateEnable(k);
  },
});

export default D1b;
