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
import { deflateCompressorFactory } from "./deflate.ts";
import { DEFLATE_IAA_PARAMS, DeflateIaaCodec } from "./deflate_iaa.ts";
import { lz4CompressorFactory, lz4hcCompressorFactory } from "./lz4.ts";
import { lzoCompressorFactory } from "./lzo.ts";
import { zstdCompressorFactory } from "./zstd.ts";

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
  zstdCompressorFactory,
];

/** Kernel compressors zswap accepts that no binding here implements. */
export const unavailableCompressors: Readonly<Record<string, string>> = {
  "lzo-rle": "the lzo binding (minilzo 2.09) has no run-length variant; not emulated",
  "842": "no binding",
};

/** Every native algorithm plus `sim`. Bindings load on the first create() of each algorithm. */
export function createNativeCompressorRegistry(): CompressorRegistry {
  return new CompressorRegistry(
    [...nativeCompressorFactories, simCompressorFactory],
    unavailableCompressors,
  );
}
