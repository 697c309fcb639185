/**
 * The checker checking itself: every planted bug in a variant of D4 or D7 comes out "bug" with
 * the right class of report at the default bounds and points level, and every correct variant
 * comes out verified by exhaustive search.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_POINTS } from "../../kernel/points.ts";
import { registerDesign } from "../../zswap/acomp_ctx/index.ts";
import { checkCell } from "../checker.ts";
import type { BugClass } from "../expected.ts";
import { BROKEN_VARIANTS, CORRECT_VARIANTS } from "./variants.ts";

/** The first line each class of report starts with, in the kernel's words. */
const TITLES: Readonly<Partial<Record<BugClass, RegExp>>> = {
  UAF: /^BUG: KASAN: slab-use-after-free in \S+/,
  "double-free": /^BUG: KASAN: double-free in \S+/,
  NULL: /^BUG: kernel NULL pointer dereference/,
  leak: /^kmemleak: \d+ new suspected memory leak/,
  lockdep: /^WARNING: possible (recursive|circular) locking/,
  deadlock: /^INFO: task \S+ blocked: deadlock on /,
  uninit: /^BUG: KMSAN: uninit-value in \S+/,
  "data-loss": /^BUG: data corruption: /,
};

for (const v of [...BROKEN_VARIANTS, ...CORRECT_VARIANTS]) registerDesign(v.design);

describe("broken variants of D4 and D7 are found", () => {
  for (const v of BROKEN_VARIANTS) {
    it(`${v.design.name} x ${v.scenario}: ${v.planted} -> ${v.expect}`, () => {
      const r = checkCell(v.design.name, v.scenario, { lockdep: v.exact !== true });
      assert.equal(r.verdict, "bug", `${v.design.name}: ${r.how}`);
      assert.equal(r.bugClass, v.expect, r.bug?.title);
      assert.equal(r.points, DEFAULT_POINTS);
      const title = TITLES[v.expect];
      assert.ok(title, `no title pattern for ${v.expect}`);
      assert.match(r.bug?.title ?? "", title);
    });
  }

  it("covers every kind of report this suite owns", () => {
    const kinds = new Set(BROKEN_VARIANTS.map((v) => v.expect));
    for (const k of Object.keys(TITLES)) assert.ok(kinds.has(k as BugClass), k);
    const bases = BROKEN_VARIANTS.map((v) => v.design.name.slice(0, 4));
    assert.ok(bases.includes("V-D4") && bases.includes("V-D7"));
  });
});

describe("correct variants are verified", () => {
  for (const v of CORRECT_VARIANTS) {
    for (const s of v.scenarios) {
      it(`${v.design.name} x ${s}: ${v.why}`, () => {
        const r = checkCell(v.design.name, s);
        assert.equal(r.verdict, "verified", r.bug?.title);
        assert.match(r.how, /exhaustive/);
        assert.equal(r.stepBoundHits, 0);
      });
    }
  }
});

describe("RCU: the grace period of __zswap_pool_release()", () => {
  const noGp = BROKEN_VARIANTS.find((v) => v.design.releaseGracePeriod === false);

  it("the real D7 is clean on C26, where the variant without synchronize_rcu() is not", () => {
    const r = checkCell("D7", "C26");
    assert.equal(r.verdict, "verified", r.bug?.title);
    assert.match(r.how, /exhaustive/);
  });

  it("needs the points inside RCU readers: with sleeping points only, the variant is verified", () => {
    assert.ok(noGp);
    const r = checkCell(noGp.design.name, "C26", { points: "sleep" });
    assert.equal(r.verdict, "verified");
    assert.equal(r.points, "sleep");
  });

  it("reports the reader's access, the allocation and the release's free", () => {
    assert.ok(noGp);
    const r = checkCell(noGp.design.name, "C26");
    const text = r.bug?.text ?? "";
    assert.match(text, /slab-use-after-free in zswap_total_pages/);
    assert.match(text, /Freed by task kworker\S* .*\n zswap_pool_destroy\n __zswap_pool_release/);
    assert.match(r.token ?? "", /^zt1pa\.V-D7-no-synchronize-rcu\.C26\./);
  });
});

describe("KMSAN report layout", () => {
  it("says where the uninit value was used and where it was created", () => {
    const v = BROKEN_VARIANTS.find((x) => x.expect === "uninit");
    assert.ok(v);
    const r = checkCell(v.design.name, "C11");
    assert.equal(r.bugClass, "uninit");
    const lines = (r.bug?.text ?? "").split("\n");
    assert.equal(lines[0], "BUG: KMSAN: uninit-value in zswap_cpu_comp_prepare");
    assert.equal(lines[1], " zswap_cpu_comp_prepare");
    const created = lines.indexOf("Uninit was created at:");
    assert.ok(created > 1);
    assert.equal(lines[created + 1], " alloc_percpu_gfp");
    assert.equal(lines[created + 2], " zswap_pool_create");
    assert.ok(lines.some((l) => /^CPU: \d+ PID: \d+ Comm: \S+/.test(l)));
  });

  it("names the free of a never-prepared CPU's ctx when prepare never reads the poison", () => {
    const r = checkCell("V-D7-no-gfp-zero-always-alloc", "C7");
    assert.equal(r.bugClass, "uninit");
    assert.equal(r.bug?.title, "BUG: KMSAN: uninit-value in acomp_ctx_free");
    assert.match(r.bug?.text ?? "", /acomp_ctx\(cpu3\)->\w+ was never written/);
  });
});
