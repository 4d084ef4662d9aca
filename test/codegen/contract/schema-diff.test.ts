/**
 * Table-driven tests of the semantic schema diff: (old, new) → rules and the backward / forward verdict.
 * Every case is cross-checked by sampling: json-schema-faker instances valid under the old schema must be
 * accepted by a tolerant reader (ajv: unknown properties removed, defaults applied) built from the new
 * schema when the case says "backward", and the other way round for "forward".
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { generateSync } from 'json-schema-faker';
import { describe, expect, it } from 'vitest';
import type { RuleId } from '../../../codegen/contract/rules.js';
import { diffSchemas } from '../../../codegen/contract/schema-diff.js';
import type { Json, JsonObject } from '../../../codegen/schema-store.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface Case {
  readonly old: JsonObject;
  readonly new: JsonObject;
  /** Expected rule ids (sorted, with repeats). */
  readonly rules: readonly RuleId[];
  readonly backward: boolean;
  readonly forward: boolean;
  /** Expected pointers of the changes, when the case is about where. */
  readonly pointers?: readonly string[];
}

/** A closed object, as our catalogue writes them. */
const obj = (properties: JsonObject, required: string[] = []): JsonObject => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  additionalProperties: false,
});
const str: JsonObject = { type: 'string' };
const int: JsonObject = { type: 'integer' };

const person = obj({ name: { type: 'string', maxLength: 20 }, age: { type: 'integer', minimum: 0 } }, [
  'name',
]);
const withDefs = (root: JsonObject, definitions: JsonObject): JsonObject => ({ ...root, definitions });
const kindBranch = (kind: string, extra: JsonObject = {}, required: string[] = []): JsonObject =>
  obj({ kind: { const: kind }, ...extra }, ['kind', ...required]);

