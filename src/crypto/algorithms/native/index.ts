/**
 * The real compressors: one factory per kernel algorithm that a binding here implements, and
 * the registry the real side uses (these plus `sim`).
 *
 * ```ts
 * const backend = createNativeCompressorRegistry().get("zstd").create();
 * ```
 */

import { iaaCompressorFactory } from "../../iaa_crypto.ts";
import { CompressorRegistry } from "../registry.ts";
import { simCompressorFactory } from "../sim.ts";
import type { CompressorFactory } from "../types.ts";
import { deflate612CompressorFactory, deflateCompressorFactory } from "./deflate.ts";
import { DEFLATE_IAA_PARAMS, DeflateIaaCodec } from "./deflate_iaa.ts";
import { lz4CompressorFactory, lz4hcCompressorFactory } from "./lz4.ts";
import { lzoCompressorFactory, lzoRleCompressorFactory } from "./lzo.ts";
import { zstd612CompressorFactory, zstdCompressorFactory } from "./zstd.ts";

export const nativeCompressorFactories: readonly CompressorFactory[] = [
  deflateCompressorFactory,
  iaaCompressorFactory({
    name: "deflate-iaa",
    kernelParams: DEFLATE_IAA_PARAMS,
    codec: () => new DeflateIaaCodec(),
  }),
  lz4CompressorFactory,
  lz4hcCompressorFactory,
  lzoCompressorFactory,
  lzoRleCompressorFactory,
  zstdCompressorFactory,
];

/** The kernel whose crypto wrappers to follow (the zswap profiles). */
export type CryptoKernel = "7.3" | "6.12";

/**
 * The factories as a given kernel's crypto wrappers behave: 6.12's deflate is the scomp one
 * (no room -> -EINVAL) and its zstd uses the default-row parameters. lz4, lz4hc and lzo are the
 * same in both (Debian's 6.12.117 has the lzo1x_1_compress_safe backport).
 */
export function nativeCompressorFactoriesFor(kernel: CryptoKernel): readonly CompressorFactory[] {
  if (kernel !== "6.12") return nativeCompressorFactories;
  return nativeCompressorFactories.map((f) =>
    f.name === "deflate"
      ? deflate612CompressorFactory
      : f.name === "zstd"
        ? zstd612CompressorFactory
        : f,
  );
}

/** Kernel compressors zswap accepts that no binding here implements. */
export const unavailableCompressors: Readonly<Record<string, string>> = {
  "842": "no binding",
};

/** Every native algorithm plus `sim`. Bindings load on the first create() of each algorithm. */
export function createNativeCompressorRegistry(): CompressorRegistry {
  return new CompressorRegistry(
    [...nativeCompressorFactories, simCompressorFactory],
    unavailableCompressors,
  );
}
