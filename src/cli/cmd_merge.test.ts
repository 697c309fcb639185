import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cyrb53 } from "../sim/trace.ts";
import { zswapTsSync } from "./cli_test_util.ts";

const scratch = mkdtempSync(join(tmpdir(), "zswap-merge-"));

const zswapTs = (...args: string[]) => zswapTsSync(args);

/** The report without its timing ("in 12 ms", "12 ms"). */
const untimed = (s: string) => s.replace(/,? (in )?\d+ ms/g, "").replace(/"timeMs": \d+/g, "");

/** Writes shards 0..n-1 of a check; returns their paths. */
function shards(n: number, tag: string, ...args: string[]): string[] {
  return Array.from({ length: n }, (_, i) => {
    const path = join(scratch, `${tag}-${i}.json`);
    const r = zswapTs("check", ...args, "--shard", `${i}/${n}`, "--shard-file", path);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^shard ${i}/${n} of `));
    return path;
  });
}

/** Rewrites a shard file with `edit` applied and a valid checksum (a file from elsewhere). */
function rewritten(path: string, tag: string, edit: (j: Record<string, unknown>) => void): string {
  const { checksum: _, ...body } = JSON.parse(readFileSync(path, "utf8")) as Record<
    string,
    unknown
  >;
  edit(body);
  const out = join(scratch, `${tag}.json`);
  writeFileSync(out, JSON.stringify({ ...body, checksum: cyrb53(JSON.stringify(body)) }));
  return out;
}

describe("check --jobs, check --shard and zswap-ts merge", () => {
  for (const [d, s, extra] of [
    ["D7", "C1", []],
    ["D0", "C1", ["--strategy", "dfs"]],
  ] as const) {
    it(`${d} x ${s}: --jobs 2 and merged shards (N = 2, 3) print what --jobs 1 prints`, () => {
      const one = zswapTs("check", "-d", d, "-s", s, ...extra, "--jobs", "1", "--json");
      const two = zswapTs("check", "-d", d, "-s", s, ...extra, "--jobs", "2", "--json");
      assert.equal(two.status, one.status, two.stderr);
      assert.equal(untimed(two.stdout), untimed(one.stdout));
      for (const n of [2, 3]) {
        const files = shards(n, `${d}${s}n${n}`, "-d", d, "-s", s, ...extra);
        const merged = zswapTs("merge", ...files, "--json");
        assert.equal(merged.status, one.status, merged.stderr);
        assert.equal(untimed(merged.stdout), untimed(one.stdout));
      }
    });
  }

  it("refuses bad input with one line and exit 2", () => {
    const files = shards(2, "bad", "-d", "D7", "-s", "C1");
    const other = shards(2, "other", "-d", "D4", "-s", "C1");
    const text = readFileSync(files[1] as string, "utf8");
    const truncated = join(scratch, "truncated.json");
    writeFileSync(truncated, text.slice(0, text.length >> 1));
    const tampered = join(scratch, "tampered.json");
    writeFileSync(tampered, text.replace('"executions":', '"executions":1'));
    const version = rewritten(files[1] as string, "version", (j) => {
      j.version = "0.0.1";
    });
    const bound = rewritten(files[1] as string, "bound", (j) => {
      (j.search as Record<string, unknown>).bound = 3;
    });
    const unreduced = rewritten(files[1] as string, "por", (j) => {
      (j.search as Record<string, unknown>).por = false;
    });
    // A design no one registered (one from a file, loaded without --design-file).
    const unknown = files.map((f, i) =>
      rewritten(f, `unknown${i}`, (j) => {
        (j.search as Record<string, unknown>).design = "D99";
      }),
    );
    const cases: Array<[string[], RegExp]> = [
      [["check", "-d", "D7", "-s", "C1", "--jobs", "0"], /Invalid --jobs/],
      [["check", "-d", "D7", "-s", "C1", "--shard", "3/2"], /Invalid --shard/],
      [["check", "-d", "D7", "-s", "C1", "--shard", "x"], /Invalid --shard/],
      [["merge", files[0] as string, other[1] as string], /different searches \(design differ\)/],
      [["merge", files[0] as string, truncated], /not JSON/],
      [["merge", files[0] as string, tampered], /checksum mismatch/],
      [["merge", files[0] as string, version], /different zswap-ts versions/],
      [["merge", files[0] as string, bound], /different searches \(bound differ\)/],
      [["merge", files[0] as string, unreduced], /different searches \(por differ\)/],
      [["merge", files[0] as string], /missing shard\(s\) 1\/2/],
      [["merge", files[0] as string, files[0] as string], /given twice/],
      [["merge", ...unknown], /Unknown design 'D99'.*needs --design-file/],
    ];
    for (const [args, message] of cases) {
      const r = zswapTs(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  });
});
