/**
 * `bloodbank-codegen diff` end to end: a git repository in a temp folder with two commits of a small
 * AsyncAPI document (no Bloodbank envelope), `diff --against HEAD~1`, `--base`, `--json` and bad input.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runContractCommand } from '../../../codegen/contract/cli.js';

const CLI = resolve('codegen/cli.ts');
const TSX = resolve('node_modules/.bin/tsx');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

const DOC = `asyncapi: 3.0.0
info: { title: Shop, version: 1.0.0 }
channels:
  orders:
    address: shop/orders
    messages:
      OrderPlaced:
        payload: { $ref: 'schemas/order.json' }
  refunds:
    address: shop/refunds
    x-bloodbank-compatibility: backward
    messages:
      Refund:
        payload:
          type: object
          properties: { amount: { type: integer } }
operations:
  placeOrder:
    action: send
    channel: { $ref: '#/channels/orders' }
`;

const order = (extra: object = {}, required: string[] = ['id']) =>
  JSON.stringify({
    type: 'object',
    additionalProperties: false,
    required,
    properties: { id: { type: 'string' }, note: { type: 'string' }, ...extra },
  });

function git(dir: string, ...args: string[]): void {
  const r = spawnSync(
    'git',
    ['-C', dir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

/** A repository whose HEAD~1 has the first schema and HEAD the second. */
function repo(first: string, second: string, doc2 = DOC): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-contract-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'api', 'schemas'), { recursive: true });
  writeFileSync(join(dir, 'api', 'asyncapi.yaml'), DOC);
  writeFileSync(join(dir, 'api', 'schemas', 'order.json'), first);
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'first');
  writeFileSync(join(dir, 'api', 'asyncapi.yaml'), doc2);
  writeFileSync(join(dir, 'api', 'schemas', 'order.json'), second);
  git(dir, 'commit', '--allow-empty', '-qam', 'second');
  return join(dir, 'api');
}

async function diff(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
  vi.spyOn(console, 'error').mockImplementation((s: unknown) => void out.push(String(s)));
  const code = await runContractCommand('diff', args);
  return { code, out: out.join('\n') };
}

describe('bloodbank-codegen diff', () => {
  it('diff --against HEAD~1 (the real CLI): a required property added exits 1 naming rule and pointer', () => {
    const api = repo(order(), order({ sku: { type: 'string' } }, ['id', 'sku']));
    const r = spawnSync(TSX, [CLI, 'diff', '--against', 'HEAD~1', '--input', join(api, 'asyncapi.yaml')], {
      encoding: 'utf8',
      cwd: api,
    });
    expect(r.stdout).toContain('required-property-added');
    expect(r.stdout).toContain('/sku');
    expect(r.stdout).toContain('npx bloodbank-codegen version shop/orders');
    expect(r.status).toBe(1);
  });

  it('--json lists every change with the documented fields; a compatible edit exits 0', async () => {
    const api = repo(order(), order({ sku: { type: 'string' } }));
    const r = await diff('--against', 'HEAD~1', '--input', join(api, 'asyncapi.yaml'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      compatible: true,
      changes: [
        {
          channel: 'orders',
          message: 'OrderPlaced',
          pointer: '/sku',
          rule: 'property-added',
          backward: true,
          forward: true,
          breaking: false,
          explanation: expect.stringContaining('sku') as string,
        },
      ],
    });
  });

  it('applies the channel policy: a BACKWARD channel may widen a type; a required field with a default passes FULL', async () => {
    const widened = DOC.replace('amount: { type: integer }', 'amount: { type: number }');
    const api = repo(
      order(),
      order({}, ['id', 'note']).replace('"note":{"type":"string"}', '"note":{"type":"string","default":"-"}'),
      widened,
    );
    const r = await diff('--against', 'HEAD~1', '--input', join(api, 'asyncapi.yaml'), '--json');
    const changes = (
      JSON.parse(r.out) as { changes: Array<{ channel: string; rule: string; breaking: boolean }> }
    ).changes;
    expect(changes).toEqual([
      expect.objectContaining({ channel: 'orders', rule: 'property-required', breaking: false }),
      expect.objectContaining({ channel: 'refunds', rule: 'type-widened', breaking: false }),
    ]);
    expect(r.code).toBe(0);
    // --mode full does not override the channel's own x-bloodbank-compatibility: backward.
    expect(
      (await diff('--against', 'HEAD~1', '--input', join(api, 'asyncapi.yaml'), '--mode', 'full')).code,
    ).toBe(0);
  });

  it('a removed channel is breaking', async () => {
    const api = repo(order(), order(), DOC.replace(/ {2}refunds:[\s\S]*?(?=operations:)/, ''));
    const r = await diff('--against', 'HEAD~1', '--input', join(api, 'asyncapi.yaml'));
    expect(r.out).toContain('channel-removed');
    expect(r.code).toBe(1);
  });

  it('--mode replaces the default policy of channels that do not set their own', async () => {
    const api = repo(order(), order({ sku: { type: 'string' } }, ['id', 'sku']));
    const input = join(api, 'asyncapi.yaml');
    expect((await diff('--against', 'HEAD~1', '--input', input, '--mode', 'none')).code).toBe(0);
    expect((await diff('--against', 'HEAD~1', '--input', input, '--mode', 'forward')).code).toBe(0);
    expect((await diff('--against', 'HEAD~1', '--input', input, '--mode', 'backward')).code).toBe(1);
    expect((await diff('--against', 'HEAD~1', '--input', input, '--mode', 'sideways')).code).toBe(2);
  });

  it('exits 2 on invalid input: an unknown ref, a missing file, a bad policy', async () => {
    const api = repo(order(), order());
    const input = join(api, 'asyncapi.yaml');
    expect((await diff('--against', 'no-such-ref', '--input', input)).code).toBe(2);
    expect((await diff('--base', join(api, 'missing.yaml'), '--input', input)).code).toBe(2);
    writeFileSync(
      join(api, 'bad.yaml'),
      DOC.replace('x-bloodbank-compatibility: backward', 'x-bloodbank-compatibility: sideways'),
    );
    const bad = await diff('--base', input, '--input', join(api, 'bad.yaml'));
    expect(bad.out).toContain('/channels/refunds/x-bloodbank-compatibility');
    expect(bad.code).toBe(2);
    expect((await diff('--input', input)).code).toBe(2);
  });
});
