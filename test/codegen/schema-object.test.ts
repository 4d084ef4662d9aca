import { describe, expect, it } from 'vitest';
import { TypeTable } from '../../codegen/emit/schema-object.js';
import type { Model } from '../../codegen/model.js';
import { SchemaStore, type Json } from '../../codegen/schema-store.js';
import { isCodegenError } from '../../runtime/errors/codegen-error.js';

/** Render `given` (at /tmp/x/schemas/t/given.json, beside `defs`) as output and input types. */
function render(given: Json, defs: Json = {}): { output: string; input: string } {
  const store = new SchemaStore('/virtual');
  store.addDocument('/virtual/schemas/t/_defs.json', defs);
  const doc = store.addDocument('/virtual/schemas/t/given.json', given);
  const model: Model = {
    input: 'asyncapi.yaml',
    title: 't',
    version: '1',
    events: [],
    envelope: null,
    store,
    validation: Promise.resolve(),
  };
  // Name every titled definition the way codegen does, by walking refs from the given schema.
  const table = new TypeTable(store, { ...model, envelope: { doc, pointer: '' } });
  const used = new Set<never>();
  return {
    output: table.render({ doc, pointer: '' }, 'output', used),
    input: table.render({ doc, pointer: '' }, 'input', used),
  };
}

const defs = {
  definitions: {
    Color: { title: 'Color', type: 'string', enum: ['red', 'green'] },
    Point: {
      title: 'Point',
      type: 'object',
      properties: { x: { type: 'number' }, label: { type: ['string', 'null'], default: null } },
      required: ['x'],
      additionalProperties: false,
    },
  },
};

