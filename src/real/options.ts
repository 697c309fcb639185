/**
 * Validation of the library's options and parameters at the boundary: clear errors, never a
 * stack trace from deep inside.
 */
import { availableParallelism, totalmem } from "node:os";
import {
  nativeCompressorFactories,
  unavailableCompressors,
} from "../crypto/algorithms/native/index.ts";
import { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import { checkProfile, type Profile } from "../zswap/params.ts";
import { type CheckedFaults, checkFaults, FaultSpecError } from "./faults.ts";
import {
  type CreateZswapOptions,
  describe,
  PAGE_SIZE,
  PARAM_NAMES,
  type ParamValue,
  ZswapError,
} from "./types.ts";

const DEFAULT_SWAP_SIZE_BYTES = 2 ** 30;

/** The real compressors (no `sim`), with the reasons for the kernel's that are missing. */
export function realCompressorRegistry(): CompressorRegistry {
  return new CompressorRegistry(nativeCompressorFactories, unavailableCompressors);
}

export interface CheckedOptions {
  compressor: string;
  profile: Profile;
  enabled: boolean;
  maxPoolPercent: number;
  acceptThresholdPercent: number;
  shrinkerEnabled: boolean;
  totalRamBytes: number;
  cpus: number;
  swapFile: string | undefined;
  swapSizeBytes: number;
  instrumented: boolean;
  faults: CheckedFaults | null;
}

export function checkOptions(o: CreateZswapOptions): CheckedOptions {
  if (typeof o !== "object" || o === null) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected an options object, got ${describe(o)}`,
    );
  }
  let profile: Profile;
  try {
    profile = checkProfile(o.profile ?? "latest");
  } catch (e) {
    throw new ZswapError("EINVAL", (e as Error).message);
  }
  const totalRamBytes = o.totalRamBytes ?? totalmem();
  if (!Number.isSafeInteger(totalRamBytes) || totalRamBytes < PAGE_SIZE) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected totalRamBytes to be an integer >= ${PAGE_SIZE}, got ${describe(o.totalRamBytes)}`,
    );
  }
  const cpus = o.cpus ?? Math.min(64, availableParallelism());
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected cpus to be an integer 1..64, got ${describe(o.cpus)}`,
    );
  }
  const swapSizeBytes = o.swapSizeBytes ?? DEFAULT_SWAP_SIZE_BYTES;
  if (
    !Number.isSafeInteger(swapSizeBytes) ||
    swapSizeBytes < PAGE_SIZE ||
    swapSizeBytes % PAGE_SIZE !== 0
  ) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected swapSizeBytes to be a positive multiple of ${PAGE_SIZE}, got ${describe(o.swapSizeBytes)}`,
    );
  }
  if (o.swapFile !== undefined && (typeof o.swapFile !== "string" || o.swapFile === "")) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected swapFile to be a path, got ${describe(o.swapFile)}`,
    );
  }
  return {
    compressor: checkString("compressor", o.compressor ?? "lz4"),
    profile,
    enabled: checkBool("enabled", o.enabled ?? true),
    maxPoolPercent: percent("max_pool_percent", o.max_pool_percent ?? 20),
    acceptThresholdPercent: percent("accept_threshold_percent", o.accept_threshold_percent ?? 90),
    shrinkerEnabled: checkBool("shrinker_enabled", o.shrinker_enabled ?? false),
    totalRamBytes,
    cpus,
    swapFile: o.swapFile,
    swapSizeBytes,
    instrumented: checkBool("instrumented", o.instrumented ?? false),
    faults: checkedFaults(o.faults),
  };
}

function checkedFaults(v: unknown): CheckedFaults | null {
  try {
    return checkFaults(v);
  } catch (e) {
    if (e instanceof FaultSpecError) throw new ZswapError("EINVAL", e.message);
    throw e;
  }
}

function checkString(name: string, v: unknown): string {
  if (typeof v !== "string")
    throw new ZswapError("EINVAL", `Cannot set ${name}: expected a string, got ${describe(v)}`);
  return v;
}

function checkBool(name: string, v: unknown): boolean {
  if (typeof v !== "boolean")
    throw new ZswapError(
      "EINVAL",
      `Cannot set ${name}: expected true or false, got ${describe(v)}`,
    );
  return v;
}

/** An integer 0..100, given as a number or a decimal string. */
function percent(name: string, v: unknown): number {
  const n =
    typeof v === "number"
      ? v
      : typeof v === "string" && /^\s*\d+\s*$/.test(v)
        ? Number(v)
        : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 100) {
    throw new ZswapError(
      "EINVAL",
      `Cannot set ${name}: expected an integer 0..100, got ${numberText(v)}`,
    );
  }
  return n;
}

/** 140 and "140" as 140; other strings quoted. */
function numberText(v: unknown): string {
  return typeof v === "string" && /^\s*-?[\d.]+\s*$/.test(v) ? v.trim() : describe(v);
}

export function unknownCompressor(registry: CompressorRegistry, name: string): ZswapError {
  try {
    registry.get(name);
  } catch (e) {
    return new ZswapError("EINVAL", (e as Error).message);
  }
  return new ZswapError("EINVAL", `Unknown compressor '${name}'`);
}

export function paramText(name: string, value: ParamValue): string {
  if (!(PARAM_NAMES as readonly string[]).includes(name)) {
    throw new ZswapError(
      "EINVAL",
      `Unknown zswap parameter '${name}'; available: ${PARAM_NAMES.join(", ")}`,
    );
  }
  switch (name) {
    case "max_pool_percent":
    case "accept_threshold_percent":
      return String(percent(name, value));
    case "enabled":
    case "shrinker_enabled":
      if (typeof value === "boolean") return value ? "Y" : "N";
      if (typeof value === "string") return value;
      throw new ZswapError(
        "EINVAL",
        `Cannot set ${name}: expected true or false (or Y/N), got ${describe(value)}`,
      );
    default:
      if (typeof value !== "string" || value === "") {
        throw new ZswapError(
          "EINVAL",
          `Cannot set ${name}: expected a compressor name, got ${describe(value)}`,
        );
      }
      return value;
  }
}
