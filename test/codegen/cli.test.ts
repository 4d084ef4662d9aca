import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = resolve('codegen/cli.ts');
const TSX = resolve('node_modules/.bin/tsx');
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  children.forEach((c) => c.kill());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A private copy of the mini fixture with its committed output. */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-codegen-cli-'));
  dirs.push(dir);
  cpSync('test/fixtures/codegen/mini', dir, { recursive: true });
  return dir;
}

function run(dir: string, ...args: string[]) {
  const r = spawnSync(
    TSX,
    [CLI, '--input', join(dir, 'asyncapi.yaml'), '--out', join(dir, 'generated'), ...args],
    { encoding: 'utf8' },
  );
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('bloodbank-codegen CLI', () => {
  it('--check passes on the committed output (from the manifest, without regenerating)', () => {
    const dir = copy();
    const r = run(dir, '--check');
    expect(r.out).toMatch(/up to date \(manifest/);
    expect(r.code).toBe(0);
  });

  it('--check fails and names the stale files when a schema changed', () => {
    const dir = copy();
    const schema = join(dir, 'schemas/shop/order.placed.json');
    writeFileSync(
      schema,
      readFileSync(schema, 'utf8').replace('An order was placed.', 'An order was placed by a customer.'),
    );
    const r = run(dir, '--check');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/out of date/);
    expect(r.out).toMatch(/^ {2}types\/shop\.ts$/m);
    // and a regular run repairs it
    expect(run(dir).code).toBe(0);
    expect(run(dir, '--check').code).toBe(0);
  }, 60_000);

  it('--check fails on a hand-edited generated file', () => {
    const dir = copy();
    const file = join(dir, 'generated/catalog.ts');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('export type EventType', '// edited\nexport type EventType'),
    );
    const r = run(dir, '--check');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}catalog\.ts$/m);
    expect(r.out).not.toMatch(/^ {2}types\//m);
  }, 60_000);

  it('--check fails on an extra file in the output folder', () => {
    const dir = copy();
    writeFileSync(join(dir, 'generated/stray.ts'), 'export {};\n');
    const r = run(dir, '--check');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}stray\.ts$/m);
  }, 60_000);

  it('exits 2 with file and pointer on invalid input', () => {
    const dir = copy();
    const schema = join(dir, 'schemas/shop/order.cancel.json');
    writeFileSync(schema, readFileSync(schema, 'utf8').replace('"fraud"]', '"fraud"], "minLength": -1'));
    const r = run(dir);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/schemas\/shop\/order\.cancel\.json#\/properties\/reason\/minLength/);
  }, 60_000);

  it('--watch regenerates when a schema changes', async () => {
    const dir = copy();
    const child = spawn(
      TSX,
      [CLI, '--input', join(dir, 'asyncapi.yaml'), '--out', join(dir, 'generated'), '--watch'],
      { stdio: 'pipe' },
    );
    children.push(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const waitFor = async (re: RegExp, ms: number) => {
      const end = Date.now() + ms;
      while (!re.test(output)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}; output:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await waitFor(/watching/, 30_000);
    const schema = join(dir, 'schemas/shop/order.placed.json');
    writeFileSync(
      schema,
      readFileSync(schema, 'utf8').replace('An order was placed.', 'An order was placed (watched).'),
    );
    await waitFor(/changed/, 30_000);
    const end = Date.now() + 30_000;
    while (
      !readFileSync(join(dir, 'generated/types/shop.ts'), 'utf8').includes('An order was placed (watched).')
    ) {
      if (Date.now() > end) throw new Error('generated/types/shop.ts was not regenerated');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill();
  }, 90_000);
});
