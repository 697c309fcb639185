/**
 * `zswap-ts design new NAME [--from D7]`: writes a starting file for a reviewer's own design,
 * importing only from the public design API (`zswap-ts/design`), ready for
 * `zswap-ts check --design-file NAME.ts`.
 */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { allDesigns, designByName } from "../zswap/acomp_ctx/index.ts";
import { UsageError } from "./usage_error.ts";

/** Designs whose acquire is exactly raw_cpu_ptr() then mutex_lock(), so it can be spelled out. */
const PLAIN_ACQUIRE = new Set(["D0", "D7", "D7-v14"]);

/** The file's text: the base design spread, with acquire and release spelled out when plain. */
export function designTemplate(name: string, from: string): string {
  const base = from.replace("-", "_").toUpperCase();
  const plain = PLAIN_ACQUIRE.has(from);
  const hooks = plain
    ? `  /** acomp_ctx_get_cpu_lock(): the current CPU's ctx, with its mutex held. */
  *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> {
    const area = use(k, pool, "read pool->acomp_ctx").acompCtx;
    if (area === null) throw new Error("acquire: pool has no ctx area");
    const ctx = rawCpuPtr(k, area);
    // The task may be preempted, and migrated, between reading its CPU and locking the ctx.
    yield* preemptPoint(k, "percpu", "raw_cpu_ptr(pool->acomp_ctx)");
    yield* mutexLock(k, ctx.mutex);
    return ctx;
  },
  /** acomp_ctx_put_unlock(). */
  release(k: Kernel, ctx: AcompCtx): void {
    mutexUnlock(k, ctx.mutex);
  },
`
    : `  // ${from}'s hooks are kept as they are; override the ones you change, e.g.
  // *acquire(k: Kernel, pool: PoolObj): Op<AcompCtx> { ... },
`;
  const imports = plain
    ? [
        "type AcompCtx",
        "defineDesign",
        base,
        "type Kernel",
        "mutexLock",
        "mutexUnlock",
        "type Op",
        "type PoolObj",
        "preemptPoint",
        "rawCpuPtr",
        "use",
      ]
    : ["defineDesign", base];
  return `/**
 * ${name}: a design of my own, started from ${from} by \`zswap-ts design new\`.
 *
 *   npx zswap-ts check --design-file ${name}.ts            # every scenario
 *   npx zswap-ts check --design-file ${name}.ts -s C1      # one
 *
 * Every hook of ${from} is kept (\`...${base}\`)${plain ? "; acquire and release are written out below as a\n * starting point" : ""}. Override any hook (allocCtxs, prepare, dead, acquire, release,
 * createFailed, destroyCtxs); docs/designs.md says what each one must do.
 */
import { ${imports.join(", ")} } from "zswap-ts/design";

export default defineDesign({
  ...${base},
  name: ${JSON.stringify(name)},
  summary: "describe the change in one line",
  versions: "not merged",
${hooks}});
`;
}

function designNew(name: string, opts: { from: string; out?: string; force?: boolean }): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    throw new UsageError(
      `Cannot create design '${name}': expected a letter, then letters, digits, '-' or '_'`,
    );
  }
  let base: string;
  try {
    base = designByName(opts.from).name;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (allDesigns().some((d) => d.name.toLowerCase() === name.toLowerCase())) {
    throw new UsageError(`Cannot create design '${name}': a shipped design has that name`);
  }
  const path = resolve(opts.out ?? `${name}.ts`);
  if (existsSync(path) && opts.force !== true) {
    throw new UsageError(`Cannot write ${path}: it exists (pass --force to replace it)`);
  }
  writeFileSync(path, designTemplate(name, base));
  process.stdout.write(
    `wrote ${path} (from ${base}); check it with: zswap-ts check --design-file ${path}\n`,
  );
}

export function designCommand(): Command {
  const design = new Command("design").description("write and manage your own acomp_ctx designs");
  design
    .command("new")
    .description("write a starting file for a design of your own, built on zswap-ts/design")
    .argument("<name>", "the design's name (letters, digits, '-', '_'); the file is NAME.ts")
    .option("--from <design>", "the shipped design to start from (D0 ... D7, D7-v14)", "D7")
    .option("-o, --out <file>", "where to write it (default: ./NAME.ts)")
    .option("--force", "replace an existing file")
    .action((name: string, opts: { from: string; out?: string; force?: boolean }) =>
      designNew(name, opts),
    );
  return design;
}
