import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { assertUsageError, runInProcess } from "./cli_test_util.ts";
import { runCommand } from "./cmd_run.ts";
import { type Schema, validate } from "./json_schema_test_util.ts";
import type { RunResult } from "./run_result.ts";

const run = async (...args: string[]) => await runInProcess(runCommand, args);
const runJson = async (...args: string[]) =>
  JSON.parse((await run("--size", "2M", "--cpus", "1", "--json", ...args)).out) as RunResult;

describe("run: the memcg's zswap files (--memcg-max, --memcg-zswap-max, --memcg-writeback)", () => {
  it("the root cgroup by default: no memcg in the result", async () => {
    const r = await runJson();
    assert.equal(r.afterSwapOut.memcg, null);
  });

  it("--memcg-zswap-max: the memcg's stores write back from its LRU; memory.stat counts them", async () => {
    const r = await runJson("--memcg-zswap-max", "256K");
    const m = r.afterSwapOut.memcg;
    assert.ok(m !== null);
    assert.equal(m.zswapMax, 256 * 1024);
    assert.ok(m.stat.zswpwb > 0, "writeback from the memcg's LRU");
    assert.equal(m.stat.zswpwb, r.afterSwapOut.vmstat.zswpwb, "every writeback is the memcg's");
    assert.equal(m.stat.zswpout, r.afterSwapOut.vmstat.zswpout);
    assert.equal(m.zswapCurrent, r.afterSwapOut.derived.compressedBytes);
    assert.ok(r.verification.ok);
    const schema = JSON.parse(
      readFileSync(new URL("../../docs/schema/run.schema.json", import.meta.url), "utf8"),
    ) as Schema;
    assert.deepEqual(validate(schema, r), [], "the output follows docs/schema/run.schema.json");
    assert.notDeepEqual(
      validate(schema, { ...r, afterSwapOut: { ...r.afterSwapOut, memcg: { path: "/x" } } }),
      [],
    );
  });

  it("--memcg-writeback 0 at the memcg's limit: refused pages stay in memory, none reach the swap file", async () => {
    const r = await runJson("--memcg-zswap-max", "64K", "--memcg-writeback", "0");
    const m = r.afterSwapOut.memcg;
    assert.ok(m !== null && !m.zswapWriteback);
    assert.equal(m.stat.zswpwb, 0);
    assert.equal(r.afterSwapOut.vmstat.pswpout, 0);
    assert.ok(r.notSwappedOut > 0, "some pages were kept in memory");
    assert.ok(r.verification.ok, "and came back from there");
  });

  it("the text summary shows the files as cat would", async () => {
    const { out } = await run("--size", "1M", "--cpus", "1", "--memcg-max", "16M");
    assert.match(
      out,
      /memcg \/zswap-ts after swap-out: memory.max 16777216, memory.zswap.max max, /,
    );
    assert.match(out, /memory.stat: zswap \d+, zswapped \d+, zswpin 0, zswpout \d+, zswpwb 0/);
  });

  it("bad values are one-line usage errors", async () => {
    await assertUsageError(run("--memcg-writeback", "2"), /--memcg-writeback 2: expected 0 or 1/);
    await assertUsageError(run("--memcg-zswap-max", "lots"), /--memcg-zswap-max/);
  });
});
