/**
 * The real deflate-iaa accelerator's options (`iaaEngines`, `iaaSyncMode`): validation, and the
 * compressor registry whose deflate-iaa submits batches to the engines.
 */

import { DEFLATE_IAA_PARAMS, DeflateIaaCodec } from "../crypto/algorithms/native/deflate_iaa.ts";
import {
  nativeCompressorFactoriesFor,
  unavailableCompressors,
} from "../crypto/algorithms/native/index.ts";
import { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import { IAA_SYNC_MODES, type IaaSyncMode, iaaCompressorFactory } from "../crypto/iaa_crypto.ts";
import type { Profile } from "../zswap/params.ts";
import { EngineIaaDevice } from "./engines/iaa_device.ts";
import { ZswapError } from "./errors.ts";
import { type CreateZswapOptions, describe } from "./types.ts";

export interface IaaOptions {
  /** 0: batches compress on the calling thread (no worker threads). */
  readonly engines: number;
  readonly syncMode: IaaSyncMode;
}

export function checkIaaOptions(o: CreateZswapOptions): IaaOptions {
  const engines = o.iaaEngines ?? 0;
  if (!Number.isInteger(engines) || engines < 0 || engines > 64)
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected iaaEngines to be an integer 0..64, got ${describe(o.iaaEngines)}`,
    );
  const syncMode = o.iaaSyncMode ?? "async";
  if (!IAA_SYNC_MODES.includes(syncMode))
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected iaaSyncMode to be one of ${IAA_SYNC_MODES.join(", ")}, got ${describe(o.iaaSyncMode)}`,
    );
  return { engines, syncMode };
}

/**
 * The real compressors as the profile's kernel wraps them, with deflate-iaa on a device of
 * engines (null when engines is 0).
 */
export function iaaRegistry(
  o: IaaOptions,
  profile: Profile = "7.3",
): {
  registry: CompressorRegistry;
  device: EngineIaaDevice | null;
} {
  const device = o.engines > 0 ? EngineIaaDevice.create(o.engines) : null;
  const deflateIaa = iaaCompressorFactory({
    name: "deflate-iaa",
    kernelParams: DEFLATE_IAA_PARAMS,
    codec: () => new DeflateIaaCodec(),
    ...(device !== null ? { device } : {}),
    syncMode: o.syncMode,
  });
  const kernel = profile === "6.12" ? "6.12" : "7.3";
  const factories = nativeCompressorFactoriesFor(kernel).map((f) =>
    f.name === "deflate-iaa" ? deflateIaa : f,
  );
  return { registry: new CompressorRegistry(factories, unavailableCompressors), device };
}
