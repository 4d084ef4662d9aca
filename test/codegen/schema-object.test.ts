import { describe, expect, it } from 'vitest';
import { TypeTable } from '../../codegen/emit/schema-object.js';
import type { Model } from '../../codegen/model.js';
import { SchemaStore, type Json } from '../../codegen/schema-store.js';

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
    { given: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] }, want: '[string, number]' },
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
