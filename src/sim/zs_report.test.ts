import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Op, sched } from "../kernel/effect.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { zsCreatePool, zsDestroyPool, zsFree, zsMalloc } from "../zsmalloc/zsmalloc.ts";
import { explore, type Program, runOnce } from "./explore.ts";
import { dfs } from "./strategy_dfs.ts";
import { RandomStrategy } from "./strategy_random.ts";

/** Two tasks free the same handle; with `checked`, the second frees only if the first did not. */
function doubleZsFree(checked: boolean): Program {
  return {
    name: `double zs_free (${checked ? "checked" : "racy"})`,
    config: { nrCpus: 2 },
    setup(k: Kernel) {
      const pool = zsCreatePool("zswap0");
      const shared = { handle: zsMalloc(pool, 100) };
      function* release(): Op<void> {
        const h = shared.handle;
        yield* sched("after reading the handle");
        if (checked && shared.handle === 0) return;
        shared.handle = 0;
        zsFree(pool, h);
      }
      k.spawn("A", 0, release());
      k.spawn("B", 1, release());
    },
  };
}

describe("zsmalloc misuse in a simulated task", () => {
  it("a stale handle is a KASAN use-after-free report, not a crash of the check", () => {
    const r = explore(doubleZsFree(false), dfs(2), { executionsMax: 100 });
    assert.equal(r.verdict, "bug");
    const bug = r.failing?.bug;
    assert.equal(bug?.kind, "use-after-free");
    assert.match(bug?.title ?? "", /^BUG: KASAN: slab-use-after-free in zs_free$/);
    assert.match(bug?.text ?? "", /stale handle .* the object was freed/);
    assert.match(bug?.text ?? "", /Accessed by task [AB]/);
  });

  it("stays quiet when each handle is freed once", () => {
    const r = explore(doubleZsFree(true), dfs(2), { executionsMax: 100 });
    assert.equal(r.verdict, "exhausted");
  });

  it("other misuse (a destroyed pool is freed memory too; a forged handle is a BUG)", () => {
    const forged: Program = {
      name: "forged handle",
      config: { nrCpus: 1 },
      setup(k: Kernel) {
        const pool = zsCreatePool("p");
        zsMalloc(pool, 100);
        k.spawn(
          "T",
          0,
          (function* (): Op<void> {
            yield* sched("x");
            zsFree(pool, 12345);
          })(),
        );
      },
    };
    const f = runOnce(forged, new RandomStrategy(1));
    assert.equal(f.bug?.kind, "assertion");
    assert.match(f.bug?.title ?? "", /^kernel BUG in zs_free: zsmalloc misuse$/);
    const destroyed: Program = {
      name: "destroyed pool",
      config: { nrCpus: 1 },
      setup(k: Kernel) {
        const pool = zsCreatePool("p");
        const h = zsMalloc(pool, 100);
        zsFree(pool, h);
        zsDestroyPool(pool);
        k.spawn(
          "T",
          0,
          (function* (): Op<void> {
            yield* sched("x");
            zsMalloc(pool, 10);
          })(),
        );
      },
    };
    const d = runOnce(destroyed, new RandomStrategy(1));
    assert.equal(d.bug?.kind, "use-after-free");
    assert.match(d.bug?.title ?? "", /slab-use-after-free in zs_malloc/);
  });
});
