// Every --json output against its schema in docs/schema/, from the real binary; and the naming
// rule (kernel names verbatim, camelCase otherwise) over the schemas' field names.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { zswapTs } from "./cli_test_util.ts";
import { roundFloat, SCHEMA_VERSION } from "./json_out.ts";
import { fieldNames, type Schema, validate } from "./json_schema_test_util.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const scratch = fs.mkdtempSync(join(tmpdir(), "zswap-ts-schema-test-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const schema = (name: string): Schema =>
  JSON.parse(fs.readFileSync(join(repo, "docs/schema", `${name}.schema.json`), "utf8")) as Schema;

/** `zswap-ts ...args` as a child process; its stdout parsed as JSON. */
async function zswapJson(...args: string[]): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await zswapTs(...args);
  if (code !== 0 && code !== 1)
    throw new Error(`zswap-ts ${args.join(" ")}: exit ${code}: ${stderr}`);
  return JSON.parse(stdout) as Record<string, unknown>;
}

function assertValid(name: string, value: Record<string, unknown>): void {
  assert.equal(value.schemaVersion, SCHEMA_VERSION);
  assert.equal(Object.keys(value)[0], "schemaVersion");
  assert.deepEqual(
    validate(schema(name), value),
    [],
    `${name}: ${JSON.stringify(value).slice(0, 200)}`,
  );
  assertRounded(value, "$");
}

/** No float with more digits than roundFloat leaves. */
function assertRounded(v: unknown, path: string): void {
  if (typeof v === "number") assert.equal(v, roundFloat(v), `${path}: ${v} is not rounded`);
  else if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) assertRounded(x, `${path}[${i}]`);
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) assertRounded(x, `${path}.${k}`);
  }
}

describe("--json outputs against docs/schema", () => {
  it("run and run --compare", async () => {
    const [run, compare] = await Promise.all([
      zswapJson("run", "--size", "1M", "--json"),
      zswapJson("run", "--size", "1M", "--compare", "lz4,deflate", "--json"),
    ]);
    assertValid("run", run);
    assertValid("compare", compare);
  });

  it("check: a verified cell, a bug with its trace, the list, the self-test, a replay", async () => {
    const [verified, bug, list] = await Promise.all([
      zswapJson("check", "-d", "D7", "-s", "C1", "--json"),
      zswapJson("check", "-d", "D0", "-s", "C1", "--json"),
      zswapJson("check", "--list", "--json"),
    ]);
    assert.equal(verified.verdict, "verified");
    assert.equal(bug.verdict, "bug");
    assert.ok(Array.isArray(bug.trace));
    for (const v of [verified, bug, list]) assertValid("check", v);
    const [replayed, self] = await Promise.all([
      zswapJson("replay", String(bug.token), "--json"),
      zswapJson("check", "--selftest", "--json"),
    ]);
    assertValid("check", replayed);
    assertValid("check", self);
  });

  it("soak and corpus", async () => {
    const [soak, corpus] = await Promise.all([
      zswapJson("soak", "--ops", "2000", "--json"),
      zswapJson("corpus", "--out", join(scratch, "c.pages"), "--size", "64K", "--json"),
    ]);
    assertValid("soak", soak);
    assertValid("corpus", corpus);
  });
});

describe("the schema validator", () => {
  const s: Schema = {
    type: "object",
    properties: {
      n: { type: "integer", minimum: 0 },
      kind: { enum: ["a", "b"] },
      m: { type: "object", additionalProperties: { type: "integer" } },
      x: { anyOf: [{ type: "null" }, { $ref: "#/$defs/p" }] },
    },
    required: ["n"],
    $defs: {
      p: { type: "object", properties: { sha: { type: "string", pattern: "^[0-9a-f]+$" } } },
    },
  };

  it("accepts a valid value and reports each kind of problem", () => {
    assert.deepEqual(validate(s, { n: 1, kind: "a", m: { z: 2 }, x: { sha: "ab" } }), []);
    assert.match(validate(s, {}).join(), /missing required field "n"/);
    assert.match(validate(s, { n: 1.5 }).join(), /\$\.n: expected integer, got number/);
    assert.match(validate(s, { n: -1 }).join(), /at least 0/);
    assert.match(validate(s, { n: 1, kind: "c" }).join(), /one of/);
    assert.match(validate(s, { n: 1, m: { z: "2" } }).join(), /\$\.m\.z: expected integer/);
    assert.match(validate(s, { n: 1, x: { sha: "XY" } }).join(), /none of anyOf/);
    assert.match(validate({ oneOf: [] }, 1).join(), /not supported/);
  });
});

/** Kernel names kept verbatim in field names: debugfs files and zswap's module parameters. */
const KERNEL_FIELD_NAMES = new Set([
  "stored_pages",
  "pool_total_size",
  "max_pool_percent",
  "accept_threshold_percent",
  "shrinker_enabled",
]);
const CAMEL = /^[a-z][a-zA-Z0-9]*$/;

describe("field names", () => {
  it("are camelCase, or a kernel name verbatim", () => {
    for (const name of ["run", "compare", "check", "soak", "corpus"]) {
      const bad = [...fieldNames(schema(name))].filter(
        (f) => !CAMEL.test(f) && !KERNEL_FIELD_NAMES.has(f),
      );
      assert.deepEqual(bad, [], `${name}.schema.json`);
    }
    // The rule fires on a snake_case name that is no kernel name.
    const planted = { properties: { store_mb_per_s: {}, ok: {} } };
    assert.deepEqual(
      [...fieldNames(planted)].filter((f) => !CAMEL.test(f) && !KERNEL_FIELD_NAMES.has(f)),
      ["store_mb_per_s"],
    );
  });
});
