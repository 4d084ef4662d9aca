/** `bb diff --against <ref>`: codegen's contract report from bb (exit codes, --json, colour). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { diff, diffArgs } from '../../../apps/cli/commands/contract-diff.js';
import type { GlobalOptions } from '../../../apps/cli/support/context.js';

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
`;
const order = (required: string[]) =>
  JSON.stringify({
    type: 'object',
    required,
    properties: { id: { type: 'string' }, note: { type: 'string' } },
  });

function git(dir: string, ...args: string[]): void {
  const r = spawnSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

/** HEAD~1: `note` optional; HEAD: `note` required (breaking backward). */
function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-diff-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'schemas'));
  writeFileSync(join(dir, 'asyncapi.yaml'), DOC);
  writeFileSync(join(dir, 'schemas', 'order.json'), order(['id']));
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'first');
  writeFileSync(join(dir, 'schemas', 'order.json'), order(['id', 'note']));
  git(dir, 'commit', '-qam', 'second');
  return join(dir, 'asyncapi.yaml');
}

async function run(options: Parameters<typeof diff>[1]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
  vi.spyOn(console, 'error').mockImplementation((s: unknown) => void out.push(String(s)));
  const code = await diff({} as GlobalOptions, options);
  return { code, out: out.join('\n') };
}

describe('bb diff', () => {
  it('--against HEAD~1 exits 1 with the rule and pointer; --json is the machine report', async () => {
    const input = repo();
    const text = await run({ against: 'HEAD~1', input });
    expect(text.code).toBe(1);
    expect(text.out).toContain('/note');
    expect(text.out).toContain('property-required');
    expect(text.out).not.toContain('\u001b[');
    const json = await run({ against: 'HEAD~1', input, json: true });
    const report = JSON.parse(json.out) as { compatible: boolean; changes: Array<{ pointer: string }> };
    expect(report.compatible).toBe(false);
    expect(report.changes.map((c) => c.pointer)).toContain('/note');
  });

  it('--color paints the report; a compatible comparison exits 0; bad input exits 2', async () => {
    const input = repo();
    expect((await run({ against: 'HEAD~1', input, color: true })).out).toContain('\u001b[31m');
    expect((await run({ against: 'HEAD', input })).code).toBe(0);
    expect((await run({ against: 'HEAD', input, mode: 'sideways' })).code).toBe(2);
  });

  it('passes only the options given', () => {
    expect(diffArgs({ against: 'main' })).toEqual(['--against', 'main']);
    expect(diffArgs({ base: 'a.yaml', input: 'b.yaml', json: true, color: true })).toEqual([
      '--input',
      'b.yaml',
      '--base',
      'a.yaml',
      '--json',
      '--color',
    ]);
  });
});
