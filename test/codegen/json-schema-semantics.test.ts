/**
 * JSON Schema as documents we did not write use it (issue 17 point 5), through codegen as a user runs it
 * (`buildFiles`, @asyncapi/parser included): ids, anchors, escaped pointers, keywords beside `$ref`,
 * tuples, property names, and values that violate their own schema. The JSON Schema Test Suite
 * (json-schema-suite.test.ts) covers the keywords one by one; these are the cases met in AsyncAPI
 * documents.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildFiles } from '../../codegen/index.js';

const TMP = join('test', 'codegen', '__tmp__', 'json-schema-semantics');
afterAll(() => {
  if (!process.env['SUITE_KEEP_TMP']) rmSync(TMP, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

type Registry = {
  require(k: string): {
    validatePublish(d: unknown): { ok: boolean };
    validateConsume(d: unknown): { ok: boolean };
  };
};

/** Write the document (and schema files) to a folder of its own, generate, write the output. */
async function generate(
  name: string,
  document: object,
  files: Record<string, unknown> = {},
): Promise<{ dir: string; registry: Registry; read: (path: string) => string; files: string[] }> {
  const dir = join(TMP, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [path, json] of Object.entries(files)) writeFileSync(join(dir, path), JSON.stringify(json));
  writeFileSync(join(dir, 'asyncapi.yaml'), JSON.stringify(document, null, 2));
  const out = join(dir, 'generated');
  const { files: generated } = await buildFiles(join(dir, 'asyncapi.yaml'), out);
  for (const f of generated) {
    mkdirSync(join(out, f.path, '..'), { recursive: true });
    writeFileSync(join(out, f.path), f.content);
  }
  const { registry } = (await import(resolve(out, 'registry.ts'))) as { registry: Registry };
  return {
    dir,
    registry,
    read: (path) => readFileSync(join(out, path), 'utf8'),
    files: generated.map((f) => f.path),
  };
}

function doc(payload: object, extra: object = {}): object {
  return {
    asyncapi: '3.0.0',
    info: { title: 'Semantics', version: '1.0.0' },
    ...extra,
    channels: { thing: { address: 'demo.thing', messages: { thing: { payload } } } },
    operations: { sendThing: { action: 'send', channel: { $ref: '#/channels/thing' } } },
  };
}