const CASES: ReadonlyArray<readonly [string, Case]> = [
  ['identical schemas', { old: person, new: person, rules: [], backward: true, forward: true }],
  [
    'title, description and examples edited (pure refactor)',
    {
      old: { ...person, title: 'Person', description: 'a', examples: [{ name: 'x' }] },
      new: { ...person, title: 'Human', description: 'b', examples: [], $comment: 'edited' },
      rules: [],
      backward: true,
      forward: true,
    },
  ],
  [
    'properties and keywords reordered (pure refactor)',
    {
      old: person,
      new: {
        additionalProperties: false,
        required: ['name'],
        properties: { age: { minimum: 0, type: 'integer' }, name: { maxLength: 20, type: 'string' } },
        type: 'object',
      },
      rules: [],
      backward: true,
      forward: true,
    },
  ],
  [
    'inline schema moved into a shared $ref definition (pure refactor)',
    {
      old: obj({ owner: person, reviewer: person }, ['owner']),
      new: withDefs(
        obj({ owner: { $ref: '#/definitions/Person' }, reviewer: { $ref: '#/definitions/Person' } }, [
          'owner',
        ]),
        {
          Person: person,
        },
      ),
      rules: [],
      backward: true,
      forward: true,
    },
  ],
  [
    '$ref to a renamed definition with the same content (pure refactor)',
    {
      old: withDefs(obj({ who: { $ref: '#/definitions/A' } }), { A: person }),
      new: withDefs(obj({ who: { $ref: '#/definitions/B', description: 'moved' } }), { B: person }),
      rules: [],
      backward: true,
      forward: true,
    },
  ],
  [
    '$ref retargeted to a definition that requires one more field',
    {
      old: withDefs(obj({ at: { $ref: '#/definitions/Place' } }, ['at']), {
        Place: obj({ city: str }, ['city']),
      }),
      new: withDefs(obj({ at: { $ref: '#/definitions/Site' } }, ['at']), {
        Place: obj({ city: str }, ['city']),
        Site: obj({ city: str, country: str }, ['city', 'country']),
      }),
      rules: ['required-property-added'],
      backward: false,
      forward: true,
      pointers: ['/at/country'],
    },
  ],
  [
    'allOf split into two parts (pure refactor)',
    {
      old: person,
      new: {
        allOf: [
          // The envelope's shape: a closed base naming every field, a branch that types one of them.
          obj({ name: { type: 'string', maxLength: 20 }, age: {} }, ['name']),
          { properties: { age: { type: 'integer', minimum: 0 } } },
        ],
      },
      rules: [],
      backward: true,
      forward: true,
    },
  ],
  [
    'optional property added',
    {
      old: person,
      new: obj({ ...(person['properties'] as JsonObject), email: str }, ['name']),
      rules: ['property-added'],
      backward: true,
      forward: true,
      pointers: ['/email'],
    },
  ],
  [
    'required property added without a default',
    {
      old: person,
      new: obj({ ...(person['properties'] as JsonObject), email: str }, ['name', 'email']),
      rules: ['required-property-added'],
      backward: false,
      forward: true,
    },
  ],
  [
    'required property added with a default',
    {
      old: person,
      new: obj({ ...(person['properties'] as JsonObject), lang: { type: 'string', default: 'en' } }, [
        'name',
        'lang',
      ]),
      rules: ['property-added'],
      backward: true,
      forward: true,
    },
  ],
  [
    'optional property removed',
    {
      old: person,
      new: obj({ name: { type: 'string', maxLength: 20 } }, ['name']),
      rules: ['property-removed'],
      backward: true,
      forward: true,
    },
  ],
  [
    'required property removed',
    {
      old: person,
      new: obj({ age: { type: 'integer', minimum: 0 } }),
      rules: ['required-property-removed'],
      backward: true,
      forward: false,
      pointers: ['/name'],
    },
  ],
  [
    'required property with a default removed',
    {
      old: obj({ a: str, lang: { type: 'string', default: 'en' } }, ['a', 'lang']),
      new: obj({ a: str }, ['a']),
      rules: ['property-removed'],
      backward: true,
      forward: true,
    },
  ],
  [
    'optional → required without a default',
    {
      old: obj({ a: str, b: str }, ['a']),
      new: obj({ a: str, b: str }, ['a', 'b']),
      rules: ['property-required'],
      backward: false,
      forward: true,
      pointers: ['/b'],
    },
  ],
  [
    'optional → required with a default',
    {
      old: obj({ a: str, b: { type: 'string', default: 'x' } }, ['a']),
      new: obj({ a: str, b: { type: 'string', default: 'x' } }, ['a', 'b']),
      rules: ['property-required'],
      backward: true,
      forward: true,
    },
  ],
  [
    'required → optional',
    {
      old: obj({ a: str, b: str }, ['a', 'b']),
      new: obj({ a: str, b: str }, ['a']),
      rules: ['property-optional'],
      backward: true,
      forward: false,
    },
  ],
  [
    'required → optional, the old schema had a default',
    {
      old: obj({ a: str, b: { type: 'string', default: 'x' } }, ['a', 'b']),
      new: obj({ a: str, b: { type: 'string', default: 'x' } }, ['a']),
      rules: ['property-optional'],
      backward: true,
      forward: true,
    },
  ],
  [
    'enum widened',
    {
      old: obj({ s: { enum: ['a', 'b'] } }, ['s']),
      new: obj({ s: { enum: ['a', 'b', 'c'] } }, ['s']),
      rules: ['enum-widened'],
      backward: true,
      forward: false,
    },
  ],
  [
    'enum narrowed',
    {
      old: obj({ s: { enum: ['a', 'b', 'c'] } }, ['s']),
      new: obj({ s: { enum: ['a', 'b'] } }, ['s']),
      rules: ['enum-narrowed'],
      backward: false,
      forward: true,
    },
  ],
  [
    'enum values both added and removed',
    {
      old: obj({ s: { enum: ['a', 'b'] } }, ['s']),
      new: obj({ s: { enum: ['a', 'c'] } }, ['s']),
      rules: ['enum-changed'],
      backward: false,
      forward: false,
    },
  ],
  [
    'enum added to a free string',
    {
      old: obj({ s: str }, ['s']),
      new: obj({ s: { type: 'string', enum: ['a'] } }, ['s']),
      rules: ['enum-narrowed'],
      backward: false,
      forward: true,
    },
  ],
  [
    'enum reordered (pure refactor)',
    {
      old: obj({ s: { enum: ['a', 'b', 'c'] } }, ['s']),
      new: obj({ s: { enum: ['c', 'a', 'b'] } }, ['s']),
      rules: [],
      backward: true,
      forward: true,
    },
  ],
  [
    'const changed',
    {
      old: obj({ v: { const: 1 } }, ['v']),
      new: obj({ v: { const: 2 } }, ['v']),
      rules: ['const-changed'],
      backward: false,
      forward: false,
    },
  ],
  [
    'const widened into an enum',
    {
      old: obj({ v: { const: 'a' } }, ['v']),
      new: obj({ v: { enum: ['a', 'b'] } }, ['v']),
      rules: ['enum-widened'],
      backward: true,
      forward: false,
    },
  ],
  [
    'integer → number',
    {
      old: obj({ n: int }, ['n']),
      new: obj({ n: { type: 'number' } }, ['n']),
      rules: ['type-widened'],
      backward: true,
      forward: false,
      pointers: ['/n'],
    },
  ],
  [
    'number → integer',
    {
      old: obj({ n: { type: 'number' } }, ['n']),
      new: obj({ n: int }, ['n']),
      rules: ['type-narrowed'],
      backward: false,
      forward: true,
    },
  ],
  [
    'string → number',
    {
      old: obj({ n: str }, ['n']),
      new: obj({ n: { type: 'number' } }, ['n']),
      rules: ['type-changed'],
      backward: false,
      forward: false,
    },
  ],
  [
    'a second type added',
    {
      old: obj({ n: str }, ['n']),
      new: obj({ n: { type: ['string', 'integer'] } }, ['n']),
      rules: ['type-widened'],
      backward: true,
      forward: false,
    },
  ],
  [
    'nullable: null added to the type list',
    {
      old: obj({ n: str }, ['n']),
      new: obj({ n: { type: ['string', 'null'] } }, ['n']),
      rules: ['nullable-added'],
      backward: true,
      forward: false,
    },
  ],
  [
    'nullable: anyOf with a null branch',
    {
      old: obj({ n: str }, ['n']),
      new: obj({ n: { anyOf: [str, { type: 'null' }] } }, ['n']),
      rules: ['nullable-added'],
      backward: true,
      forward: false,
    },
  ],
  [
    'nullable: OpenAPI nullable: true',
    {
      old: obj({ n: str }, ['n']),
      new: obj({ n: { type: 'string', nullable: true } }, ['n']),
      rules: ['nullable-added'],
      backward: true,
      forward: false,
    },
  ],
  [
    'nullable: type list rewritten as anyOf (pure refactor)',
    {
      old: obj({ n: { type: ['string', 'null'] } }, ['n']),
      new: obj({ n: { anyOf: [str, { type: 'null' }] } }, ['n']),
      rules: [],
      backward: true,
      forward: true,
    },
  ],
  [
    'nullable removed',
    {
      old: withDefs(obj({ n: { anyOf: [{ $ref: '#/definitions/S' }, { type: 'null' }] } }, ['n']), {
        S: str,
      }),
      new: obj({ n: str }, ['n']),
      rules: ['nullable-removed'],
      backward: false,
      forward: true,
    },
  ],
  [
    'maxLength tightened',
    {
      old: obj({ s: { type: 'string', maxLength: 20 } }, ['s']),
      new: obj({ s: { type: 'string', maxLength: 10 } }, ['s']),
      rules: ['bound-tightened'],
      backward: false,
      forward: true,
    },
  ],
  [
    'maxLength loosened',
    {
      old: obj({ s: { type: 'string', maxLength: 10 } }, ['s']),
      new: obj({ s: { type: 'string', maxLength: 20 } }, ['s']),
      rules: ['bound-loosened'],
      backward: true,
      forward: false,
    },
  ],
  [
    'minLength added',
    {
      old: obj({ s: str }, ['s']),
      new: obj({ s: { type: 'string', minLength: 3 } }, ['s']),
      rules: ['bound-tightened'],
      backward: false,
      forward: true,
    },
  ],
  [
    'maxItems tightened on a nested array',
    {
      old: obj({ list: { type: 'array', items: str, maxItems: 5 } }, ['list']),
      new: obj({ list: { type: 'array', items: str, maxItems: 2 } }, ['list']),
      rules: ['bound-tightened'],
      backward: false,
      forward: true,
      pointers: ['/list'],
    },
  ],
  [
    'minItems loosened',
    {
      old: obj({ list: { type: 'array', items: str, minItems: 2 } }, ['list']),
      new: obj({ list: { type: 'array', items: str, minItems: 1 } }, ['list']),
      rules: ['bound-loosened'],
      backward: true,
      forward: false,
    },
  ],
  [
    'minimum raised',
    {
      old: obj({ n: { type: 'integer', minimum: 0 } }, ['n']),
      new: obj({ n: { type: 'integer', minimum: 5 } }, ['n']),
      rules: ['bound-tightened'],
      backward: false,
      forward: true,
    },
  ],
  [
    'maximum removed',
    {
      old: obj({ n: { type: 'integer', maximum: 10 } }, ['n']),
      new: obj({ n: int }, ['n']),
      rules: ['bound-loosened'],
      backward: true,
      forward: false,
    },
  ],
  [
    'maximum 10 → exclusiveMaximum 10',
    {
      old: obj({ n: { type: 'number', maximum: 10 } }, ['n']),
      new: obj({ n: { type: 'number', exclusiveMaximum: 10 } }, ['n']),
      rules: ['bound-tightened'],
      backward: false,
      forward: true,
    },
  ],
  [
    'multipleOf 2 → 4',
    {
      old: obj({ n: { type: 'integer', multipleOf: 2 } }, ['n']),
      new: obj({ n: { type: 'integer', multipleOf: 4 } }, ['n']),
      rules: ['bound-tightened'],
      backward: false,
      forward: true,
    },
  ],
  [
    'uniqueItems added',
    {
      old: obj({ l: { type: 'array', items: int } }, ['l']),
      new: obj({ l: { type: 'array', items: int, uniqueItems: true } }, ['l']),
      rules: ['bound-tightened'],
      backward: false,
      forward: true,
    },
  ],
  [
    'pattern added',
    {
      old: obj({ s: str }, ['s']),
      new: obj({ s: { type: 'string', pattern: '^[a-z]+$' } }, ['s']),
      rules: ['pattern-added'],
      backward: false,
      forward: true,
    },
  ],
  [
    'pattern removed',
    {
      old: obj({ s: { type: 'string', pattern: '^[a-z]+$' } }, ['s']),
      new: obj({ s: str }, ['s']),
      rules: ['pattern-removed'],
      backward: true,
      forward: false,
    },
  ],
  [
    'pattern replaced (undecidable, counted as breaking)',
    {
      old: obj({ s: { type: 'string', pattern: '^[a-z]+$' } }, ['s']),
      new: obj({ s: { type: 'string', pattern: '^[a-z0-9]+$' } }, ['s']),
      rules: ['pattern-changed'],
      backward: false,
      forward: false,
    },
  ],
  [
    'format added',
    {
      old: obj({ id: str }, ['id']),
      new: obj({ id: { type: 'string', format: 'uuid' } }, ['id']),
      rules: ['format-added'],
      backward: false,
      forward: true,
    },
  ],
  [
    'format removed',
    {
      old: obj({ id: { type: 'string', format: 'uuid' } }, ['id']),
      new: obj({ id: str }, ['id']),
      rules: ['format-removed'],
      backward: true,
      forward: false,
    },
  ],
  [
    'format date → date-time',
    {
      old: obj({ d: { type: 'string', format: 'date' } }, ['d']),
      new: obj({ d: { type: 'string', format: 'date-time' } }, ['d']),
      rules: ['format-changed'],
      backward: false,
      forward: false,
    },
  ],
  [
    'oneOf with a const discriminator: branch added',
    {
      old: { oneOf: [kindBranch('a', { x: int }, ['x']), kindBranch('b', { y: str }, ['y'])] },
      new: {
        oneOf: [
          kindBranch('a', { x: int }, ['x']),
          kindBranch('b', { y: str }, ['y']),
          kindBranch('c', { z: str }),
        ],
      },
      rules: ['branch-added'],
      backward: true,
      forward: false,
    },
  ],
  [
    'oneOf with a const discriminator: branch removed',
    {
      old: { oneOf: [kindBranch('a', { x: int }, ['x']), kindBranch('b', { y: str }, ['y'])] },
      new: { oneOf: [kindBranch('a', { x: int }, ['x'])] },
      rules: ['branch-removed'],
      backward: false,
      forward: true,
    },
  ],
  [
    'oneOf with a const discriminator: branches reordered, one gains an optional field',
    {
      old: { oneOf: [kindBranch('a', { x: int }, ['x']), kindBranch('b', { y: str }, ['y'])] },
      new: { oneOf: [kindBranch('b', { y: str, note: str }, ['y']), kindBranch('a', { x: int }, ['x'])] },
      rules: ['property-added'],
      backward: true,
      forward: true,
      pointers: ['/note'],
    },
  ],
  [
    'oneOf with a const discriminator: a field inside one branch narrowed',
    {
      old: { oneOf: [kindBranch('a', { x: { type: 'number' } }, ['x']), kindBranch('b', { y: str }, ['y'])] },
      new: { oneOf: [kindBranch('a', { x: int }, ['x']), kindBranch('b', { y: str }, ['y'])] },
      rules: ['type-narrowed'],
      backward: false,
      forward: true,
      pointers: ['/x'],
    },
  ],
  [
    'anyOf branch of another type added',
    {
      old: obj({ v: { anyOf: [str, { type: 'boolean' }] } }, ['v']),
      new: obj({ v: { anyOf: [str, { type: 'boolean' }, { type: 'integer' }] } }, ['v']),
      rules: ['branch-added'],
      backward: true,
      forward: false,
    },
  ],
  [
    'nested object: a deep property type narrowed',
    {
      old: obj({ a: obj({ b: obj({ c: { type: 'number' } }, ['c']) }, ['b']) }, ['a']),
      new: obj({ a: obj({ b: obj({ c: int }, ['c']) }, ['b']) }, ['a']),
      rules: ['type-narrowed'],
      backward: false,
      forward: true,
      pointers: ['/a/b/c'],
    },
  ],
  [
    'array of objects: an optional field added to the items',
    {
      old: obj({ people: { type: 'array', items: obj({ n: str }, ['n']), maxItems: 3 } }, ['people']),
      new: obj({ people: { type: 'array', items: obj({ n: str, e: str }, ['n']), maxItems: 3 } }, ['people']),
      rules: ['property-added'],
      backward: true,
      forward: true,
      pointers: ['/people/*/e'],
    },
  ],
  [
    'array items: integer → number',
    {
      old: obj({ l: { type: 'array', items: int } }, ['l']),
      new: obj({ l: { type: 'array', items: { type: 'number' } } }, ['l']),
      rules: ['type-widened'],
      backward: true,
      forward: false,
      pointers: ['/l/*'],
    },
  ],
  [
    'map values (additionalProperties) narrowed',
    {
      old: obj({ tags: { type: 'object', additionalProperties: { type: 'number' } } }, ['tags']),
      new: obj({ tags: { type: 'object', additionalProperties: int } }, ['tags']),
      rules: ['type-narrowed'],
      backward: false,
      forward: true,
      pointers: ['/tags/*'],
    },
  ],
  [
    'recursive $ref (a tree): optional field added terminates and is reported once',
    {
      old: withDefs(
        { $ref: '#/definitions/Node' },
        {
          Node: obj({ v: int, kids: { type: 'array', items: { $ref: '#/definitions/Node' }, maxItems: 2 } }, [
            'v',
          ]),
        },
      ),
      new: withDefs(
        { $ref: '#/definitions/Node' },
        {
          Node: obj(
            {
              v: int,
              label: str,
              kids: { type: 'array', items: { $ref: '#/definitions/Node' }, maxItems: 2 },
            },
            ['v'],
          ),
        },
      ),
      rules: ['property-added'],
      backward: true,
      forward: true,
      pointers: ['/label'],
    },
  ],
  [
    'default changed (readers fill in another value; compatible)',
    {
      old: obj({ l: { type: 'string', default: 'en' } }),
      new: obj({ l: { type: 'string', default: 'fr' } }),
      rules: ['default-changed'],
      backward: true,
      forward: true,
    },
  ],
  [
    'not added (undecidable, counted as breaking)',
    {
      old: obj({ s: str }, ['s']),
      new: obj({ s: { type: 'string', not: { const: 'x' } } }, ['s']),
      rules: ['keyword-changed'],
      backward: false,
      forward: false,
    },
  ],
  [
    'several changes at once',
    {
      old: obj({ a: str, b: int, c: str }, ['a']),
      new: obj({ a: { type: 'string', maxLength: 5 }, b: { type: 'number' }, d: str }, ['a']),
      rules: ['bound-tightened', 'property-added', 'property-removed', 'type-widened'],
      backward: false,
      forward: false,
      pointers: ['/a', '/b', '/c', '/d'],
    },
  ],
];

