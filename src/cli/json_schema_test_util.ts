/**
 * A validator for the subset of JSON Schema (2020-12) that docs/schema/*.json use: type (one or
 * a list; "integer"), properties, required, additionalProperties (false or a schema), items,
 * enum, const, anyOf, allOf, $ref to "#/$defs/<name>", minimum, pattern. Any other keyword in
 * a schema is an error here, so a schema cannot silently rely on something unchecked.
 */
export type Schema = { readonly [k: string]: unknown };

const KNOWN = new Set([
  "$schema",
  "$id",
  "$defs",
  "title",
  "description",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "anyOf",
  "allOf",
  "$ref",
  "minimum",
  "pattern",
]);

/** The problems of `value` against `schema` (empty: valid), each "path: what". */
export function validate(
  schema: Schema,
  value: unknown,
  root: Schema = schema,
  path = "$",
): string[] {
  for (const k of Object.keys(schema)) {
    if (!KNOWN.has(k)) return [`${path}: schema keyword "${k}" is not supported by this validator`];
  }
  const errs: string[] = [];
  if (typeof schema.$ref === "string") {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name === undefined ? undefined : (root.$defs as Record<string, Schema>)?.[name];
    if (target === undefined) return [`${path}: unresolved $ref ${schema.$ref}`];
    errs.push(...validate(target, value, root, path));
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => hasType(value, t as string))) {
      return [`${path}: expected ${types.join(" or ")}, got ${typeName(value)}`];
    }
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    errs.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
    errs.push(
      `${path}: expected one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`,
    );
  }
  if (typeof schema.minimum === "number" && typeof value === "number" && value < schema.minimum) {
    errs.push(`${path}: expected at least ${schema.minimum}, got ${value}`);
  }
  if (typeof schema.pattern === "string" && typeof value === "string") {
    if (!new RegExp(schema.pattern, "u").test(value))
      errs.push(`${path}: "${value}" does not match ${schema.pattern}`);
  }
  if (Array.isArray(schema.allOf)) {
    for (const s of schema.allOf) errs.push(...validate(s as Schema, value, root, path));
  }
  if (Array.isArray(schema.anyOf)) {
    const all = schema.anyOf.map((s) => validate(s as Schema, value, root, path));
    if (!all.some((e) => e.length === 0)) {
      // The nearest branch: one of the value's type, with the fewest problems.
      const typed = all.filter((e) => !e.some((x) => x.startsWith(`${path}: expected`)));
      const best = (typed.length > 0 ? typed : all).reduce((a, b) => (b.length < a.length ? b : a));
      errs.push(`${path}: matches none of anyOf; nearest: ${best.join("; ")}`);
    }
  }
  if (isObject(value)) errs.push(...validateObject(schema, value, root, path));
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((v, i) => {
      errs.push(...validate(schema.items as Schema, v, root, `${path}[${i}]`));
    });
  }
  return errs;
}

function validateObject(
  schema: Schema,
  value: Record<string, unknown>,
  root: Schema,
  path: string,
): string[] {
  const errs: string[] = [];
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const r of (schema.required ?? []) as string[]) {
    if (!Object.hasOwn(value, r)) errs.push(`${path}: missing required field "${r}"`);
  }
  for (const [k, v] of Object.entries(value)) {
    const p = props[k];
    if (p !== undefined) errs.push(...validate(p, v, root, `${path}.${k}`));
    else if (schema.additionalProperties === false) errs.push(`${path}: unexpected field "${k}"`);
    else if (isObject(schema.additionalProperties)) {
      errs.push(...validate(schema.additionalProperties as Schema, v, root, `${path}.${k}`));
    }
  }
  return errs;
}

function hasType(v: unknown, t: string): boolean {
  if (t === "integer") return Number.isInteger(v);
  if (t === "number") return typeof v === "number" && Number.isFinite(v);
  if (t === "null") return v === null;
  if (t === "array") return Array.isArray(v);
  if (t === "object") return isObject(v);
  return typeof v === t;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (Number.isInteger(v)) return "integer";
  return typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The field names a schema declares (every `properties` key, anywhere), for the naming rule:
 * camelCase, or a kernel name listed in `kernelNames`. Map keys (additionalProperties) are data.
 */
export function fieldNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) fieldNames(s, out);
  else if (isObject(schema)) {
    for (const [k, v] of Object.entries(schema)) {
      if (k === "properties" && isObject(v)) for (const name of Object.keys(v)) out.add(name);
      fieldNames(v, out);
    }
  }
  return out;
}
