/**
 * @asyncapi/parser validates the document in a worker thread when codegen runs compiled (dist/) and in the
 * calling thread when it runs from its TypeScript sources (codegen/load.ts): both must give the same
 * verdict, the same message and the same file and JSON pointer, on a valid document and on broken ones.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleForParser, startValidation } from '../../codegen/load.js';
import { SchemaStore } from '../../codegen/schema-store.js';
import type { JsonObject } from '../../codegen/schema-store.js';
import { ensureBuild } from '../support/build.js';

type Start = typeof startValidation;
let compiledStart: Start;

beforeAll(async () => {
  ensureBuild();
  const compiled = resolve('codegen/dist/load.js');
  ({ startValidation: compiledStart } = (await import(/* @vite-ignore */ compiled)) as {
    startValidation: Start;
  });
}, 180_000);

const MINI = resolve('test/fixtures/codegen/mini/asyncapi.yaml');

function bundled(edit: (doc: JsonObject) => void): ReturnType<typeof bundleForParser> {
  const store = new SchemaStore(resolve('test/fixtures/codegen/mini'));
  const doc = store.load(MINI);
  const input = bundleForParser(store, doc);
  const json = JSON.parse(input.text) as JsonObject;
  edit(json);
  return { ...input, text: JSON.stringify(json) };
}

/** The error (file, pointer, message) a validation rejects with, or null. */
async function outcome(
  validation: Promise<void>,
): Promise<{ file: string; pointer: string; message: string } | null> {
  return validation.then(
    () => null,
    (e: { file: string; pointer: string; message: string }) => ({
      file: e.file,
      pointer: e.pointer,
      message: e.message,
    }),
  );
}

const obj = (v: unknown): JsonObject => v as JsonObject;
/** Each case: the edit, and the error's pointer and message (null: valid). */
const cases: Array<[string, (doc: JsonObject) => void, { pointer: string; message: RegExp } | null]> = [
  ['a valid document', () => undefined, null],
  [
    'an unknown operation action',
    (d) => void (obj(obj(d['operations'])['sendOrderPlaced'])['action'] = 'shout'),
    { pointer: '/operations/sendOrderPlaced/action', message: /action/ },
  ],
  [
    'a missing info.version',
    (d) => void delete obj(d['info'])['version'],
    { pointer: '/info', message: /version/ },
  ],
  [
    'an unknown root field',
    (d) => void (d['servrs'] = {}),
    { pointer: '/servrs', message: /"servrs" is not expected/ },
  ],
  [
    'a $ref where the schema forbids one',
    (d) => void (obj(d['info'])['contact'] = { $ref: '#/components/schemas' }),
    { pointer: '/info/contact/bloodbank_file_0', message: /not expected/ },
  ],
  [
    'a wrong type inside a schema file',
    (d) => {
      const schemas = obj(obj(d['components'])['schemas']);
      const file = Object.keys(schemas).find((k) => k.startsWith('bloodbank_file_')) as string;
      obj(schemas[file])['required'] = 'order_id';
    },
    {
      pointer: '/channels/shop.order.cancel/messages/CancelOrder/payload',
      message: /allOf\/0\/required: "required" property type must be array/,
    },
  ],
];

describe('AsyncAPI document validation (parser in a worker thread, or in process from sources)', () => {
  it.each(cases)(
    '%s: same diagnosis in the worker and in process',
    async (_name, edit, want) => {
      const input = bundled(edit);
      const inProcess = await outcome(startValidation(input, 'asyncapi.yaml'));
      const inWorker = await outcome(compiledStart(input, 'asyncapi.yaml', 'worker'));
      expect(inWorker).toEqual(inProcess);
      if (want === null) expect(inProcess).toBeNull();
      else {
        expect(inProcess).toMatchObject({ file: 'asyncapi.yaml', pointer: want.pointer });
        expect(inProcess?.message).toMatch(/invalid AsyncAPI document/);
        expect(inProcess?.message).toMatch(want.message);
      }
    },
    120_000,
  );
});