function tolerantReader(schema: JsonObject) {
  const ajv = new Ajv({ strict: false, useDefaults: true, removeAdditional: true, allErrors: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** Distinct samples valid under `schema` (json-schema-faker, several seeds and option mixes). */
function samples(schema: JsonObject): unknown[] {
  const strict = new Ajv({ strict: false });
  addFormats(strict);
  const valid = strict.compile(schema);
  const out = new Map<string, unknown>();
  for (let seed = 1; seed <= 60; seed++) {
    let value: unknown;
    try {
      value = generateSync(schema as never, {
        seed,
        maxItems: 3,
        maxLength: 40,
        refDepthMax: 3,
        alwaysFakeOptionals: seed % 3 === 0,
        optionalsProbability: seed % 3 === 1 ? 0 : 0.5,
      });
    } catch {
      continue;
    }
    if (valid(value)) out.set(JSON.stringify(value), value);
  }
  return [...out.values()];
}

function crossCheck(from: JsonObject, to: JsonObject): string[] {
  const reader = tolerantReader(to);
  const found = samples(from);
  expect(found.length, 'json-schema-faker produced no valid sample').toBeGreaterThan(0);
  return found.filter((s) => !reader(structuredClone(s) as Json)).map((s) => JSON.stringify(s));
}

describe('semantic schema diff', () => {
  it('has at least 40 cases covering every payload rule', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s', (_name, c) => {
    const changes = diffSchemas(c.old, c.new);
    expect(changes.map((x) => x.rule).sort()).toEqual([...c.rules].sort());
    expect(
      changes.every((x) => x.backward),
      'backward',
    ).toBe(c.backward);
    expect(
      changes.every((x) => x.forward),
      'forward',
    ).toBe(c.forward);
    if (c.pointers) expect(changes.map((x) => x.pointer).sort()).toEqual([...c.pointers].sort());
    for (const x of changes) expect(x.explanation.length).toBeGreaterThan(10);
    // A verdict of "compatible" must survive sampling.
    if (c.backward) expect(crossCheck(c.old, c.new), 'old samples the new reader rejects').toEqual([]);
    if (c.forward) expect(crossCheck(c.new, c.old), 'new samples the old reader rejects').toEqual([]);
  });
});
