/**
 * Loading a reviewer's design from a file (`check --design-file`, `replay --design-file`): a
 * TypeScript or JavaScript module that exports one AcompCtxDesign, as its default export or as
 * any named export. tsx loads it, so a .ts file needs no build.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import type { AcompCtxDesign } from "../zswap/acomp_ctx/design.ts";
import { registerDesign } from "../zswap/acomp_ctx/index.ts";
import { UsageError } from "./main.ts";

function looksLikeDesign(v: unknown): v is AcompCtxDesign {
  return typeof v === "object" && v !== null && "name" in v && "acquire" in v && "prepare" in v;
}

/** Imports `path`, registers the design it exports, and returns it. */
export async function loadDesignFile(path: string): Promise<AcompCtxDesign> {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`Cannot load design file ${path}: no such file`);
  let mod: Record<string, unknown>;
  try {
    // tsImport loads the file as an ES module wherever it lives (a .ts file outside a
    // "type": "module" package would otherwise be taken for CommonJS).
    mod = (await tsImport(pathToFileURL(full).href, import.meta.url)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`Cannot load design file ${path}: ${(e as Error).message.split("\n")[0]}`);
  }
  const candidates = [
    mod.default,
    ...Object.entries(mod)
      .filter(([k]) => k !== "default")
      .map(([, v]) => v),
  ];
  const design = candidates.find(looksLikeDesign);
  if (design === undefined) {
    throw new UsageError(
      `Cannot load design file ${path}: it exports no AcompCtxDesign (an object with name, prepare, acquire, ...)`,
    );
  }
  try {
    registerDesign(design);
  } catch (e) {
    throw new UsageError(`Cannot load design file ${path}: ${(e as Error).message}`);
  }
  return design;
}
