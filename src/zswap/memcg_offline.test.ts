import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scenarioProgram } from "../check/harness.ts";
import { makeC20 } from "../check/scenarios/c20_memcg_offline.ts";
import { withEngineInvariants } from "../check/scenarios/engine.ts";
import { Memcg, memcgIter } from "../mm/memcg.ts";
import { explore } from "../sim/explore.ts";
import { dfs } from "../sim/strategy_dfs.ts";
import { random } from "../sim/strategy_random.ts";
import { D7 } from "./acomp_ctx/d7.ts";

describe("memcg offline and the shrink worker's cursor (C20)", () => {
  it("walks memcgs in pre-order, as mem_cgroup_iter does", () => {
    const root = new Memcg("/");
    const a = new Memcg("/A", root);
    const a1 = new Memcg("/A/1", a);
    const b = new Memcg("/B", root);
    const order: string[] = [];
    for (let m = memcgIter(root, null); m !== null; m = memcgIter(root, m)) order.push(m.name);
    assert.deepEqual(order, [root.name, a.name, a1.name, b.name]);
  });

  it("keeps the cursor off offline memcgs in every explored interleaving", () => {
    const program = scenarioProgram(D7, withEngineInvariants(makeC20()));
    const r1 = explore(program, random(3), { executionsMax: 300 });
    assert.equal(r1.verdict, "bound", r1.failing?.bug?.text);
    const r2 = explore(program, dfs(1), { executionsMax: 20_000 });
    assert.equal(r2.verdict, "exhausted", r2.failing?.bug?.text ?? r2.message);
  });

  it("fires when the offline skips zswap_memcg_offline_cleanup()", () => {
    const broken = makeC20({
      offline: (_env, m) => {
        m.online = false;
      },
    });
    const r = explore(scenarioProgram(D7, broken), random(3), { executionsMax: 2_000 });
    assert.equal(r.verdict, "bug");
    assert.match(r.failing?.bug?.title ?? "", /cursor .* holds offline memcg \/A/);
  });
});
