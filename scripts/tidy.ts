/**
 * Tidy check: kernel-side code must stay deterministic and executor-agnostic.
 *
 * In src/kernel, src/mm, src/zsmalloc, src/crypto, src/zswap, src/sim and src/check, it forbids
 * what would make a simulation irreproducible or tie the code to one executor, and says what to
 * use instead. Comments and strings are not inspected. Test files (*.test.ts) are exempt.
 * Files may opt out of one rule on one line with `// tidy:allow <rule> -- reason`.
 *
 * In all of src/ (tests and test utilities exempt), imports flow down the layers and no file
 * imports itself back through others at run time (an import cycle).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const KERNEL_SIDE = [
  "src/kernel",
  "src/mm",
  "src/zsmalloc",
  "src/crypto",
  "src/zswap",
  "src/sim",
  "src/check",
  "src/util",
];

interface Rule {
  readonly name: string;
  readonly pattern: RegExp;
  readonly instead: string;
}

const RULES: readonly Rule[] = [
  {
    name: "await",
    pattern: /\bawait\b|\basync\s+(function|\(|[a-zA-Z_$][\w$]*\s*=>)/,
    instead: "yield an effect (Op<T>) and let the executor wait",
  },
  {
    name: "Date",
    pattern: /\bDate\b/,
    instead: "virtual time from the kernel (k.clock) or the executor",
  },
  {
    name: "Math.random",
    pattern: /\bMath\.random\b/,
    instead: "a decision through choose() or the seeded Rng (src/util/rng.ts)",
  },
  {
    name: "timers",
    pattern: /\b(setTimeout|setInterval|setImmediate|queueMicrotask|performance\.now)\b/,
    instead: "a workqueue task or a sched() yield point",
  },
  {
    name: "console",
    pattern: /\bconsole\./,
    instead: "k.note() for traces, or return a report to the CLI",
  },
  {
    name: "process",
    pattern: /\bprocess\./,
    instead: "parameters passed in from the CLI or the library facade",
  },
  {
    name: "node-import",
    pattern: /(from\s+|import\s*\(\s*|require\s*\(\s*)["']node:/,
    instead: "an adapter passed in through the kernel object (src/real provides the Node side)",
  },
];

/** Blanks out comments and string/template contents, keeping line structure. */
export function stripCommentsAndStrings(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    const n = src[i + 1];
    if (c === "/" && n === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && n === "*") {
      i += 2;
      while (i < src.length && !(src[i] === "*" && src[i + 1] === "/"))
        out += src[i++] === "\n" ? "\n" : "";
      i += 2;
    } else if (c === '"' || c === "'" || c === "`") {
      const q = c;
      out += q;
      i++;
      while (i < src.length && src[i] !== q) {
        if (src[i] === "\\") i++;
        else if (src[i] === "\n") out += "\n";
        i++;
      }
      out += q;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function tidyFile(path: string, src: string): string[] {
  const findings: string[] = [];
  // Keep import specifiers visible: "node:" imports are the one string we must see.
  const importLines = src.split("\n");
  const code = stripCommentsAndStrings(src).split("\n");
  code.forEach((line, idx) => {
    const raw = importLines[idx] ?? "";
    for (const rule of RULES) {
      const text = rule.name === "node-import" ? raw.replace(/\/\/.*$/, "") : line;
      if (!rule.pattern.test(text)) continue;
      if (new RegExp(`tidy:allow ${rule.name.replace(".", "\\.")}\\b`).test(raw)) continue;
      findings.push(
        `${path}:${idx + 1}: ${rule.name} is not allowed in kernel-side code; use ${rule.instead}`,
      );
    }
  });
  return findings;
}

function walk(dir: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts") && !p.endsWith("_test_util.ts"))
      out.push(p);
  }
}

/**
 * The layers of docs/ARCHITECTURE.md §2, lowest first: a file may import its own folder and
 * folders of lower rank only (cli -> {real, check, workload} -> sim -> zswap -> {crypto,
 * zsmalloc, mm} -> kernel -> util). Tests are exempt.
 */
const LAYER_RANK: Record<string, number> = {
  util: -1,
  kernel: 0,
  zsmalloc: 1,
  mm: 1,
  crypto: 1,
  zswap: 2,
  sim: 3,
  check: 4,
  real: 4,
  workload: 4,
  cli: 5,
};

/** Imports that go up or sideways between layers, with file:line. */
export function layeringFindings(path: string, src: string): string[] {
  const layer = path.split("/")[1] ?? "";
  const rank = LAYER_RANK[layer];
  if (rank === undefined) return [];
  const findings: string[] = [];
  src.split("\n").forEach((line, idx) => {
    const m = /from "(\.[^"]+)"/.exec(line);
    if (m === null) return;
    const target = join(path, "..", m[1] as string).split("/");
    const to = target[0] === "src" ? (target[1] ?? "") : "";
    const toRank = LAYER_RANK[to];
    if (to === layer || toRank === undefined || toRank < rank) return;
    findings.push(
      `${path}:${idx + 1}: ${layer} may not import ${to} (imports flow down: cli -> real/check/workload -> sim -> zswap -> crypto/zsmalloc/mm -> kernel -> util)`,
    );
  });
  return findings;
}