describe('JSON Schema in documents we did not write', () => {
  it("the document's own id and a draft-04 id are no schema ids; unknown keywords are annotations", async () => {
    const { registry } = await generate(
      'ids',
      doc(
        {
          type: 'object',
          properties: {
            id: { type: 'string', id: 'http://example.com/legacy-draft-04-id' },
            size: { type: 'integer', 'x-unit': 'cm', unknownKeyword: { anything: true } },
          },
          required: ['id'],
        },
        { id: 'urn:example:semantics' },
      ),
    );
    const thing = registry.require('demo.thing');
    expect(thing.validatePublish({ id: 'a', size: 3 }).ok).toBe(true);
    expect(thing.validatePublish({ size: 3 }).ok).toBe(false);
    expect(thing.validateConsume({ id: 'a', size: 3 }).ok).toBe(true);
  }, 120_000);

  it('a relative $id at an inline payload root is the base of its own refs; anchors and escaped pointers resolve', async () => {
    const { registry } = await generate(
      'relative-id',
      doc({
        $id: 'item.json',
        type: 'object',
        properties: {
          name: { $ref: '#/definitions/name' },
          percent: { $ref: '#/definitions/percent%25field' },
          slash: { $ref: '#/definitions/slash~1field' },
          tilde: { $ref: '#/definitions/tilde~0field' },
          anchored: { $ref: '#positive' },
          nested: { $ref: 'nested.json' },
        },
        definitions: {
          name: { type: 'string', minLength: 1 },
          'percent%field': { type: 'integer' },
          'slash/field': { type: 'boolean' },
          'tilde~field': { type: 'null' },
          positive: { $id: '#positive', type: 'number', minimum: 0 },
          nested: { $id: 'nested.json', type: 'string', enum: ['a', 'b'] },
        },
      }),
    );
    const thing = registry.require('demo.thing');
    const ok = { name: 'n', percent: 1, slash: true, tilde: null, anchored: 2, nested: 'a' };
    expect(thing.validatePublish(ok).ok).toBe(true);
    for (const [field, bad] of [
      ['name', ''],
      ['percent', 'x'],
      ['slash', 1],
      ['tilde', 0],
      ['anchored', -1],
      ['nested', 'c'],
    ] as const)
      expect(thing.validatePublish({ ...ok, [field]: bad }).ok, field).toBe(false);
  }, 120_000);

  it('keywords beside $ref are ignored as draft-07 says, with a warning naming them', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { registry } = await generate(
      'ref-siblings',
      doc(
        {
          type: 'object',
          properties: { list: { $ref: '#/components/schemas/List', maxItems: 1 } },
        },
        {
          components: { schemas: { List: { type: 'array', items: { type: 'integer' } } } },
        },
      ),
    );
    const warnings = stderr.mock.calls.map((c) => String(c[0])).filter((t) => t.includes('warning'));
    expect(warnings.join('')).toMatch(
      /asyncapi\.yaml#\/channels\/thing\/messages\/thing\/payload\/properties\/list: maxItems beside \$ref is ignored/,
    );
    expect(registry.require('demo.thing').validatePublish({ list: [1, 2, 3] }).ok).toBe(true);
  }, 120_000);

  it('tuples give optional elements and a rest element; property names are escaped; __proto__ and constructor are kept', async () => {
    const generated = await generate(
      'shapes',
      doc(
        {
          type: 'object',
          required: ['constructor'],
          properties: {
            pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
            closed: {
              type: 'array',
              items: [{ type: 'string' }, { type: 'integer' }],
              minItems: 1,
              additionalItems: false,
            },
            'line\nbreak': { type: 'string' },
            "quote'd": { type: 'string' },
            // A computed key: `__proto__: …` in an object literal would set the prototype.
            ['__proto__']: { type: 'number' },
            constructor: { type: 'number' },
            mood: { $ref: '#/components/schemas/Mood' },
          },
        },
        { components: { schemas: { Mood: { type: 'string', enum: ["it's", 'a,b', 'say "hi"'] } } } },
      ),
    );
    const { registry, read } = generated;
    // Where a named type lives (its domain's module or `components`) is codegen's choice: look in every module.
    const modules = generated.files.filter((f) => f.startsWith('types/')).map((f) => read(f));
    expect(modules.join('\n')).toContain(`export const MoodValues = ['it\\'s', 'a,b', 'say "hi"'] as const;`);
    const types = read('types/demo.ts');
    expect(types).toContain('pair?: [string?, number?, ...unknown[]];');
    expect(types).toContain('closed?: [string, number?];');
    expect(types).toContain("'line\\u000abreak'?: string;");
    expect(types).toContain("'quote\\'d'?: string;");
    expect(types).toContain('__proto__?: number;');
    const thing = registry.require('demo.thing');
    expect(thing.validatePublish({ constructor: 1, pair: ['b'] }).ok).toBe(true);
    expect(thing.validatePublish({ constructor: 1, closed: ['b', 1, 2] }).ok).toBe(false);
    // ajv's ownProperties: an inherited `constructor` is no `constructor` property.
    expect(thing.validatePublish({}).ok).toBe(false);
    expect(thing.validatePublish(JSON.parse('{"constructor": 1, "__proto__": "x"}')).ok).toBe(false);
    expect(thing.validatePublish(JSON.parse('{"constructor": 1, "__proto__": 2}')).ok).toBe(true);
    // The registry's schema keeps the property (a plain `{"__proto__": …}` literal would set the prototype).
    const { payloadSchemas } = (await import(resolve(TMP, 'shapes', 'generated', 'schemas.ts'))) as {
      payloadSchemas: Record<string, { properties: object }>;
    };
    expect(Object.hasOwn(payloadSchemas['demo.thing']?.properties ?? {}, '__proto__')).toBe(true);
  }, 120_000);

  it('a default its own schema refuses stops codegen with its pointer', async () => {
    await expect(
      generate(
        'bad-default',
        doc({
          type: 'object',
          properties: {
            metadata: {
              type: 'object',
              properties: { draft: { type: 'boolean', default: 'false' } },
            },
          },
        }),
      ),
    ).rejects.toThrow(
      /asyncapi\.yaml#\/channels\/thing\/messages\/thing\/payload\/properties\/metadata\/properties\/draft\/default: default "false" does not validate against its own schema: \(the value\) must be boolean/,
    );
  }, 120_000);

  it('an example its own schema refuses stops codegen with its pointer', async () => {
    await expect(
      generate('bad-example', doc({ $ref: 'thing.json' }), {
        'thing.json': {
          type: 'object',
          properties: { size: { type: 'integer', minimum: 0, examples: [1, -1] } },
        },
      }),
    ).rejects.toThrow(
      /thing\.json#\/properties\/size\/examples\/1: example -1 does not validate against its own schema/,
    );
  }, 120_000);
});
