/**
 * `run --parallel` (multi-core mode): the same result as `run` on one thread, for every
 * compressor and under the stresses (pool limit and writeback, hotplug, compressor switches,
 * large folios, injected faults); the CLI flag; and a process using the workers exits on its own.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeProcess } from "./cli_test_util.ts";
import { type RunConfig, runConfigWith } from "./run_config.ts";
import { runJob } from "./run_job.ts";
import type { RunResult } from "./run_result.ts";

const base: RunConfig = runConfigWith({ sizeBytes: 2 * 2 ** 20, seed: 3, zsmallocStats: true });

/** What must be equal: everything but the timings, the temporary swap file's name and the mode. */
function comparable(r: RunResult) {
  const { phases: _p, config, end, ...rest } = r;
  const { swapFile: _f, parallel: _m, ...cfg } = config;
  const { path: _q, ...file } = end.swapFile;
  return { ...rest, config: cfg, end: { ...end, swapFile: file } };
}

async function both(o: Partial<RunConfig>): Promise<RunResult> {
  const one = await runJob({ ...base, ...o });
  const par = await runJob({ ...base, ...o, parallel: true });
  assert.ok(one.verification.ok && par.verification.ok);
  assert.deepEqual(
    [one.config.parallel, par.config.parallel],
    [false, true],
    "--json says the mode",
  );
  assert.deepEqual(comparable(par), comparable(one));
  return one;
}

describe("run --parallel: the one-thread result", () => {
  for (const compressor of ["lz4", "lz4hc", "zstd", "lzo", "deflate"]) {
    it(compressor, async () => {
      await both({ compressor, sizeBytes: compressor === "deflate" ? 2 ** 20 : 2 * 2 ** 20 });
    });
  }
  it("6.12 profile, zstd", async () => {
    await both({ profile: "6.12", compressor: "zstd" });
  });
  it("pool limit, shrinker, memcg: writeback in the background", async () => {
    const r = await both({ totalRamBytes: 4 * 2 ** 20, shrinker: true, memcgMaxBytes: 2 ** 20 });
    assert.ok((r.afterSwapOut.debugfs.written_back_pages ?? 0) > 0);
  });
  it("hotplug and compressor switches", async () => {
    await both({ hotplug: true, switchCompressorEvery: 100, compressor: "zstd" });
  });
  it("64K folios", async () => {
    await both({ folioPages: 16 });
  });
  it("injected faults", async () => {
    await both({ faults: { zs_malloc: 0.02, compress: 0.02, decompress: 0.02, seed: 9 } });
  });
});

describe("run --parallel: the command and the process", () => {
  it("--help explains --parallel", async () => {
    const r = await nodeProcess(["bin/zswap-ts.js", "run", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--parallel\s+multi-core: one worker thread per CPU/);
  });

  it("a library user that never closes the instance still exits (workers are unref'd)", async () => {
    const script = [
      'import { createZswap } from "./src/real/create_zswap.ts";',
      'import { cpuWorkerTestHooks } from "./src/real/parallel_options.ts";',
      "cpuWorkerTestHooks.offloadCompressUs = 0; // every page a job (these compress in 2 us)",
      "const z = createZswap({ cpus: 2, compressor: 'zstd', parallel: true });",
      "const pages = Array.from({ length: 200 }, (_, i) => new Uint8Array(4096).fill(i % 7));",
      "const slots = await Promise.all(pages.map((p) => z.swapOut(p)));",
      "await Promise.all(slots.map((s) => z.swapIn(s)));",
      "console.log('done', z.parallelStats().used);",
    ].join("\n");
    const r = await nodeProcess(["--import", "tsx", "--input-type=module", "-e", script]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^done [1-9]/);
  });

  it("a closed instance's workers, kept for the next, do not keep the process alive", async () => {
    const script = [
      'import { createZswap } from "./src/real/create_zswap.ts";',
      "const page = new Uint8Array(4096).fill(3);",
      "const z = createZswap({ cpus: 2, compressor: 'lz4', parallel: true });",
      "await z.swapOut(page);",
      "await z.close();",
      "console.log('closed');",
    ].join("\n");
    const r = await nodeProcess(["--import", "tsx", "--input-type=module", "-e", script]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^closed/);
  });

  it("a worker that fails ends the run with one line, exit 1", async () => {
    const script = [
      'import { cpuWorkerTestHooks } from "./src/real/parallel_options.ts";',
      'cpuWorkerTestHooks.handler = new URL("./src/real/engines/failing_codec_test_util.ts", "file://" + process.cwd() + "/");',
      "cpuWorkerTestHooks.help = false;",
      "cpuWorkerTestHooks.offloadCompressUs = 0;",
      'const { runCommand } = await import("./src/cli/cmd_run.ts");',
      "await runCommand().parseAsync(['node', 'run', '--size', '1M', '--cpus', '2', '--parallel', '--json']);",
    ].join("\n");
    const r = await nodeProcess(["--import", "tsx", "--input-type=module", "-e", script], {
      ZSWAP_TEST_WORKER_FAIL: "exit",
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /a CPU worker failed: engine \d exited with code 7/);
  });
});
