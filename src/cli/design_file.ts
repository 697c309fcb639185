/**
 * Loading a reviewer's design from a file (`check --design-file`, `replay --design-file`): a
 * TypeScript or JavaScript module that exports one AcompCtxDesign, as its default export or as
 * any named export. tsx loads it, so a .ts file needs no build.
 */
import { existsSync } from "node:fs";
import Module, { register } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import type { AcompCtxDesign } from "../zswap/acomp_ctx/design.ts";
import { registerDesign } from "../zswap/acomp_ctx/index.ts";
import { LOAD_TIMEOUT_MS, probeLoad } from "./design_file_probe.ts";
import { UsageError } from "./usage_error.ts";

function looksLikeDesign(v: unknown): v is AcompCtxDesign {
  return typeof v === "object" && v !== null && "name" in v && "acquire" in v && "prepare" in v;
}

/** The fields of an AcompCtxDesign, and the type each must have. */
const DESIGN_FIELDS: ReadonlyArray<readonly [string, "string" | "boolean" | "function"]> = [
  ["name", "string"],
  ["summary", "string"],
  ["versions", "string"],
  ["hasTeardown", "boolean"],
  ["allocCtxs", "function"],
  ["prepare", "function"],
  ["dead", "function"],
  ["acquire", "function"],
  ["release", "function"],
  ["createFailed", "function"],
  ["destroyCtxs", "function"],
];

/** What an exported object lacks to be an AcompCtxDesign, e.g. "acquire (a function)". */
export function missingFields(v: object): string[] {
  const o = v as Record<string, unknown>;
  return DESIGN_FIELDS.filter(([f, t]) => typeof o[f] !== t).map(
    ([f, t]) =>
      `${f} (${t === "function" ? "a function" : `a ${t}`}${f in o ? `, got ${typeof o[f]}` : ""})`,
  );
}

/**
 * One line for a load error: a syntax error as file:line:column and esbuild's message (tsx
 * compiles with esbuild, whose errors carry their location), anything else by its message.
 */
export function loadErrorText(path: string, e: unknown): string {
  const errors = (e as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const first = errors[0] as { text?: string; location?: { line: number; column: number } };
    const where = first.location ? `:${first.location.line}:${first.location.column + 1}` : "";
    return `${path}${where}: ${first.text ?? "syntax error"}`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  const located = /^(?:Transform failed with \d+ errors?:\n)?\S*?:(\d+):(\d+): ERROR: (.*)$/m.exec(
    msg,
  );
  if (located) return `${path}:${located[1]}:${Number(located[2]) + 1}: ${located[3]}`;
  return `${path}: ${msg.split("\n")[0]}`;
}

/**
 * The design API this CLI itself runs on: src/design.ts under tsx, dist/src/design.js when built.
 * A design file that imports `zswap-ts/design` must get this very module, not another copy (a
 * clone of the repo, or a package installed beside the user's file): the kernel model keeps
 * its state in module-level classes and registries, which two copies would not share.
 */
const OWN_DESIGN_API = new URL(
  import.meta.url.endsWith(".ts") ? "../design.ts" : "../design.js",
  import.meta.url,
).href;

let designApiHooked = false;

/** Resolves `zswap-ts/design` (ESM imports of a design file) to OWN_DESIGN_API. */
function hookDesignApi(): void {
  if (designApiHooked) return;
  designApiHooked = true;
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === "zswap-ts/design") return { url: ${JSON.stringify(OWN_DESIGN_API)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  // require("zswap-ts/design") from a CommonJS design file does not pass through the ESM hooks:
  // alias it in CommonJS resolution too (the technique of module-alias).
  const cjs = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
  };
  const resolveFilename = cjs._resolveFilename;
  const target = fileURLToPath(OWN_DESIGN_API);
  cjs._resolveFilename = (request, ...rest) =>
    request === "zswap-ts/design" ? target : resolveFilename(request, ...rest);
}

/**
 * The values a module exports, default first. A file that tsx compiled as CommonJS (a .cts file,
 * or a .ts file outside a "type": "module" package) arrives as `{ default: module.exports }`,
 * whose own `default` is the ESM default export: look one level into it.
 */
function exportedValues(mod: Record<string, unknown>): unknown[] {
  const own = (m: Record<string, unknown>) => [
    m.default,
    ...Object.entries(m)
      .filter(([k]) => k !== "default")
      .map(([, v]) => v),
  ];
  const cjs = mod.default;
  const inner = typeof cjs === "object" && cjs !== null ? own(cjs as Record<string, unknown>) : [];
  return [...own(mod), ...inner];
}

/** Imports `path`, registers the design it exports, and returns it. */
export async function loadDesignFile(
  path: string,
  timeoutMs = LOAD_TIMEOUT_MS,
): Promise<AcompCtxDesign> {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`Cannot load design file ${path}: no such file`);
  // A file that never finishes loading is an error after timeoutMs, not a hang.
  await probeLoad(path, pathToFileURL(full).href, OWN_DESIGN_API, timeoutMs);
  let mod: Record<string, unknown>;
  hookDesignApi();
  try {
    // tsImport loads the file as an ES module wherever it lives (a .ts file outside a
    // "type": "module" package would otherwise be taken for CommonJS).
    mod = (await tsImport(pathToFileURL(full).href, import.meta.url)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`Cannot load design file ${loadErrorText(path, e)}`);
  }
  const candidates = exportedValues(mod);
  const design = candidates.find(looksLikeDesign);
  if (design === undefined) {
    const objects = candidates.filter((v): v is object => typeof v === "object" && v !== null);
    const nearest = objects.map((v) => missingFields(v)).sort((a, b) => a.length - b.length)[0];
    const why =
      nearest !== undefined && nearest.length < DESIGN_FIELDS.length
        ? `its export is not an AcompCtxDesign: missing ${nearest.join(", ")}`
        : "it exports no AcompCtxDesign (an object with name, prepare, acquire, ...)";
    throw new UsageError(`Cannot load design file ${path}: ${why}`);
  }
  try {
    registerDesign(design);
  } catch (e) {
    throw new UsageError(`Cannot load design file ${path}: ${(e as Error).message}`);
  }
  return design;
}
