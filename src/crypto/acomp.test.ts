import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Op } from "../kernel/effect.ts";
import { EINVAL, ENOSPC } from "../kernel/errno.ts";
import { Kernel } from "../kernel/kernel.ts";
import { liveObjects, memory } from "../kernel/memory.ts";
import { RealExecutor } from "../real/executor.ts";
import { explore, runOnce } from "../sim/explore.ts";
import { RandomStrategy, random } from "../sim/strategy_random.ts";
import {
  acompCompress,
  acompDecompress,
  acompRequestAlloc,
  acompRequestFree,
  cryptoAllocAcomp,
  cryptoFreeAcomp,
  cryptoHasAcomp,
  cryptoState,
  setCryptoAlgorithms,
  unknownAlgorithmMessage,
} from "./acomp.ts";
import { createNativeCompressorRegistry } from "./algorithms/native/index.ts";
import { CompressorRegistry } from "./algorithms/registry.ts";
import { simCompressorFactory } from "./algorithms/sim.ts";

function realKernel(): { k: Kernel; ex: RealExecutor } {
  const k = new Kernel({ nrCpus: 2, mode: "real" });
  setCryptoAlgorithms(k, createNativeCompressorRegistry());
  return { k, ex: new RealExecutor(k) };
}

function textPage(): Uint8Array {
  const p = new Uint8Array(4096);
  const s = "the quick brown fox jumps over the lazy dog; ";
  for (let i = 0; i < p.length; i++) p[i] = s.charCodeAt(i % s.length);
  return p;
}

function randomPage(seed: number): Uint8Array {
  const p = new Uint8Array(4096);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < p.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = x & 0xff;
  }
  return p;
}

describe("acomp API", () => {
  it("compresses and decompresses a page through a tfm and a request, for every algorithm", () => {
    const { k, ex } = realKernel();
    for (const name of ["lz4", "lz4hc", "zstd", "lzo", "deflate"]) {
      assert.ok(cryptoHasAcomp(k, name), name);
      const out = ex.runSync(
        "t",
        0,
        (function* (): Op<Uint8Array> {
          const tfm = yield* cryptoAllocAcomp(k, name);
          assert.ok(tfm);
          const req = yield* acompRequestAlloc(k, tfm);
          assert.ok(req);
          const buf = new Uint8Array(4096);
          const dlen = yield* acompCompress(k, req, textPage(), buf);
          assert.ok(dlen > 0 && dlen < 1024, `${name}: ${dlen}`);
          const back = new Uint8Array(4096);
          assert.equal(yield* acompDecompress(k, req, buf.subarray(0, dlen), back), 4096);
          acompRequestFree(k, req);
          yield* cryptoFreeAcomp(k, tfm);
          return back;
        })(),
      );
      assert.deepEqual(out, textPage(), name);
    }
    assert.equal(
      liveObjects(k, (o) => o.label === "crypto_acomp" || o.label === "acomp_req").length,
      0,
    );
  });

  it("returns the kernel's errno when the output does not fit: -EINVAL for lz4, -ENOSPC for deflate", () => {
    const { k, ex } = realKernel();
    const results = Object.fromEntries(
      ["lz4", "deflate"].map((name) => [
        name,
        ex.runSync(
          "t",
          0,
          (function* (): Op<number> {
            const tfm = yield* cryptoAllocAcomp(k, name);
            const req = yield* acompRequestAlloc(k, tfm as NonNullable<typeof tfm>);
            return yield* acompCompress(
              k,
              req as NonNullable<typeof req>,
              randomPage(7),
              new Uint8Array(4096),
            );
          })(),
        ),
      ]),
    );
    assert.deepEqual(results, { lz4: -EINVAL, deflate: -ENOSPC });
  });

  it("names the available algorithms for an unknown one", () => {
    const { k } = realKernel();
    assert.equal(cryptoHasAcomp(k, "842"), false);
    assert.match(
      unknownAlgorithmMessage(k, "foo"),
      /^Unknown compressor 'foo'; available: deflate, deflate-iaa, lz4, lz4hc, lzo, lzo-rle, sim, zstd$/,
    );
  });

  it("takes scomp_lock around the first user's scratch allocation and the last user's free", () => {
    const seen: number[] = [];
    const r = runOnce(
      {
        name: "scomp",
        config: { nrCpus: 1 },
        setup: (k) => {
          setCryptoAlgorithms(k, new CompressorRegistry([simCompressorFactory]));
          const scratch = () => liveObjects(k, (o) => o.label === "scomp_scratch").length;
          k.spawn(
            "t",
            0,
            (function* (): Op<void> {
              const a = yield* cryptoAllocAcomp(k, "sim");
              const b = yield* cryptoAllocAcomp(k, "sim");
              seen.push(cryptoState(k).scompScratchUsers, scratch());
              yield* cryptoFreeAcomp(k, a);
              seen.push(scratch());
              yield* cryptoFreeAcomp(k, b);
              seen.push(scratch());
            })(),
          );
        },
      },
      new RandomStrategy(1),
    );
    assert.equal(r.outcome, "ok");
    assert.deepEqual(seen, [2, 1, 1, 0]);
  });

  it("fails an allocation when fault injection says so, and the caller can free what it had", () => {
    let failures = 0;
    let leaked = 0;
    const r = explore(
      {
        name: "fault",
        config: { nrCpus: 1 },
        setup: (k) => {
          setCryptoAlgorithms(k, new CompressorRegistry([simCompressorFactory]));
          memory(k).policy.faultable.add("acomp_req");
          k.spawn(
            "t",
            0,
            (function* (): Op<void> {
              const tfm = yield* cryptoAllocAcomp(k, "sim");
              const req = yield* acompRequestAlloc(k, tfm as NonNullable<typeof tfm>);
              if (req === null) failures++;
              else acompRequestFree(k, req);
              yield* cryptoFreeAcomp(k, tfm);
              leaked += liveObjects(
                k,
                (o) => o.label === "crypto_acomp" || o.label === "acomp_req",
              ).length;
            })(),
          );
        },
      },
      random(2, 0.5),
      { executionsMax: 50 },
    );
    assert.equal(r.verdict, "bound");
    assert.ok(failures > 5 && failures < 45, `${failures} failures in 50 executions`);
    assert.equal(leaked, 0);
  });
});
