/**
 * The one way every `--json` output is written (docs/output.md, "JSON"): an object whose first
 * field is `schemaVersion`, with non-integer numbers rounded so that no float prints as
 * 0.7816083699999999. The schemas of the outputs are in docs/schema/.
 *
 * Naming: the kernel's counters and parameters keep the kernel's names verbatim (debugfs and
 * /proc/vmstat files, zswap's module parameters: `stored_pages`, `max_pool_percent`); every other
 * field is camelCase.
 */

/** Bumped when a field is removed or changes meaning; new fields do not bump it. */
export const SCHEMA_VERSION = 1;

/**
 * Rounds a non-integer: to 3 decimals when |x| >= 1 (1.7285 -> 1.729, 1234.5678 -> 1234.568),
 * to 4 significant digits below (0.78160837 -> 0.7816, 0.000123456 -> 0.0001235). Integers and
 * non-finite numbers are left as they are.
 */
export function roundFloat(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return x;
  if (Math.abs(x) >= 1) return Math.round(x * 1000) / 1000;
  return Number(x.toPrecision(4));
}

/** `value` (an object) as indented JSON with `schemaVersion` first and floats rounded. */
export function jsonText(value: object): string {
  if (Array.isArray(value)) throw new TypeError("jsonText: expected an object, got an array");
  return JSON.stringify({ schemaVersion: SCHEMA_VERSION, ...value }, roundReplacer, 2);
}

function roundReplacer(_key: string, v: unknown): unknown {
  return typeof v === "number" ? roundFloat(v) : v;
}
