import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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
  return runWith(CLI, dir, ...args);
}

function runWith(cli: string, dir: string, ...args: string[]) {
  const r = spawnSync(
    TSX,
    [cli, '--input', join(dir, 'asyncapi.yaml'), '--out', join(dir, 'generated'), ...args],
    { encoding: 'utf8' },
  );
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/**
 * A private copy of the project codegen runs from (its sources, runtime/, package.json) whose
 * node_modules links every installed package except `replaced`, which is a folder of its own: links to
 * the real package's files and a copy of its package.json, to be edited.
 */
function project(replaced: string): { root: string; packageJson: string } {
  const root = mkdtempSync(join(tmpdir(), 'bb-codegen-project-'));
  dirs.push(root);
  for (const dir of ['codegen', 'runtime']) cpSync(dir, join(root, dir), { recursive: true });
  cpSync('package.json', join(root, 'package.json'));
  const modules = join(root, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync('node_modules')) {
    if (name !== replaced) symlinkSync(resolve('node_modules', name), join(modules, name));
  }
  mkdirSync(join(modules, replaced));
  for (const name of readdirSync(join('node_modules', replaced))) {
    if (name !== 'package.json')
      symlinkSync(resolve('node_modules', replaced, name), join(modules, replaced, name));
  }
  const packageJson = join(modules, replaced, 'package.json');
  cpSync(join('node_modules', replaced, 'package.json'), packageJson);
  return { root, packageJson };
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
  }, 240_000);

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
  }, 240_000);

  it('--check fails on an extra file in the output folder', () => {
    const dir = copy();
    writeFileSync(join(dir, 'generated/stray.ts'), 'export {};\n');
    const r = run(dir, '--check');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}stray\.ts$/m);
  }, 240_000);

  it('--check fails when a package that shapes the output has another version than the one that generated it', () => {
    const { root, packageJson } = project('ajv');
    const cli = join(root, 'codegen/cli.ts');
    const dir = copy();
    // The copy runs the same sources with the same packages: the committed manifest is its own.
    expect(runWith(cli, dir, '--check').out).toMatch(/up to date \(manifest/);
    const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
    writeFileSync(packageJson, JSON.stringify({ ...pkg, version: `${pkg.version}-other` }));
    const r = runWith(cli, dir, '--check');
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/up to date/);
    expect(r.out).toMatch(/^ {2}\.manifest\.json$/m);
    expect(r.out).toMatch(/Only \.manifest\.json differs/);
    // Regenerating records the installed versions; the check passes again.
    expect(runWith(cli, dir).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'generated/.manifest.json'), 'utf8'))).toMatchObject({
      packages: { ajv: `${pkg.version}-other` },
    });
    expect(runWith(cli, dir, '--check').out).toMatch(/up to date \(manifest/);
  }, 240_000);

  it('--check --full finds an edited output even when the manifest was edited to match it', () => {
    const dir = copy();
    const file = join(dir, 'generated/catalog.ts');
    const edited = readFileSync(file, 'utf8').replace(
      'export type EventType',
      '// edited\nexport type EventType',
    );
    writeFileSync(file, edited);
    const manifestPath = join(dir, 'generated/.manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { outputs: Record<string, string> };
    manifest.outputs['catalog.ts'] = createHash('sha256').update(edited).digest('hex');
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    // The fast path trusts the forged manifest: that is what --full is for.
    expect(run(dir, '--check').out).toMatch(/up to date \(manifest/);
    const r = run(dir, '--check', '--full');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}catalog\.ts$/m);
    expect(r.out).toMatch(/^ {2}\.manifest\.json$/m);
  }, 240_000);

  it('--check --full passes on the committed output, regenerating', () => {
    const r = run(copy(), '--check', '--full');
    expect(r.out).toMatch(/up to date \(regenerated/);
    expect(r.code).toBe(0);
  }, 240_000);

  it('--full without --check is a usage error', () => {
    const r = run(copy(), '--full');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/--full goes with --check/);
  });

  it('exits 2 with file and pointer on invalid input', () => {
    const dir = copy();
    const schema = join(dir, 'schemas/shop/order.cancel.json');
    writeFileSync(schema, readFileSync(schema, 'utf8').replace('"fraud"]', '"fraud"], "minLength": -1'));
    const r = run(dir);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/schemas\/shop\/order\.cancel\.json#\/properties\/reason\/minLength/);
  }, 240_000);

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
    await waitFor(/watching/, 120_000);
    const schema = join(dir, 'schemas/shop/order.placed.json');
    writeFileSync(
      schema,
      readFileSync(schema, 'utf8').replace('An order was placed.', 'An order was placed (watched).'),
    );
    await waitFor(/changed/, 120_000);
    const end = Date.now() + 120_000;
    while (
      !readFileSync(join(dir, 'generated/types/shop.ts'), 'utf8').includes('An order was placed (watched).')
    ) {
      if (Date.now() > end) throw new Error('generated/types/shop.ts was not regenerated');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill();
  }, 300_000);
});
