/**
 * Issue 19: codegen never crashes. Whatever the document (valid, invalid, cyclic, oddly written YAML), codegen
 * either builds its output or throws a `CodegenError` naming the file and a JSON pointer; any other
 * exception (a `TypeError`, a `RangeError` from unbounded recursion, an ajv or YAML library error let
 * through) is a bug. Property-tested with fast-check: valid fixture documents mutated (nodes deleted,
 * replaced by any JSON value or by odd schemas, swapped, turned into `$ref`s to other nodes — ancestors
 * included, which makes cycles), then written as JSON or as YAML in several styles (anchors and aliases,
 * flow style, CRLF and a byte-order mark, truncated text, a stray tab). Plus the shapes issue 19 names,
 * one by one.
 */
import fc from 'fast-check';
import { dump, load } from 'js-yaml';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFiles } from '../../codegen/index.js';
import { isCodegenError } from '../../runtime/errors/codegen-error.js';
import { codegenFixtures } from '../support/codegen-fixtures.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

const TMP = mkdtempSync(join(tmpdir(), 'bb-never-crash-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Fixtures that are one self-contained document (nothing beside it but its output): safe to move. */
const BASES: Array<{ name: string; doc: Json }> = codegenFixtures()
  .filter((f) => readdirSync(f.dir).every((e) => e === 'generated' || e === basename(f.document)))
  .map((f) => ({ name: f.name, doc: load(readFileSync(f.document, 'utf8')) as Json }));

type Outcome = { ok: true } | { ok: false; error: unknown };

let counter = 0;
/** Codegen on `text` written as `asyncapi.<ext>` in a scratch folder: ok, or the error it threw. */
async function codegen(text: string, ext: 'yaml' | 'json'): Promise<Outcome> {
  const dir = join(TMP, String(counter++));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `asyncapi.${ext}`);
  writeFileSync(file, text);
  try {
    await buildFiles(file, join(dir, 'generated'));
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The property itself: success, or a CodegenError with a JSON pointer ('' is the document root). */
function expectNoCrash(outcome: Outcome, document: string): void {
  if (outcome.ok) return;
  const { error } = outcome;
  const detail = `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n--- document:\n${document.slice(0, 4000)}`;
  expect(isCodegenError(error), `not a CodegenError: ${detail}`).toBe(true);
  if (!isCodegenError(error)) return;
  expect(error.pointer, detail).toMatch(/^(\/.*)?$/);
  expect(error.message.length, detail).toBeGreaterThan(0);
}

/* ---------- mutations of a document tree ---------- */

/** Every node of `value` with its path (objects and arrays included, the root first). */
function nodes(value: Json, path: Path = [], seen = new Set<object>()): Path[] {
  if (value === null || typeof value !== 'object') return [path];
  if (seen.has(value)) return [path];
  seen.add(value);
  const entries: Array<[string | number, Json]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return [path, ...entries.flatMap(([k, v]) => nodes(v, [...path, k], seen))];
}

function at(value: Json, path: Path): Json | undefined {
  let node: Json | undefined = value;
  for (const k of path) {
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, k))
      return undefined;
    node = (node as Record<string | number, Json>)[k];
  }
  return node;
}

function put(root: Json, path: Path, value: Json | undefined): void {
  const parent = at(root, path.slice(0, -1));
  const key = path.at(-1);
  if (parent === null || typeof parent !== 'object' || key === undefined) return;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

function pointer(path: Path): string {
  return `#${path.map((k) => `/${String(k).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')}`;
}

/** Schemas and values that have broken schema readers before (issue 17's list and more). */
const ODD: Json[] = [
  null,
  true,
  false,
  {},
  [],
  '',
  0,
  -1.5e308,
  '{id}',
  { $ref: '#' },
  { $ref: '#/components/schemas/doesNotExist' },
  { $ref: '#/channels' },
  { $ref: '#/components/schemas/a~1b%25c' },
  { $ref: 'missing.yaml' },
  { $ref: 'missing.json#/x' },
  { type: 'object', properties: { __proto__: { type: 'string' }, constructor: { type: 'number' } } },
  { type: 'object', required: ['constructor', 'toString'] },
  { id: 'draft-04-style-id', type: 'string' },
  { $id: 'item.json', type: 'object' },
  { $id: '#anchor', type: 'string' },
  { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
  { type: 'array', items: [], additionalItems: false },
  { type: 'boolean', default: 'false' },
  { type: 'integer', examples: ['not an integer'] },
  { enum: [] },
  { allOf: [{ type: 'string' }, { type: 'number' }] },
  { oneOf: [] },
  { not: {} },
  { if: { type: 'string' }, then: { minLength: 1 }, else: { type: 'number' } },
  { patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false },
  { type: 'object', properties: { 'a\u0000b': { type: 'string' }, 'it\'s "quoted"\n': {} } },
  { schemaFormat: 'application/vnd.unknown;version=1', schema: { type: 'string' } },
  { schemaFormat: 'application/vnd.apache.avro;version=1.9.0', schema: { type: 'record', fields: [] } },
  { schemaFormat: 'application/schema+yaml;version=draft-07', schema: 'type: string' },
  { address: null },
  { address: 'a/{b}/{c}/{}' },
  { action: 'reply' },
  { location: '$message.header#/replyTo' },
];

const ODD_KEYS = ['__proto__', 'constructor', '$ref', 'a/b~c', '', ' ', 'x-odd', 'é', '{p}', '0'];

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'set'; at: number; value: Json }
  | { kind: 'odd'; at: number; which: number }
  | { kind: 'swap'; at: number; other: number }
  | { kind: 'ref'; at: number; target: number }
  | { kind: 'cycle'; at: number; up: number }
  | { kind: 'siblingRef'; at: number; target: number }
  | { kind: 'key'; at: number; which: number; value: Json };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  }),
  fc.record({ kind: fc.constant('odd' as const), at: fc.nat(), which: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('ref' as const), at: fc.nat(), target: fc.nat() }),
  fc.record({ kind: fc.constant('cycle' as const), at: fc.nat(), up: fc.nat() }),
  fc.record({ kind: fc.constant('siblingRef' as const), at: fc.nat(), target: fc.nat() }),
  fc.record({
    kind: fc.constant('key' as const),
    at: fc.nat(),
    which: fc.nat(),
    value: fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>,
  }),
);

