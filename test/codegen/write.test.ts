/**
 * codegen/write.ts: what the manifest's key covers. The installed versions of the packages that shape
 * the output, found as Node finds them, their dependencies included; every package codegen imports is one.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  generatorHash,
  installedVersions,
  OUTPUT_PACKAGES,
  outputPackageVersions,
} from '../../codegen/write.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A folder holding `files` (path → package.json object). */
function tree(files: Record<string, object>): string {
  const root = mkdtempSync(join(tmpdir(), 'bb-codegen-installed-'));
  dirs.push(root);
  for (const [path, json] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), JSON.stringify(json));
  }
  return root;
}

const pkg = (
  name: string,
  version: string,
  dependencies: Record<string, string> = {},
  more: object = {},
) => ({
  name,
  version,
  dependencies,
  ...more,
});

describe('installedVersions', () => {
  it('follows dependencies as Node resolves them: nested copies first, missing ones named', () => {
    const root = tree({
      'package.json': pkg('app', '1.0.0', { a: '*' }),
      'node_modules/a/package.json': pkg(
        'a',
        '1.0.0',
        { b: '*', gone: '*' },
        { optionalDependencies: { opt: '*' } },
      ),
      'node_modules/a/node_modules/b/package.json': pkg('b', '2.0.0', { c: '*' }),
      'node_modules/b/package.json': pkg('b', '1.0.0'),
      'node_modules/c/package.json': pkg('c', '3.0.0'),
      'node_modules/@s/d/package.json': pkg('@s/d', '4.0.0', { c: '*' }),
    });
    expect(installedVersions(root, ['a', '@s/d'])).toEqual([
      '@s/d@4.0.0',
      'a@1.0.0',
      'b@2.0.0',
      'c@3.0.0',
      'gone@missing',
    ]);
    expect(installedVersions(root, ['b'])).toEqual(['b@1.0.0']);
  });
});

describe('generatorHash of an installed codegen (no sources)', () => {
  const installed = (fastUri: string) =>
    tree({
      'package.json': pkg('bloodbank', '0.1.0'),
      ...Object.fromEntries(
        OUTPUT_PACKAGES.map((name) => [`node_modules/${name}/package.json`, pkg(name, '1.0.0')]),
      ),
      'node_modules/ajv/package.json': pkg('ajv', '8.0.0', { 'fast-uri': '*' }),
      'node_modules/fast-uri/package.json': pkg('fast-uri', fastUri),
    });

  it('changes with the version of a dependency of a package that shapes the output', () => {
    const [one, same, other] = [installed('3.0.0'), installed('3.0.0'), installed('3.0.1')];
    expect(generatorHash(one)).toBe(generatorHash(same));
    expect(generatorHash(other)).not.toBe(generatorHash(one));
    expect(outputPackageVersions(one)).toMatchObject({ ajv: '8.0.0', 'ts-morph': '1.0.0' });
  });
});

describe('OUTPUT_PACKAGES', () => {
  it('names every package codegen imports (chokidar only watches)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) =>
        statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)],
      );
    const imported = new Set<string>();
    for (const file of files('codegen').filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(
        /(?:from |import\(|require\()\s*'([^'.$][^']*)'/g,
      )) {
        const spec = m[1] as string;
        if (spec.startsWith('node:')) continue;
        const parts = spec.split('/');
        imported.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string));
      }
    }
    imported.delete('chokidar');
    // The runtime (bloodbank): its sources are hashed with codegen's own in the repository, its version when installed.
    imported.delete('bloodbank');
    expect(imported.size).toBeGreaterThan(0);
    expect([...imported].filter((name) => !(OUTPUT_PACKAGES as readonly string[]).includes(name))).toEqual(
      [],
    );
  });
});