const cases: Array<[string, { given: Json; want: string; wantInput?: string }]> = [
  ['string', { given: { type: 'string', maxLength: 3 }, want: 'string' }],
  ['integer is number', { given: { type: 'integer' }, want: 'number' }],
  ['nullable via type array', { given: { type: ['string', 'null'] }, want: 'string | null' }],
  [
    'nullable via anyOf',
    { given: { anyOf: [{ type: 'integer' }, { type: 'null' }] }, want: 'number | null' },
  ],
  ['enum as literal union', { given: { type: 'string', enum: ['a', 'b'] }, want: "'a' | 'b'" }],
  ['const', { given: { const: 'created' }, want: "'created'" }],
  [
    'array of union',
    { given: { type: 'array', items: { type: ['string', 'null'] } }, want: '(string | null)[]' },
  ],
  [
    'tuple',
    {
      given: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
      want: '[string?, number?, ...unknown[]]',
    },
  ],
  [
    'tuple: minItems and additionalItems: false',
    {
      given: {
        type: 'array',
        items: [{ type: 'string' }, { type: 'integer' }],
        minItems: 1,
        additionalItems: false,
      },
      want: '[string, number?]',
    },
  ],
  [
    'closed object: no index signature',
    {
      given: {
        type: 'object',
        properties: { a: { type: 'string' } },
        required: ['a'],
        additionalProperties: false,
      },
      want: '{ a: string }',
    },
  ],
  [
    'open object with properties keeps an index signature',
    {
      given: { type: 'object', properties: { a: { type: 'string' } } },
      want: '{ a?: string; [key: string]: unknown }',
    },
  ],
  ['free-form object', { given: { type: 'object' }, want: '{ [key: string]: unknown }' }],
  [
    'map of numbers',
    {
      given: { type: 'object', additionalProperties: { type: 'number' } },
      want: '{ [key: string]: number }',
    },
  ],
  [
    'empty closed object',
    { given: { type: 'object', additionalProperties: false }, want: 'Record<string, never>' },
  ],
  [
    'default makes a field optional on input only',
    {
      given: {
        type: 'object',
        properties: { n: { type: 'integer', default: 0 } },
        additionalProperties: false,
      },
      want: '{ n: number }',
      wantInput: '{ n?: number }',
    },
  ],
  [
    'quoted property names',
    {
      given: {
        type: 'object',
        properties: { 'x-y': { type: 'string' } },
        required: ['x-y'],
        additionalProperties: false,
      },
      want: "{ 'x-y': string }",
    },
  ],
  ['titled $ref becomes a named type', { given: { $ref: '_defs.json#/definitions/Color' }, want: 'Color' }],
  [
    'input variant of a named type with defaults',
    { given: { $ref: '_defs.json#/definitions/Point' }, want: 'Point', wantInput: 'PointInput' },
  ],
  [
    'oneOf with const discriminator is a discriminated union',
    {
      given: {
        oneOf: [
          {
            type: 'object',
            properties: { kind: { const: 'a' }, x: { type: 'number' } },
            required: ['kind', 'x'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { kind: { const: 'b' }, y: { type: 'string' } },
            required: ['kind', 'y'],
            additionalProperties: false,
          },
        ],
      },
      want: "{ kind: 'a'; x: number } | { kind: 'b'; y: string }",
    },
  ],
  [
    'allOf is an intersection',
    {
      given: {
        allOf: [
          {
            type: 'object',
            properties: { a: { type: 'string' } },
            required: ['a'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { b: { type: 'integer' } },
            required: ['b'],
            additionalProperties: false,
          },
        ],
      },
      want: '{ a: string } & { b: number }',
    },
  ],
  ['true schema', { given: true, want: 'unknown' }],
  ['false schema', { given: false, want: 'never' }],
];

describe('schema-object emitter', () => {
  it.each(cases)('%s', (_name, { given, want, wantInput }) => {
    const { output, input } = render(given, defs);
    expect(output).toBe(want);
    expect(input).toBe(wantInput ?? want);
  });
});

/**
 * The named types a document yields: `files` (paths under /virtual, `asyncapi.yaml` among them) are
 * walked from `root` (`path#pointer`) as codegen walks a payload. Each as `name/inputName module source`.
 */
function namedTypes(files: Record<string, Json>, root: string): string[] {
  const store = new SchemaStore('/virtual');
  for (const [path, json] of Object.entries(files)) store.addDocument(`/virtual/${path}`, json);
  const [file, pointer = ''] = root.split('#');
  const doc = store.load(`/virtual/${file}`);
  const model: Model = {
    input: 'asyncapi.yaml',
    title: 't',
    version: '1',
    events: [],
    envelope: { doc, pointer },
    store,
    validation: Promise.resolve(),
  };
  return new TypeTable(store, model)
    .list()
    .map((t) => `${t.name}/${t.inputName} ${t.module} ${t.provenance.replace(/^From /, '')}`);
}

const object = (properties: Record<string, Json>): Json => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

const naming: Array<[string, { files: Record<string, Json>; root: string; want: string[] }]> = [
  [
    'a components/schemas entry is named by its key (not its title), with XInput when it has defaults',
    {
      files: {
        'asyncapi.yaml': {
          components: {
            schemas: {
              invoice_line: {
                title: 'Something else',
                ...(object({ n: { type: 'integer', default: 1 } }) as object),
              },
              Payload: object({ line: { $ref: '#/components/schemas/invoice_line' } }),
            },
          },
        },
      },
      root: 'asyncapi.yaml#/components/schemas/Payload',
      want: ['InvoiceLine/InvoiceLineInput components asyncapi.yaml#/components/schemas/invoice_line'],
    },
  ],
  [
    'definitions and $defs entries are named by their keys, in the module of their folder',
    {
      files: {
        'schemas/geo/_defs.json': { definitions: { device_id: { type: 'string' } } },
        'schemas/geo/x.json': {
          ...(object({
            a: { $ref: '_defs.json#/definitions/device_id' },
            b: { $ref: '#/$defs/Rule' },
          }) as object),
          $defs: { Rule: { enum: ['a', 'b'] } },
        },
      },
      root: 'schemas/geo/x.json',
      want: [
        'DeviceId/DeviceId geo schemas/geo/_defs.json#/definitions/device_id',
        'Rule/Rule geo schemas/geo/x.json#/$defs/Rule',
      ],
    },
  ],
  [
    'a schema file is named by its title, else by its file name',
    {
      files: {
        'schemas/_common/geo-point.json': object({ lat: { type: 'number' } }),
        'schemas/_common/src.json': { title: 'Source', type: 'string' },
        'schemas/geo/x.json': object({
          p: { $ref: '../_common/geo-point.json' },
          s: { $ref: '../_common/src.json' },
        }),
      },
      root: 'schemas/geo/x.json',
      want: [
        'GeoPoint/GeoPoint common schemas/_common/geo-point.json',
        'Source/Source common schemas/_common/src.json',
      ],
    },
  ],
  [
    'a titled $ref target is named by its title; an untitled one (even a property called definitions) stays inline',
    {
      files: {
        'schemas/geo/x.json': object({
          a: { title: 'Alpha', type: 'string' },
          definitions: { type: 'string' },
          b: { $ref: '#/properties/a' },
          c: { $ref: '#/properties/definitions' },
        }),
      },
      root: 'schemas/geo/x.json',
      want: ['Alpha/Alpha geo schemas/geo/x.json#/properties/a'],
    },
  ],
  [
    'a name the generated API exports (EventType) gets a trailing _',
    {
      files: {
        'asyncapi.yaml': {
          components: {
            schemas: {
              EventType: { type: 'string' },
              Payload: object({ t: { $ref: '#/components/schemas/EventType' } }),
            },
          },
        },
      },
      root: 'asyncapi.yaml#/components/schemas/Payload',
      want: ['EventType_/EventType_ components asyncapi.yaml#/components/schemas/EventType'],
    },
  ],
  [
    'a schema that refers to itself through an object property is fine',
    {
      files: {
        'schemas/geo/x.json': {
          definitions: {
            Tree: {
              anyOf: [
                { type: 'null' },
                object({ children: { type: 'array', items: { $ref: '#/definitions/Tree' } } }),
              ],
            },
          },
          ...(object({ t: { $ref: '#/definitions/Tree' } }) as object),
        },
      },
      root: 'schemas/geo/x.json',
      want: ['Tree/Tree geo schemas/geo/x.json#/definitions/Tree'],
    },
  ],
];

describe('which schemas are named types, and their names', () => {
  it.each(naming)('%s', (_name, { files, root, want }) => {
    expect(namedTypes(files, root)).toEqual(want);
  });
});

const refusals: Array<
  [string, { files: Record<string, Json>; root: string; pointer: string; message: RegExp }]
> = [
  [
    'type A = A | null',
    {
      files: {
        'schemas/geo/x.json': {
          definitions: { A: { anyOf: [{ $ref: '#/definitions/A' }, { type: 'null' }] } },
          ...(object({ a: { $ref: '#/definitions/A' } }) as object),
        },
      },
      root: 'schemas/geo/x.json',
      pointer: '/definitions/A',
      message: /A refers to itself with no object or array in between \(A → A\)/,
    },
  ],
  [
    'A = B | string, B = A',
    {
      files: {
        'schemas/geo/x.json': {
          definitions: {
            A: { oneOf: [{ $ref: '#/definitions/B' }, { type: 'string' }] },
            B: { allOf: [{ $ref: '#/definitions/A' }] },
          },
          ...(object({ a: { $ref: '#/definitions/A' } }) as object),
        },
      },
      root: 'schemas/geo/x.json',
      pointer: '/definitions/A',
      message: /A → B → A/,
    },
  ],
  [
    'two different schemas that want one name',
    {
      files: {
        'asyncapi.yaml': { components: { schemas: { zone: { type: 'string' } } } },
        'schemas/geo/x.json': {
          definitions: { Zone: { type: 'integer' } },
          ...(object({
            a: { $ref: '../../asyncapi.yaml#/components/schemas/zone' },
            b: { $ref: '#/definitions/Zone' },
          }) as object),
        },
      },
      root: 'schemas/geo/x.json',
      pointer: '/definitions/Zone',
      message:
        /name collision: Zone is derived from both asyncapi.yaml#\/components\/schemas\/zone and schemas\/geo\/x.json#\/definitions\/Zone/,
    },
  ],
];

describe('named types codegen refuses', () => {
  it.each(refusals)('%s', (_name, { files, root, pointer, message }) => {
    let error: unknown = null;
    try {
      namedTypes(files, root);
    } catch (e) {
      error = e;
    }
    expect(isCodegenError(error), String(error)).toBe(true);
    if (!isCodegenError(error)) return;
    expect(error.pointer).toBe(pointer);
    expect(error.message).toMatch(message);
  });
});
