/**
 * The parser's worker hands Spectral precompiled validators of the AsyncAPI 3 document schema
 * (codegen/parser-worker.ts). They must report exactly what Spectral's own compile reports: each broken
 * document is validated with the cache off, with an empty cache (compiled, then written), with the
 * cache written by that run (loaded from disk) and with a cache directory that cannot be created.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForParser, startValidation } from '../../codegen/load.js';
import { parserCacheDir } from '../../codegen/parser-worker.js';
import { SchemaStore } from '../../codegen/schema-store.js';
import type { JsonObject } from '../../codegen/schema-store.js';

const MINI = resolve('test/fixtures/codegen/mini/asyncapi.yaml');
const cacheDir = mkdtempSync(join(tmpdir(), 'bb-parser-cache-'));
const blockerDir = mkdtempSync(join(tmpdir(), 'bb-parser-cache-blocker-'));
const blocker = join(blockerDir, 'a-file');
writeFileSync(blocker, 'not a directory');
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(blockerDir, { recursive: true, force: true });
});

function bundled(edit: (doc: JsonObject) => void): ReturnType<typeof bundleForParser> {
  const store = new SchemaStore(resolve('test/fixtures/codegen/mini'));
  const doc = store.load(MINI);
  const input = bundleForParser(store, doc);
  const json = JSON.parse(input.text) as JsonObject;
  edit(json);
  return { ...input, text: JSON.stringify(json) };
}

/** The error (file, pointer, message) startValidation rejects with, or null; under a cache setting. */
async function outcome(
  cache: string,
  input: ReturnType<typeof bundleForParser>,
): Promise<{ file: string; pointer: string; message: string } | null> {
  const saved = process.env['BLOODBANK_CODEGEN_CACHE'];
  process.env['BLOODBANK_CODEGEN_CACHE'] = cache;
  try {
    const validation = startValidation(input, 'asyncapi.yaml');
    return await validation.then(
      () => null,
      (e: { file: string; pointer: string; message: string }) => ({
        file: e.file,
        pointer: e.pointer,
        message: e.message,
      }),
    );
  } finally {
    if (saved === undefined) delete process.env['BLOODBANK_CODEGEN_CACHE'];
    else process.env['BLOODBANK_CODEGEN_CACHE'] = saved;
  }
}

const obj = (v: unknown): JsonObject => v as JsonObject;
const cases: Array<[string, (doc: JsonObject) => void]> = [
  ['a valid document', () => undefined],
  [
    'an unknown operation action',
    (d) => void (obj(obj(d['operations'])['sendOrderPlaced'])['action'] = 'shout'),
  ],
  ['a missing info.version', (d) => void delete obj(d['info'])['version']],
  ['an unknown root field', (d) => void (d['servrs'] = {})],
  [
    'a $ref where the schema forbids one (unresolved rule)',
    (d) => void (obj(d['info'])['contact'] = { $ref: '#/components/schemas' }),
  ],
  [
    'a wrong type inside a payload schema',
    (d) => {
      const schemas = obj(obj(d['components'])['schemas']);
      const first = Object.keys(schemas)[0] as string;
      obj(schemas[first])['required'] = 'order_id';
    },
  ],
];

describe('precompiled AsyncAPI document validators (parser worker)', () => {
  it('caches under node_modules/.cache/bloodbank-codegen unless told otherwise', () => {
    const saved = process.env['BLOODBANK_CODEGEN_CACHE'];
    delete process.env['BLOODBANK_CODEGEN_CACHE'];
    try {
      expect(parserCacheDir('/x/node_modules/@asyncapi/parser/cjs/index.js')).toBe(
        join('/x/node_modules', '.cache', 'bloodbank-codegen'),
      );
      process.env['BLOODBANK_CODEGEN_CACHE'] = 'off';
      expect(parserCacheDir('/x/node_modules/@asyncapi/parser/cjs/index.js')).toBeNull();
    } finally {
      if (saved === undefined) delete process.env['BLOODBANK_CODEGEN_CACHE'];
      else process.env['BLOODBANK_CODEGEN_CACHE'] = saved;
    }
  });

  it.each(cases)(
    '%s: same diagnosis with the cache off, being filled, and filled',
    async (_name, edit) => {
      const input = bundled(edit);
      const off = await outcome('off', input);
      const filling = await outcome(cacheDir, input);
      expect(existsSync(cacheDir) && readdirSync(cacheDir).filter((f) => f.endsWith('.cjs'))).toHaveLength(2);
      const filled = await outcome(cacheDir, input);
      // A cache that cannot be written (its parent is a file): Spectral compiles, nothing is cached.
      const unwritable = await outcome(join(blocker, 'cache'), input);
      expect(filling).toEqual(off);
      expect(filled).toEqual(off);
      expect(unwritable).toEqual(off);
      if (_name === 'a valid document') expect(off).toBeNull();
      else expect(off?.message).toMatch(/invalid AsyncAPI document/);
    },
    30_000,
  );
});
