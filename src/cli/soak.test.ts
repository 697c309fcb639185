import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cryptoState } from "../crypto/acomp.ts";
import type { CompressorBackend } from "../crypto/algorithms/types.ts";
import { EINVAL } from "../kernel/errno.ts";
import { FAULT_KINDS } from "../real/faults.ts";
import type { ZswapInstance } from "../real/index.ts";
import { DEFAULT_FAIL, parseSoakFlags, soakCommand } from "./cmd_soak.ts";
import { type SoakConfig, soakJob } from "./soak_job.ts";

const base: SoakConfig = parseSoakFlags(
  {
    ops: "20000",
    seed: "1",
    fail: DEFAULT_FAIL,
    compressor: "lz4",
    profile: "latest",
    cpus: "4",
    livePages: "2048",
  },
  false,
);

/** Makes every pool created from now on use `wrap`ped backends (through the kernel's registry). */
function breakCompressor(wrap: (b: CompressorBackend) => CompressorBackend) {
  return async (z: ZswapInstance) => {
    const cs = cryptoState(z.kernel);
    cs.algorithms = cs.algorithms.mapBackends(wrap);
    await z.setParam("compressor", "zstd"); // a new pool, with the wrapped backends
  };
}

/** Flips one bit of the output and reports success: silent corruption. */
const flipBit = (b: CompressorBackend): CompressorBackend => ({
  name: b.name,
  compress: (src, dst) => b.compress(src, dst),
  decompress: (src, dst) => {
    const n = b.decompress(src, dst);
    if (n > 0) (dst as Uint8Array)[100] = ((dst[100] as number) ^ 1) & 0xff;
    return n;
  },
});

describe("zswap-ts soak", () => {
  it("runs 20,000 operations with every fault injected and loses nothing", async () => {
    const r = await soakJob(base);
    assert.equal(r.ok, true, [...r.problems, ...r.accountingErrors].join("\n"));
    assert.equal(r.lost, 0);
    assert.equal(r.corrupted, 0);
    assert.ok(r.pagesVerified > 5000, `${r.pagesVerified} pages verified`);
    for (const k of FAULT_KINDS) assert.ok(r.faults[k] > 0, `no ${k} fault injected`);
    assert.ok(r.loadsFailedInjected > 0);
    assert.ok(r.storesFailedInjected > 0);
    assert.equal(r.end.debugfs.decompress_fail, r.faults.decompress);
    assert.ok((r.end.debugfs.written_back_pages ?? 0) > 0, "the small pool wrote back");
    for (const k of ["store_folio", "hotplug", "compressor", "pool_limit", "shrink"] as const)
      assert.ok(r.opsByKind[k] > 0, `no ${k} operation`);
    assert.equal(r.end.swapFile.slotsInUse, 0, "nothing left behind");
  });

  it("is reproducible: the same seed gives the same operations, faults and counters", async () => {
    // Lockstep: without it, where background writeback interleaves depends on I/O timing.
    const c = { ...base, ops: 3000, cpus: 1, lockstep: true };
    const a = await soakJob(c);
    const b = await soakJob(c);
    assert.deepEqual(a.opsByKind, b.opsByKind);
    assert.deepEqual(a.faults, b.faults);
    assert.equal(a.pagesVerified, b.pagesVerified);
  });

  it("the oracle fires: a decompressor that flips a bit without an error is corruption, exit 1", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const cmd = soakCommand(
      (t) => out.push(t),
      (t) => err.push(t),
      (c) => ({ ...c, setup: breakCompressor(flipBit) }),
    );
    const exitBefore = process.exitCode;
    try {
      await cmd.parseAsync(["--ops", "3000", "--json"], { from: "user" });
      assert.equal(process.exitCode, 1);
    } finally {
      process.exitCode = exitBefore;
    }
    const r = JSON.parse(out.join(""));
    assert.equal(r.ok, false);
    assert.ok(r.corrupted > 0);
    assert.match(err.join(""), /page\(s\) came back different/);
    assert.match(err.join(""), /soak failed: \d+ page\(s\) lost, [1-9]\d* corrupted/);
  });

  it("an error no injected fault explains is a lost page", async () => {
    let calls = 0;
    const failSilently = (b: CompressorBackend): CompressorBackend => ({
      name: b.name,
      compress: (src, dst) => b.compress(src, dst),
      decompress: (src, dst) => (++calls % 50 === 0 ? -EINVAL : b.decompress(src, dst)),
    });
    const r = await soakJob({ ...base, ops: 3000, setup: breakCompressor(failSilently) });
    assert.equal(r.ok, false);
    assert.ok(r.lost > 0);
    assert.match(r.problems.join("\n"), /swap-in failed without an injected fault/);
    assert.ok(r.accountingErrors.some((e) => /^decompress_fail is \d+, expected \d+/.test(e)));
  });

  it("refuses bad flags with one line", () => {
    const flags = {
      ...{ ops: "10", seed: "1", fail: "none", compressor: "lz4" },
      ...{ profile: "latest", cpus: "2", livePages: "64" },
    };
    assert.throws(
      () => parseSoakFlags({ ...flags, ops: "0" }, false),
      /--ops: expected an integer >= 1, got '0'/,
    );
    assert.throws(
      () => parseSoakFlags({ ...flags, fail: "kmalloc=2" }, false),
      /expected a probability 0\.\.1/,
    );
    assert.throws(
      () => parseSoakFlags({ ...flags, fail: "oom=0.1" }, false),
      /unknown fault 'oom'/,
    );
    assert.throws(
      () => parseSoakFlags({ ...flags, compressor: "lzma" }, false),
      /Unknown compressor 'lzma'/,
    );
    assert.equal(parseSoakFlags(flags, false).faults, null);
    assert.deepEqual(
      parseSoakFlags({ ...flags, fail: "swap_read=0.5", failSeed: "9" }, false).faults,
      {
        swap_read: 0.5,
        seed: 9,
      },
    );
  });
});