/** Applies `m` to `doc` in place (the root itself is never replaced); may share subtrees (aliases). */
function mutate(doc: Json, m: Mutation, linked: boolean): void {
  const all = nodes(doc).filter((p) => p.length > 0);
  if (all.length === 0) return;
  const path = all[m.at % all.length] ?? [];
  switch (m.kind) {
    case 'delete':
      return put(doc, path, undefined);
    case 'set':
      return put(doc, path, m.value);
    case 'odd':
      return put(doc, path, structuredClone(ODD[m.which % ODD.length] ?? null));
    case 'swap': {
      const other = all[m.other % all.length] ?? [];
      if (other.length >= path.length && other.slice(0, path.length).join('\0') === path.join('\0')) return;
      if (path.length >= other.length && path.slice(0, other.length).join('\0') === other.join('\0')) return;
      const a = at(doc, path);
      const b = at(doc, other);
      put(doc, path, b);
      put(doc, other, a);
      return;
    }
    case 'ref':
      return put(doc, path, { $ref: pointer(all[m.target % all.length] ?? []) });
    case 'cycle': {
      // A $ref to an ancestor: a cycle through the document. With `linked`, the ancestor object itself
      // (a cyclic structure: YAML anchors and aliases).
      const ancestor = path.slice(0, m.up % path.length);
      return put(doc, path, linked ? (at(doc, ancestor) ?? null) : { $ref: pointer(ancestor) });
    }
    case 'siblingRef': {
      const node = at(doc, path);
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
      node['$ref'] = pointer(all[m.target % all.length] ?? []);
      return;
    }
    case 'key': {
      const node = at(doc, path);
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
      Object.defineProperty(node, ODD_KEYS[m.which % ODD_KEYS.length] ?? 'x', {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
}

/* ---------- writing the document ---------- */

type Style = 'json' | 'yaml' | 'yaml-aliases' | 'yaml-flow' | 'yaml-crlf-bom' | 'truncated' | 'tab';

function isCyclic(value: Json, stack = new Set<object>()): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (stack.has(value)) return true;
  stack.add(value);
  const cyclic = Object.values(value).some((v) => isCyclic(v as Json, stack));
  stack.delete(value);
  return cyclic;
}

function write(doc: Json, style: Style, cut: number): { text: string; ext: 'yaml' | 'json' } {
  const cyclic = isCyclic(doc);
  if (style === 'json' && !cyclic) return { text: JSON.stringify(doc, null, 2), ext: 'json' };
  const yaml = (options: Parameters<typeof dump>[1] = {}) =>
    dump(doc, { noRefs: !cyclic && style !== 'yaml-aliases', lineWidth: -1, ...options });
  switch (style) {
    case 'yaml-flow':
      return { text: yaml({ flowLevel: 3 }), ext: 'yaml' };
    case 'yaml-crlf-bom':
      return { text: `\uFEFF${yaml().replaceAll('\n', '\r\n')}`, ext: 'yaml' };
    case 'truncated': {
      const text = yaml();
      return { text: text.slice(0, cut % (text.length + 1)), ext: 'yaml' };
    }
    case 'tab': {
      const text = yaml();
      const i = cut % (text.length + 1);
      return { text: `${text.slice(0, i)}\t${text.slice(i)}`, ext: 'yaml' };
    }
    default:
      return { text: yaml(), ext: 'yaml' };
  }
}

/** Codegen runs per property: each builds validators and types (about a second on a quiet machine). */
const RUNS = 60;

describe('codegen never crashes', () => {
  it('has self-contained fixtures to mutate', () => {
    expect(BASES.length).toBeGreaterThanOrEqual(12);
  });

  it('on mutated fixture documents: output, or a CodegenError with a pointer', async () => {
    const outcomes = { ok: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.array(mutation, { minLength: 0, maxLength: 3 }),
        fc.constantFrom<Style>(
          'json',
          'yaml',
          'yaml-aliases',
          'yaml-flow',
          'yaml-crlf-bom',
          'truncated',
          'tab',
        ),
        fc.boolean(),
        fc.nat(),
        async (base, mutations, style, linked, cut) => {
          const doc = structuredClone((BASES[base] as { doc: Json }).doc);
          for (const m of mutations) mutate(doc, m, linked);
          const { text, ext } = write(doc, style, cut);
          const outcome = await codegen(text, ext);
          outcomes[outcome.ok ? 'ok' : 'refused']++;
          expectNoCrash(outcome, text);
        },
      ),
      { numRuns: RUNS, seed: 19, endOnFailure: true },
    );
    // Not vacuous: some mutated documents still generate, some are refused.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 1_800_000);
});

/* ---------- the shapes issue 19 names, one by one ---------- */

const DOC = (components: Json, channel: Json = { $ref: '#/components/messages/m' }): Json => ({
  asyncapi: '3.0.0',
  info: { title: 'shape', version: '1.0.0' },
  channels: { c: { address: 'a.b', messages: { m: channel } } },
  operations: { send: { action: 'send', channel: { $ref: '#/channels/c' } } },
  components,
});

const payload = (schema: Json, schemas: Json = {}): Json =>
  DOC({ messages: { m: { name: 'm', payload: schema } }, schemas });

const SHAPES: Array<[string, string, 'yaml' | 'json']> = [
  [
    'an ill-founded cycle (oneOf of subtypes that each allOf the base), without a discriminator',
    JSON.stringify(
      payload(
        { $ref: '#/components/schemas/Base' },
        {
          Base: {
            type: 'object',
            properties: { kind: { type: 'string' } },
            oneOf: [{ $ref: '#/components/schemas/A' }, { $ref: '#/components/schemas/B' }],
            examples: [{ kind: 'a' }],
          },
          A: { allOf: [{ $ref: '#/components/schemas/Base' }, { properties: { a: { type: 'integer' } } }] },
          B: { allOf: [{ $ref: '#/components/schemas/Base' }, { properties: { b: { type: 'string' } } }] },
        },
      ),
    ),
    'json',
  ],
  [
    'a schema that is only a $ref to itself',
    JSON.stringify(
      payload({ $ref: '#/components/schemas/Self' }, { Self: { $ref: '#/components/schemas/Self' } }),
    ),
    'json',
  ],
  [
    'an allOf cycle between two schemas',
    JSON.stringify(
      payload(
        { $ref: '#/components/schemas/P' },
        {
          P: { allOf: [{ $ref: '#/components/schemas/Q' }] },
          Q: { allOf: [{ $ref: '#/components/schemas/P' }] },
        },
      ),
    ),
    'json',
  ],
  ['a payload that is $ref: "#"', JSON.stringify(payload({ $ref: '#' })), 'json'],
  [
    'a default that violates its own schema',
    JSON.stringify(payload({ type: 'object', properties: { flag: { type: 'boolean', default: 'false' } } })),
    'json',
  ],
  ['boolean payload schemas', JSON.stringify(payload(false)), 'json'],
  [
    'a __proto__ property',
    '{"asyncapi":"3.0.0","info":{"title":"p","version":"1"},"channels":{"c":{"address":"a.b","messages":{"m":{"payload":{"type":"object","properties":{"__proto__":{"type":"string"}},"required":["__proto__"]}}}}}}',
    'json',
  ],
  ['an empty file', '', 'yaml'],
  ['a YAML scalar', 'just text\n', 'yaml'],
  ['YAML that does not parse', 'asyncapi: 3.0.0\ninfo: {title: x\n  version: [\n', 'yaml'],
  ['a recursive YAML alias', 'asyncapi: 3.0.0\ninfo: &a\n  title: x\n  version: "1"\n  self: *a\n', 'yaml'],
  [
    'an AsyncAPI version that does not exist',
    'asyncapi: 2.7.0\ninfo: {title: x, version: "1"}\nchannels: {}\n',
    'yaml',
  ],
  ['AsyncAPI 1.x', 'asyncapi: 1.2.0\ninfo: {title: x, version: "1"}\ntopics: {}\n', 'yaml'],
  [
    'a 2.x document whose channel has neither publish nor subscribe, nor bindings',
    'asyncapi: 2.6.0\ninfo: {title: x, version: "1"}\nchannels:\n  a.b: {}\n',
    'yaml',
  ],
  ['a 3.x document with only info', 'asyncapi: 3.0.0\ninfo: {title: x, version: "1"}\n', 'yaml'],
  [
    'an unknown schema format',
    JSON.stringify(payload({ schemaFormat: 'application/x-protobuf', schema: 'message M {}' })),
    'json',
  ],
  [
    'a parameter that the address does not use, and a placeholder without a parameter',
    JSON.stringify({
      asyncapi: '3.0.0',
      info: { title: 'p', version: '1' },
      channels: {
        c: {
          address: 'a.{x}.{y}',
          parameters: { z: { description: 'unused' } },
          messages: { m: { payload: { type: 'string' } } },
        },
      },
    }),
    'json',
  ],
];

describe('codegen never crashes on the shapes issue 19 names', () => {
  it.each(SHAPES)(
    '%s',
    async (_name, text, ext) => {
      expectNoCrash(await codegen(text, ext), text);
    },
    120_000,
  );
});
