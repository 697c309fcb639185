/**
 * createZswap(): boots zswap on real pages (the kernel, the compressor registry, zswap, the swap
 * file, the executor) and hands back the instance.
 */
import { setCryptoAlgorithms } from "../crypto/acomp.ts";
import { Kernel } from "../kernel/kernel.ts";
import { memory } from "../kernel/memory.ts";
import { swapon } from "../mm/swap.ts";
import { profileDesign } from "../zswap/acomp_ctx/profile_design.ts";
import { zswapInit, zswapSetup } from "../zswap/zswap.ts";
import { CompressorClock } from "./compressor_clock.ts";
import { asZswapError, ZswapError } from "./errors.ts";
import { RealExecutor } from "./executor.ts";
import { FaultySwapStorage, faultyRegistry, installFaults } from "./faults.ts";
import { FileStorage, SwapFileError } from "./file_storage.ts";
import { checkIaaOptions, iaaRegistry } from "./iaa_options.ts";
import { childMemcg } from "./memcg_files.ts";
import { checkOptions, realCompressorRegistry, unknownCompressor } from "./options.ts";
import { startParallel } from "./parallel_options.ts";
import { SwapFile } from "./swap_file.ts";
import { type CreateZswapOptions, PAGE_SIZE } from "./types.ts";
import { ZswapInstance } from "./zswap_instance.ts";

/** Boots zswap on real pages; see CreateZswapOptions for the defaults. Throws ZswapError. */
export function createZswap(options: CreateZswapOptions = {}): ZswapInstance {
  const o = checkOptions(options);
  const k = new Kernel({ nrCpus: o.cpus, mode: "real", instrumented: o.instrumented });
  // kmemleak's set of live objects only when instrumented (docs/library.md "Memory").
  memory(k).trackLive = o.instrumented;
  const answerChoice = o.faults === null ? undefined : installFaults(k, o.faults);
  const known = realCompressorRegistry(o.profile);
  if (!known.has(o.compressor)) throw unknownCompressor(known, o.compressor);
  const iaa = iaaRegistry(checkIaaOptions(options), o.profile);
  const device = iaa.device;
  const clock = o.timeCompressor ? new CompressorClock() : null;
  // Multi-core mode: the compressors' results may come from the CPU workers (docs/multicore.md).
  const par = o.parallel ? startParallel(k, o, iaa.registry, device) : null;
  const base = par?.registry ?? iaa.registry;
  const timed = clock === null ? base : clock.wrap(base);
  const registry = o.faults === null ? timed : faultyRegistry(k, timed);
  // scomp_lock is the 6.13-6.14 model (scenario C5); neither profile here has it.
  setCryptoAlgorithms(k, registry).scompLockModel = false;
  const z = zswapInit(k, {
    design: profileDesign(o.profile),
    profile: o.profile,
    bootOff: o.bootOff,
    params: {
      enabled: o.enabled,
      compressor: o.compressor,
      max_pool_percent: o.maxPoolPercent,
      accept_threshold_percent: o.acceptThresholdPercent,
      shrinker_enabled: o.shrinkerEnabled,
    },
  });
  memory(k).totalramPages = Math.floor(o.totalRamBytes / PAGE_SIZE);
  let file: FileStorage;
  try {
    file = FileStorage.open({
      nrSlots: o.swapSizeBytes / PAGE_SIZE,
      ...(o.swapFile !== undefined ? { path: o.swapFile } : {}),
      overwrite: o.overwrite,
      checksums: o.checksums,
      ...(options.swapFileIo !== undefined ? { io: options.swapFileIo } : {}),
    });
  } catch (e) {
    void device?.close();
    void par?.swap.workers.close();
    if (e instanceof SwapFileError) throw new ZswapError("EINVAL", e.message, { cause: e });
    throw e;
  }
  const swap = new SwapFile(file);
  const dev = swapon(k, o.faults === null ? swap : new FaultySwapStorage(k, swap));
  const ex = new RealExecutor(k, {
    ...(answerChoice === undefined ? {} : { answerChoice }),
    shareCpu: o.shareCpu,
  });
  let ret: number;
  try {
    ret = ex.runSync("zswap_setup", 0, zswapSetup(k));
  } catch (e) {
    swap.close();
    void device?.close();
    void par?.swap.workers.close();
    throw asZswapError(e, "set up zswap");
  }
  if (ret !== 0) {
    swap.close();
    void device?.close();
    void par?.swap.workers.close();
    throw new ZswapError(
      "ENOMEM",
      `Cannot set up zswap: creating the ${o.compressor} pool failed (${ret})`,
    );
  }
  const instance = new ZswapInstance(
    k,
    ex,
    z,
    swap,
    dev,
    device === null && par === null
      ? null
      : async () => {
          await device?.close();
          await par?.swap.workers.close();
        },
    clock,
    par?.swap ?? null,
  );
  instance.memcg = childMemcg(z.rootMemcg, o);
  return instance;
}
