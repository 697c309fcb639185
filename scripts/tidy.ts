/**
 * Tidy check: kernel-side code must stay deterministic and executor-agnostic.
 *
 * In src/kernel, src/mm, src/zsmalloc, src/crypto, src/zswap, src/sim and src/check, it forbids
 * what would make a simulation irreproducible or tie the code to one executor, and says what to
 * use instead. Comments and strings are not inspected. Test files (*.test.ts) are exempt.
 * Files may opt out of one rule on one line with `// tidy:allow <rule> -- reason`.
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
    instead: "a decision through choose() or the seeded Rng (src/sim/rng.ts)",
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
 * zsmalloc, mm} -> kernel). Tests are exempt.
 */
const LAYER_RANK: Record<string, number> = {
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
      `${path}:${idx + 1}: ${layer} may not import ${to} (imports flow down: cli -> real/check/workload -> sim -> zswap -> crypto/zsmalloc/mm -> kernel)`,
    );
  });
  return findings;
}

function main(): void {
  const root = join(import.meta.dirname, "..");
  const files: string[] = [];
  for (const d of KERNEL_SIDE) walk(join(root, d), files);
  const everything: string[] = [];
  walk(join(root, "src"), everything);
  const findings = [
    ...files.flatMap((f) => tidyFile(relative(root, f), readFileSync(f, "utf8"))),
    ...everything.flatMap((f) => layeringFindings(relative(root, f), readFileSync(f, "utf8"))),
  ];
  if (findings.length > 0) {
    for (const f of findings) process.stderr.write(`${f}\n`);
    process.stderr.write(`tidy: ${findings.length} finding(s)\n`);
    process.exit(1);
  }
  process.stdout.write(
    `tidy: ${files.length} kernel-side files clean; ${everything.length} files follow the layering\n`,
  );
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
