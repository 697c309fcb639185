/**
 * Validation of the library's options and parameters at the boundary: clear errors, never a
 * stack trace from deep inside.
 */
import { availableParallelism, totalmem } from "node:os";
import {
  nativeCompressorFactoriesFor,
  unavailableCompressors,
} from "../crypto/algorithms/native/index.ts";
import { CompressorRegistry } from "../crypto/algorithms/registry.ts";
import { PAGE_SIZE } from "../kernel/page.ts";
import { checkProfile, type Profile, UINT_MAX } from "../zswap/params.ts";
import { ZswapError } from "./errors.ts";
import { type CheckedFaults, checkFaults, FaultSpecError } from "./faults.ts";
import { type CreateZswapOptions, describe, PARAM_NAMES, type ParamValue } from "./types.ts";

const DEFAULT_SWAP_SIZE_BYTES = 2 ** 30;

/**
 * The real compressors (no `sim`) as the profile's kernel wraps them, with the reasons for the
 * kernel's that are missing.
 */
export function realCompressorRegistry(profile: Profile = "7.3"): CompressorRegistry {
  const kernel = profile === "6.12" ? "6.12" : "7.3";
  return new CompressorRegistry(nativeCompressorFactoriesFor(kernel), unavailableCompressors);
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
  overwrite: boolean;
  checksums: boolean;
  swapSizeBytes: number;
  instrumented: boolean;
  timeCompressor: boolean;
  faults: CheckedFaults | null;
  memcgMaxBytes: number | null;
  memcgZswapMaxBytes: number | null;
  memcgZswapWriteback: boolean | null;
  bootOff: boolean;
  shareCpu: boolean;
  parallel: boolean;
}

/**
 * Every key createZswap takes. `satisfies` keeps it complete: a key added to CreateZswapOptions
 * and not here is a compile error, and a key not here is refused at run time (a typo such as
 * `max_pool_precent` would otherwise be ignored silently).
 */
const OPTION_KEYS = {
  compressor: true,
  profile: true,
  enabled: true,
  max_pool_percent: true,
  accept_threshold_percent: true,
  shrinker_enabled: true,
  totalRamBytes: true,
  cpus: true,
  swapFile: true,
  overwrite: true,
  checksums: true,
  swapSizeBytes: true,
  instrumented: true,
  swapFileIo: true,
  faults: true,
  iaaEngines: true,
  iaaSyncMode: true,
  memcgMaxBytes: true,
  memcgZswapMaxBytes: true,
  memcgZswapWriteback: true,
  bootOff: true,
  shareCpu: true,
  timeCompressor: true,
  parallel: true,
} as const satisfies Record<keyof CreateZswapOptions, true>;

export function checkOptions(o: CreateZswapOptions): CheckedOptions {
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected an options object, got ${describe(o)}`,
    );
  }
  checkKeys(o);
  let profile: Profile;
  try {
    profile = checkProfile(checkString("profile", o.profile ?? "7.3"));
  } catch (e) {
    if (e instanceof ZswapError) throw e;
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
  checkFileIo(o.swapFileIo);
  return {
    compressor: checkString("compressor", o.compressor ?? "lz4"),
    profile,
    enabled: checkBool("enabled", o.enabled ?? true),
    maxPoolPercent: percent(
      "max_pool_percent",
      checkNumber("max_pool_percent", o.max_pool_percent ?? 20),
    ),
    acceptThresholdPercent: percent(
      "accept_threshold_percent",
      checkNumber("accept_threshold_percent", o.accept_threshold_percent ?? 90),
    ),
    shrinkerEnabled: checkBool("shrinker_enabled", o.shrinker_enabled ?? false),
    totalRamBytes,
    cpus,
    swapFile: o.swapFile,
    overwrite: checkBool("overwrite", o.overwrite ?? false),
    checksums: checkBool("checksums", o.checksums ?? false),
    swapSizeBytes,
    instrumented: checkBool("instrumented", o.instrumented ?? false),
    timeCompressor: checkBool("timeCompressor", o.timeCompressor ?? false),
    faults: checkedFaults(o.faults),
    memcgMaxBytes: checkMemcgBytes("memcgMaxBytes", o.memcgMaxBytes, PAGE_SIZE),
    memcgZswapMaxBytes: checkMemcgBytes("memcgZswapMaxBytes", o.memcgZswapMaxBytes, 0),
    memcgZswapWriteback:
      o.memcgZswapWriteback === undefined
        ? null
        : checkBool("memcgZswapWriteback", o.memcgZswapWriteback),
    bootOff: checkBool("bootOff", o.bootOff ?? false),
    shareCpu: checkBool("shareCpu", o.shareCpu ?? false),
    parallel: checkBool("parallel", o.parallel ?? false),
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

/** Refuses keys createZswap does not know, naming the nearest known one. */
function checkKeys(o: object): void {
  const known = Object.keys(OPTION_KEYS);
  for (const key of Object.keys(o)) {
    if (key in OPTION_KEYS) {
      // `?? default` below would take null for "not given": say so instead.
      if ((o as Record<string, unknown>)[key] === null) {
        throw new ZswapError(
          "EINVAL",
          `Cannot set ${key}: got null; leave the key out (or undefined) for the default`,
        );
      }
      continue;
    }
    const near = nearest(key, known);
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: unknown option '${key}'${near === null ? "" : ` (did you mean '${near}'?)`}; known: ${known.join(", ")}`,
    );
  }
}

/** The known key closest to `key` by edit distance, if it is close (a typo). */
function nearest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

function checkNumber(name: string, v: unknown): number {
  if (typeof v !== "number")
    throw new ZswapError("EINVAL", `Cannot set ${name}: expected a number, got ${describe(v)}`);
  return v;
}

const FILE_IO_CALLS = ["readSync", "writeSync", "read", "write"] as const;

function checkFileIo(io: unknown): void {
  if (io === undefined) return;
  const missing =
    typeof io !== "object" || io === null
      ? FILE_IO_CALLS
      : FILE_IO_CALLS.filter((f) => typeof (io as Record<string, unknown>)[f] !== "function");
  if (missing.length > 0) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected swapFileIo to have functions ${FILE_IO_CALLS.join(", ")}, got ${describe(io)} without ${missing.join(", ")}`,
    );
  }
}

function checkMemcgBytes(name: string, v: unknown, min: number): number | null {
  if (v === undefined) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new ZswapError(
      "EINVAL",
      `Cannot create zswap: expected ${name} to be an integer >= ${min}, got ${describe(v)}`,
    );
  }
  return v;
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

/** A `uint` module parameter (0..UINT_MAX, as kstrtouint), given as a number or a decimal string. */
function percent(name: string, v: unknown): number {
  const n =
    typeof v === "number"
      ? v
      : typeof v === "string" && /^\s*\d+\s*$/.test(v)
        ? Number(v)
        : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > UINT_MAX) {
    throw new ZswapError(
      "EINVAL",
      `Cannot set ${name}: expected an integer 0..${UINT_MAX}, got ${numberText(v)}`,
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
