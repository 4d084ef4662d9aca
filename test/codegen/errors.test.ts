import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFiles } from '../../codegen/index.js';
import { isCodegenError } from '../../runtime/errors/codegen-error.js';

const MINI = 'test/fixtures/codegen/mini';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of the mini fixture with one file changed. */
function variant(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-codegen-'));
  dirs.push(dir);
  cpSync(MINI, dir, { recursive: true, filter: (src) => !src.includes('/generated') });
  const path = join(dir, file);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  return join(dir, 'asyncapi.yaml');
}

const cases: Array<
  [
    string,
    { file: string; edit: (t: string) => string; want: { file: string; pointer: string; message: RegExp } },
  ]
> = [
  [
    'an invalid AsyncAPI document',
    {
      file: 'asyncapi.yaml',
      edit: (t) => t.replace('    action: send', '    action: shout'),
      want: {
        file: 'asyncapi.yaml',
        pointer: '/operations/sendOrderPlaced/action',
        message: /invalid AsyncAPI document/,
      },
    },
  ],
  [
    'an invalid schema',
    {
      file: 'schemas/shop/order.placed.json',
      edit: (t) => t.replace('"maxLength": 64', '"maxLength": "sixty-four"'),
      want: {
        file: 'schemas/shop/order.placed.json',
        pointer: '/properties/order_id/maxLength',
        message: /invalid JSON Schema/,
      },
    },
  ],
  [
    'a routing key outside the grammar',
    {
      file: 'asyncapi.yaml',
      edit: (t) => t.replace('address: shop.order.placed', "address: 'shop.Order.#'"),
      want: {
        file: 'asyncapi.yaml',
        pointer: '/channels/shop.order.placed/address',
        message: /outside the grammar/,
      },
    },
  ],
  [
    'an example that does not validate against its own schema',
    {
      file: 'schemas/shop/order.placed.json',
      edit: (t) => t.replace('"qty": 2', '"qty": 0'),
      want: {
        file: 'schemas/shop/order.placed.json',
        pointer: '/examples/0',
        message: /example 0 of shop\.order\.placed does not validate.*\/lines\/0\/qty must be >= 1/,
      },
    },
  ],
  [
    'a $ref to nothing',
    {
      file: 'schemas/shop/order.cancelled.json',
      edit: (t) => t.replace('#/definitions/Money', '#/definitions/Nope'),
      want: {
        file: 'schemas/shop/order.cancelled.json',
        pointer: '/properties/refund',
        message: /points at nothing/,
      },
    },
  ],
];

describe('codegen input errors name the file and the JSON pointer', () => {
  it.each(cases)('%s', async (_name, { file, edit, want }) => {
    const input = variant(file, edit);
    const error = await buildFiles(input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isCodegenError(error), String(error)).toBe(true);
    if (!isCodegenError(error)) return;
    expect(error.file).toBe(want.file);
    expect(error.pointer).toBe(want.pointer);
    expect(error.message).toMatch(want.message);
  });
});

describe('shapes codegen accepts', () => {
  it('a channel without a message (a binding-only declaration) is no error: it has no registry entry', async () => {
    const input = variant('asyncapi.yaml', (t) =>
      t
        .replace("    messages:\n      OrderPlaced:\n        $ref: '#/components/messages/OrderPlaced'\n", '')
        .replace("    messages:\n      - $ref: '#/channels/shop.order.placed/messages/OrderPlaced'\n", ''),
    );
    const { model } = await buildFiles(input);
    expect(model.events.map((e) => e.key)).not.toContain('shop.order.placed');
    expect(model.events.length).toBeGreaterThan(0);
  });
});
