/**
 * The contract gate: `codegen` keeps generated/contract.lock.json; a breaking edit exits 1 leaving the
 * snapshot (and the output) as it was, `--check` fails while snapshot and document disagree, and
 * `--accept-breaking "<reason>"` lets the edit through on the record.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { contractGate, parseLock } from '../../../codegen/contract/lock.js';
import { nextVersionKey, runVersionCommand } from '../../../codegen/contract/version.js';

const CLI = resolve('codegen/cli.ts');
const TSX = resolve('node_modules/.bin/tsx');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A private copy of the mini fixture with a contract snapshot of its current document. */
function project(): { dir: string; input: string; out: string; lock: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bb-contract-gate-'));
  dirs.push(dir);
  cpSync('test/fixtures/codegen/mini', dir, { recursive: true });
  const input = join(dir, 'asyncapi.yaml');
  const out = join(dir, 'generated');
  const lock = join(out, 'contract.lock.json');
  const first = contractGate({ input, out, check: false });
  expect(first.code).toBe(0);
  expect(first.commit()).toBe(true);
  return { dir, input, out, lock };
}

/** The parts of order.placed.json the edits touch. */
interface OrderSchema {
  properties: Record<string, unknown> & {
    lines: { items: { properties: { qty: Record<string, unknown> } } };
  };
}

