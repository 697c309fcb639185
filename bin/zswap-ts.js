#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` and `npm test` run) so
// that start-up does not compile TypeScript. When the sources are newer than the build (a
// developer edited src/ and did not rebuild), it runs the sources through tsx instead, so the
// command never runs stale code.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const sources = fileURLToPath(new URL("../src", import.meta.url));

/** Whether some file under src/ changed after the build was written. */
function buildIsStale() {
  const builtMs = statSync(built).mtimeMs;
  if (!existsSync(sources)) return false;
  for (const e of readdirSync(sources, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith(".ts")) continue;
    const path = `${e.parentPath ?? e.path}/${e.name}`;
    if (statSync(path).mtimeMs > builtMs) return true;
  }
  return false;
}

let main;
if (existsSync(built) && !buildIsStale()) {
  ({ main } = await import("../dist/src/cli/main.js"));
} else {
  const { register } = await import("tsx/esm/api");
  const { register: registerCjs } = await import("tsx/cjs/api");
  register();
  registerCjs();
  ({ main } = await import("../src/cli/main.ts"));
}
process.exitCode = await main(process.argv);
