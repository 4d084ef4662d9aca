import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { generateMock } from '../../../apps/shared/mock.js';
import { registry } from '../../../generated/registry.js';

const require = createRequire(import.meta.url);
const addFormats = (require('ajv-formats') as { default: (ajv: Ajv) => Ajv }).default;
const MOCKS = 200;

/** Every pointer to a leaf or container in a value, to check optional fields against the schema. */
function maxStringAndArray(value: unknown, acc = { string: 0, array: 0 }): { string: number; array: number } {
  if (typeof value === 'string') acc.string = Math.max(acc.string, [...value].length);
  else if (Array.isArray(value)) {
    acc.array = Math.max(acc.array, value.length);
    for (const v of value) maxStringAndArray(v, acc);
  } else if (value && typeof value === 'object')
    for (const v of Object.values(value)) maxStringAndArray(v, acc);
  return acc;
}

type Node = { [key: string]: unknown };

/**
 * For every optional property at any depth (through $ref, arrays and nullable objects), how often it is
 * present and how often absent, counted over the objects that hold it.
 */
function optionalFieldCounts(
  root: unknown,
  mocks: unknown[],
): Map<string, { present: number; absent: number }> {
  const counts = new Map<string, { present: number; absent: number }>();
  const resolve = (schema: unknown): Node => {
    let s = schema as Node;
    while (typeof s?.['$ref'] === 'string') {
      const path = (s['$ref'] as string).slice(2).split('/');
      s = path.reduce<unknown>((n, k) => (n as Node)[k], root) as Node;
    }
    return s ?? {};
  };
  const visit = (schema: unknown, value: unknown, path: string): void => {
    const s = resolve(schema);
    if (Array.isArray(value)) {
      for (const item of value) visit(s['items'], item, `${path}/*`);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const required = (s['required'] as string[] | undefined) ?? [];
    for (const [name, sub] of Object.entries((s['properties'] as Node | undefined) ?? {})) {
      const here = `${path}/${name}`;
      const has = name in value;
      if (!required.includes(name)) {
        const c = counts.get(here) ?? { present: 0, absent: 0 };
        if (has) c.present++;
        else c.absent++;
        counts.set(here, c);
      }
      if (has) visit(sub, (value as Node)[name], here);
    }
  };
  for (const mock of mocks) visit(root, mock, '');
  return counts;
}

describe('generateMock', () => {
  it.each(registry.list().map((d) => [d.key, d] as const))(
    '%s: 200 mocks validate, ≥95%% distinct, within caps, optional fields both present and absent',
    (_key, def) => {
      const mocks = Array.from({ length: MOCKS }, (_, i) => generateMock(def.schema, { seed: i + 1 }));
      for (const mock of mocks) {
        const result = def.validatePublish(structuredClone(mock));
        expect(result.ok ? [] : result.issues).toEqual([]);
        const caps = maxStringAndArray(mock);
        expect(caps.string).toBeLessThanOrEqual(64);
        expect(caps.array).toBeLessThanOrEqual(5);
      }
      const distinct = new Set(mocks.map((m) => JSON.stringify(m)));
      expect(distinct.size).toBeGreaterThanOrEqual(MOCKS * 0.95);

      for (const [path, counts] of optionalFieldCounts(def.schema, mocks)) {
        expect({ path, present: counts.present > 0, absent: counts.absent > 0 }).toEqual({
          path,
          present: true,
          absent: true,
        });
      }
    },
  );

  it('is reproducible with a seed and varies without one', () => {
    const schema = registry.require('llm.prompt').schema;
    expect(generateMock(schema, { seed: 7 })).toEqual(generateMock(schema, { seed: 7 }));
    const unseeded = new Set(Array.from({ length: 10 }, () => JSON.stringify(generateMock(schema))));
    expect(unseeded.size).toBeGreaterThan(1);
  });

  it.each([
    ['minLength above the cap', { type: 'string', minLength: 100, maxLength: 200 }],
    ['minItems above the cap', { type: 'array', minItems: 8, items: { type: 'integer' } }],
    ['pattern', { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*){1,5}$' }],
    ['exclusive bounds', { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }],
    ['ref into definitions', { $ref: '#/definitions/x', definitions: { x: { enum: ['a', 'b'] } } }],
    ['uniqueItems', { type: 'array', minItems: 3, uniqueItems: true, items: { type: 'integer' } }],
  ])('honours %s', (_name, schema) => {
    const ajv = addFormats(new Ajv({ strict: false }));
    const validate = ajv.compile(schema);
    for (let seed = 1; seed <= 50; seed++) {
      const mock = generateMock(schema, { seed });
      expect(validate(mock), `${JSON.stringify(mock)} ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