function editSchema(dir: string, edit: (s: OrderSchema) => void): void {
  const path = join(dir, 'schemas/shop/order.placed.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as OrderSchema;
  edit(json);
  writeFileSync(path, JSON.stringify(json, null, 2));
}

const narrowQty = (s: OrderSchema) => {
  s.properties.lines.items.properties.qty['maximum'] = 10;
};

function cli(p: { input: string; out: string }, ...args: string[]) {
  const r = spawnSync(TSX, [CLI, '--input', p.input, '--out', p.out, ...args], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('contract gate', () => {
  it('the snapshot is sorted and byte-stable, and a second run changes nothing', () => {
    const p = project();
    const text = readFileSync(p.lock, 'utf8');
    const again = contractGate({ input: p.input, out: p.out, check: true });
    expect(again.code).toBe(0);
    expect(again.commit()).toBe(false);
    expect(parseLock(text, 'lock').contract.messages.map((m) => m.id)).toEqual(
      [...parseLock(text, 'lock').contract.messages.map((m) => m.id)].sort(),
    );
    expect(readFileSync(p.lock, 'utf8')).toBe(text);
  });

  it('a compatible edit updates the snapshot; --check fails until it does', () => {
    const p = project();
    const before = readFileSync(p.lock, 'utf8');
    editSchema(p.dir, (s) => {
      s.properties['coupon'] = { type: 'string' };
    });
    const check = contractGate({ input: p.input, out: p.out, check: true });
    expect(check.code).toBe(1);
    expect(check.message).toMatch(/out of date/);
    const run = contractGate({ input: p.input, out: p.out, check: false });
    expect(run.code).toBe(0);
    expect(run.diff?.changes.map((c) => [c.pointer, c.rule])).toEqual([
      ['/payload/coupon', 'property-added'],
    ]);
    expect(run.commit()).toBe(true);
    expect(readFileSync(p.lock, 'utf8')).not.toBe(before);
    expect(contractGate({ input: p.input, out: p.out, check: true }).code).toBe(0);
  });

  it('a breaking edit: codegen exits 1 with the report, snapshot and output unchanged; --check fails', () => {
    const p = project();
    const lock = readFileSync(p.lock, 'utf8');
    const types = readFileSync(join(p.out, 'types/shop.ts'), 'utf8');
    editSchema(p.dir, narrowQty);
    const r = cli(p);
    expect(r.out).toContain('/payload/lines/*/qty');
    expect(r.out).toContain('bound-tightened');
    expect(r.out).toContain('npx bloodbank-codegen version shop.order.placed');
    expect(r.out).toContain('--accept-breaking');
    expect(r.code).toBe(1);
    expect(readFileSync(p.lock, 'utf8')).toBe(lock);
    expect(readFileSync(join(p.out, 'types/shop.ts'), 'utf8')).toBe(types);
    const check = cli(p, '--check');
    expect(check.out).toContain('bound-tightened');
    expect(check.code).toBe(1);
  }, 120_000);

  it('--accept-breaking "<reason>" lets it through and records the reason', () => {
    const p = project();
    editSchema(p.dir, narrowQty);
    expect(contractGate({ input: p.input, out: p.out, check: false }).code).toBe(1);
    const accepted = contractGate({
      input: p.input,
      out: p.out,
      check: false,
      acceptBreaking: 'no order ever had more than 10 of a line',
    });
    expect(accepted.code).toBe(0);
    expect(accepted.commit()).toBe(true);
    const lock = parseLock(readFileSync(p.lock, 'utf8'), 'lock');
    expect(lock.accepted).toEqual([
      {
        reason: 'no order ever had more than 10 of a line',
        changes: ['shop.order.placed OrderPlaced /payload/lines/*/qty bound-tightened'],
      },
    ]);
    expect(contractGate({ input: p.input, out: p.out, check: true }).code).toBe(0);
  });

  it('without a snapshot, --check says so and passes; the first run creates it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bb-contract-gate-'));
    dirs.push(dir);
    cpSync('test/fixtures/codegen/mini', dir, { recursive: true });
    const input = join(dir, 'asyncapi.yaml');
    const out = join(dir, 'generated');
    const check = contractGate({ input, out, check: true });
    expect(check.code).toBe(0);
    expect(check.message).toMatch(/no .*contract\.lock\.json yet/);
    expect(check.commit()).toBe(false);
    expect(existsSync(join(out, 'contract.lock.json'))).toBe(false);
  });

  it('version: a breaking edit moves to <key>.v2, the old message is deprecated, and the gate passes', async () => {
    const p = project();
    const git = (...args: string[]) =>
      spawnSync('git', ['-C', p.dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        encoding: 'utf8',
      });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'v1');
    const v1 = readFileSync(join(p.dir, 'schemas/shop/order.placed.json'), 'utf8');
    editSchema(p.dir, narrowQty);
    expect(contractGate({ input: p.input, out: p.out, check: true }).code).toBe(1);

    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const code = await runVersionCommand(['shop.order.placed', '--input', p.input, '--out', p.out]);
    log.mockRestore();
    expect(code).toBe(0);
    // The old schema is back as it was; the edit lives in the new version.
    expect(readFileSync(join(p.dir, 'schemas/shop/order.placed.json'), 'utf8')).toBe(v1);
    const v2 = JSON.parse(
      readFileSync(join(p.dir, 'schemas/shop/order.placed.v2.json'), 'utf8'),
    ) as OrderSchema & {
      $id: string;
    };
    expect(v2.properties.lines.items.properties.qty['maximum']).toBe(10);
    expect(v2.$id).toBe('https://example.test/schemas/shop/order.placed.v2.json');
    const doc = readFileSync(p.input, 'utf8');
    expect(doc).toMatch(/shop\.order\.placed\.v2:\n {4}address: shop\.order\.placed\.v2/);
    expect(doc).toMatch(/OrderPlaced:[\s\S]*?deprecated: true/);
    expect(doc).toContain('const: shop.order.placed.v2');
    // The gate now passes: a channel was added, nothing in v1 changed.
    const gate = contractGate({ input: p.input, out: p.out, check: true });
    expect(gate.code).toBe(0);
    const lock = parseLock(readFileSync(p.lock, 'utf8'), 'lock');
    expect(lock.contract.messages.map((m) => [m.id, m.deprecated])).toContainEqual([
      'shop.order.placed/OrderPlaced',
      true,
    ]);
    // Both versions are generated; the registry links them and the old publisher is @deprecated.
    const registry = readFileSync(join(p.out, 'registry.ts'), 'utf8');
    expect(registry).toMatch(
      /key: "shop\.order\.placed",[\s\S]*?version: 1,\s*supersedes: null,\s*supersededBy: "shop\.order\.placed\.v2",\s*deprecated: true,/,
    );
    expect(registry).toMatch(
      /key: "shop\.order\.placed\.v2",[\s\S]*?version: 2,\s*supersedes: "shop\.order\.placed",\s*supersededBy: null,\s*deprecated: false,/,
    );
    expect(readFileSync(join(p.out, 'client.ts'), 'utf8')).toContain(
      '@deprecated Superseded by shop.order.placed.v2: publish that instead.',
    );
  }, 120_000);

  it('nextVersionKey counts versions', () => {
    expect(nextVersionKey('a.b')).toEqual({ base: 'a.b', version: 2, key: 'a.b.v2' });
    expect(nextVersionKey('a.b.v2')).toEqual({ base: 'a.b', version: 3, key: 'a.b.v3' });
  });
});
