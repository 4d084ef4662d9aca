/**
 * A JSON Schema (draft-07) flattened into one row per field, for people: the TUI's schema viewer and the
 * docs site's tables both read these rows. Handles local `$ref`s (`#/definitions/…`), allOf (merged),
 * anyOf/oneOf (types joined, object branches expanded), nested objects (`a.b`) and arrays (`a[]`).
 * Cycles are cut (shown once, marked `(recursive)`).
 */

export interface SchemaRow {
  /** Dotted path: `sentences[].speaker_name`; `(payload)` for a schema that is not an object. */
  readonly path: string;
  readonly depth: number;
  /** `string`, `integer | null`, `array of object`, `"created"` (const), … */
  readonly type: string;
  readonly required: boolean;
  /** Human constraints: `enum: a, b`, `≤ 86400`, `length ≤ 255`, `format date-time`, `default null`, … */
  readonly constraints: readonly string[];
  readonly description: string;
}

type Schema = { readonly [key: string]: unknown };

const MAX_DEPTH = 8;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolvePointer(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isSchema(node)) return undefined;
    node = node[token];
  }
  return isSchema(node) ? node : undefined;
}

/** Follow `$ref`s and merge `allOf`, keeping the referring node's own keywords (description wins). */
function normalise(root: Schema, schema: Schema, seen: Set<Schema>): Schema {
  let s = schema;
  for (let hops = 0; typeof s['$ref'] === 'string' && hops < 32; hops++) {
    const { $ref, ...rest } = s as Schema & { $ref: string };
    const target = resolvePointer(root, $ref);
    if (!target) return { ...rest, description: String(rest['description'] ?? `see ${$ref}`) };
    s = { ...target, ...rest };
  }
  if (Array.isArray(s['allOf'])) {
    const { allOf, ...rest } = s;
    let merged: Record<string, unknown> = {};
    for (const part of allOf as unknown[]) {
      if (!isSchema(part) || seen.has(part)) continue;
      const p = normalise(root, part, seen);
      merged = {
        ...merged,
        ...p,
        properties: { ...(merged['properties'] as object), ...(p['properties'] as object) },
        required: [...((merged['required'] as string[]) ?? []), ...((p['required'] as string[]) ?? [])],
      };
    }
    s = { ...merged, ...rest };
  }
  return s;
}

function branches(s: Schema): Schema[] {
  const list = (
    Array.isArray(s['anyOf']) ? s['anyOf'] : Array.isArray(s['oneOf']) ? s['oneOf'] : []
  ) as unknown[];
  return list.filter(isSchema);
}

function describeType(root: Schema, s: Schema, seen: Set<Schema>, depth: number): string {
  if ('const' in s) return JSON.stringify(s['const']);
  const alternatives = branches(s);
  if (alternatives.length > 0)
    return [
      ...new Set(alternatives.map((b) => describeType(root, normalise(root, b, seen), seen, depth + 1))),
    ].join(' | ');
  const declared = s['type'];
  const types = Array.isArray(declared)
    ? (declared as string[])
    : typeof declared === 'string'
      ? [declared]
      : s['properties']
        ? ['object']
        : s['items']
          ? ['array']
          : Array.isArray(s['enum'])
            ? ['enum']
            : ['any'];
  return types
    .map((t) => {
      if (t !== 'array' || depth > MAX_DEPTH) return t;
      const items = s['items'];
      if (!isSchema(items)) return 'array';
      return `array of ${describeType(root, normalise(root, items, seen), seen, depth + 1)}`;
    })
    .join(' | ');
}

function number(value: number): string {
  return Number.isInteger(value) && Math.abs(value) >= 10_000 ? value.toLocaleString('en-US') : String(value);
}

/** The constraints of one node, in the words the docs and TUI show. */
export function constraintsOf(s: Schema): string[] {
  const out: string[] = [];
  if (Array.isArray(s['enum']))
    out.push(`enum: ${(s['enum'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
  if (typeof s['format'] === 'string') out.push(`format ${s['format']}`);
  if (typeof s['pattern'] === 'string') out.push(`pattern ${s['pattern']}`);
  if (typeof s['minimum'] === 'number') out.push(`≥ ${number(s['minimum'])}`);
  if (typeof s['exclusiveMinimum'] === 'number') out.push(`> ${number(s['exclusiveMinimum'])}`);
  if (typeof s['maximum'] === 'number') out.push(`≤ ${number(s['maximum'])}`);
  if (typeof s['exclusiveMaximum'] === 'number') out.push(`< ${number(s['exclusiveMaximum'])}`);
  if (typeof s['multipleOf'] === 'number') out.push(`multiple of ${s['multipleOf']}`);
  if (typeof s['minLength'] === 'number' && s['minLength'] > 0)
    out.push(`length ≥ ${number(s['minLength'])}`);
  if (typeof s['maxLength'] === 'number') out.push(`length ≤ ${number(s['maxLength'])}`);
  if (typeof s['minItems'] === 'number' && s['minItems'] > 0) out.push(`items ≥ ${number(s['minItems'])}`);
  if (typeof s['maxItems'] === 'number') out.push(`items ≤ ${number(s['maxItems'])}`);
  if (s['uniqueItems'] === true) out.push('unique items');
  if ('default' in s) out.push(`default ${JSON.stringify(s['default'])}`);
  if (s['x-bloodbank-default'] === 'now') out.push('default: now (filled at publish)');
  if (s['additionalProperties'] === false && s['properties']) out.push('closed');
  return out;
}

/** Flatten `schema` into rows. `root` resolves `$ref`s (defaults to the schema itself). */
export function schemaRows(schema: unknown, root: unknown = schema): SchemaRow[] {
  if (!isSchema(schema)) return [];
  const base = isSchema(root) ? root : schema;
  const rows: SchemaRow[] = [];
  const seen = new Set<Schema>();

  const visitObject = (s: Schema, prefix: string, depth: number) => {
    const properties = isSchema(s['properties']) ? s['properties'] : {};
    const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
    for (const [name, raw] of Object.entries(properties)) {
      if (!isSchema(raw)) continue;
      visit(raw, prefix === '' ? name : `${prefix}.${name}`, required.has(name), depth);
    }
  };

  const visit = (raw: Schema, path: string, required: boolean, depth: number) => {
    if (seen.has(raw)) {
      rows.push({ path, depth, type: 'object', required, constraints: ['(recursive)'], description: '' });
      return;
    }
    seen.add(raw);
    const s = normalise(base, raw, seen);
    const alternatives = branches(s).map((b) => normalise(base, b, seen));
    const constraints = [...constraintsOf(s), ...alternatives.flatMap((b) => constraintsOf(b))];
    rows.push({
      path,
      depth,
      type: describeType(base, s, seen, depth),
      required,
      constraints: [...new Set(constraints)],
      description: typeof s['description'] === 'string' ? s['description'] : '',
    });
    if (depth < MAX_DEPTH) {
      for (const node of [s, ...alternatives]) {
        if (isSchema(node['properties'])) visitObject(node, path, depth + 1);
        const items = node['items'];
        if (isSchema(items)) {
          const item = normalise(base, items, seen);
          const itemAlternatives = [item, ...branches(item).map((b) => normalise(base, b, seen))];
          for (const i of itemAlternatives)
            if (isSchema(i['properties'])) visitObject(i, `${path}[]`, depth + 1);
        }
      }
    }
    seen.delete(raw);
  };

  const top = normalise(base, schema, seen);
  if (isSchema(top['properties'])) visitObject(top, '', 0);
  else visit(schema, '(payload)', true, 0);
  return rows;
}