/**
 * The modules `src` imports at run time, as paths relative to the repository root: relative
 * `import`/`export ... from` and side-effect imports. Type-only imports (`import type`, or every
 * name marked `type`) are left out: they vanish in the build and order nothing at load time, so a
 * module may name a type of a module that imports it (lockdep's functions take the Kernel).
 */
export function runtimeImports(path: string, src: string): string[] {
  const out: string[] = [];
  const stmt =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?([\w$\s{},*]*?)\s*(?:from\s*)?["'](\.[^"']+)["']/g;
  for (const m of src.matchAll(stmt)) {
    const [, , typeKeyword, clause = "", spec = ""] = m;
    if (typeKeyword !== undefined) continue;
    const braces = /^\{([^}]*)\}$/.exec(clause.trim());
    const names =
      braces?.[1]
        ?.split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "") ?? [];
    if (braces !== null && names.length > 0 && names.every((n) => n.startsWith("type "))) continue;
    out.push(join(path, "..", spec));
  }
  return out;
}

/**
 * Import cycles among `files` (path -> source), one finding per cycle found, as the chain of
 * files. A cycle makes the load order decide what a module sees of another (a class still in its
 * temporal dead zone), and it says two files are one concept in two places: each utility has one
 * home below its users (docs/ARCHITECTURE.md §2).
 */
export function cycleFindings(files: ReadonlyMap<string, string>): string[] {
  const graph = new Map<string, string[]>();
  for (const [path, src] of files)
    graph.set(
      path,
      runtimeImports(path, src).filter((t) => files.has(t)),
    );
  const findings: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  // Depth-first over the import graph; a back edge to a file on the stack closes a cycle.
  const visit = (v: string): void => {
    state.set(v, "open");
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (state.get(w) === "open") {
        const chain = [...stack.slice(stack.indexOf(w)), w];
        findings.push(
          `${v}: import cycle ${chain.join(" -> ")} (move what both need into a file of its own below them)`,
        );
      } else if (!state.has(w)) visit(w);
    }
    stack.pop();
    state.set(v, "done");
  };
  for (const v of [...graph.keys()].sort()) if (!state.has(v)) visit(v);
  return findings;
}

/** Every finding in the tree at `root` (its src/), and how many files were read. */
export function tidyTree(root: string): { findings: string[]; kernelSide: number; all: number } {
  const files: string[] = [];
  for (const d of KERNEL_SIDE) walk(join(root, d), files);
  const everything: string[] = [];
  walk(join(root, "src"), everything);
  const sources = new Map(everything.map((f) => [relative(root, f), readFileSync(f, "utf8")]));
  const findings = [
    ...files.flatMap((f) => tidyFile(relative(root, f), readFileSync(f, "utf8"))),
    ...[...sources].flatMap(([path, src]) => layeringFindings(path, src)),
    ...cycleFindings(sources),
  ];
  return { findings, kernelSide: files.length, all: everything.length };
}

/** `tsx scripts/tidy.ts [root]`: the repository this script is in, or `root`. */
function main(): void {
  const root = process.argv[2] ?? join(import.meta.dirname, "..");
  const { findings, kernelSide, all } = tidyTree(root);
  if (findings.length > 0) {
    for (const f of findings) process.stderr.write(`${f}\n`);
    process.stderr.write(`tidy: ${findings.length} finding(s)\n`);
    process.exit(1);
  }
  process.stdout.write(
    `tidy: ${kernelSide} kernel-side files clean; ${all} files follow the layering, without import cycles\n`,
  );
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
