/** The package's version, in a file of its own so a command can read it without main.ts. */
import { existsSync, readFileSync } from "node:fs";

/** The package's version, from src/cli/ (sources) or dist/src/cli/ (the build). */
export function version(): string {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { name?: string; version: string };
    if (pkg.name === "zswap-ts") return pkg.version;
  }
  return "unknown";
}
