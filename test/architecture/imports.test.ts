/**
 * DESIGN.md §1 import rules, enforced by reading every import:
 * - runtime/ imports neither codegen/ nor generated/ nor apps/;
 * - codegen/ imports neither generated/ nor apps/;
 * - generated/ imports only the narrow runtime entry (`bloodbank/codegen-runtime`), itself and the
 *   catalogue's hand-written upcasters/ (issue 11: generated/upcasters.ts wires `upcasters/<key>.ts`);
 * - upcasters/ imports only generated/ (the payload types it converts between) and itself;
 * - only apps/ (and test/) import generated/;
 * - the transports runtime/amqp and runtime/memory never import each other;
 * - the workspace packages (runtime/ = bloodbank, codegen/ = bloodbank-codegen, apps/ = bloodbank-apps) import
 *   each other by package name, never by a relative path out of their folder (it breaks once packed);
 * and the top level holds no unknown folder.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const KNOWN_TOP = new Set([
  'schemas',
  'codegen',
  'generated',
  'upcasters',
  'runtime',
  'apps',
  'scripts',
  'test',
  'node_modules',
  'dist',
  'site',
  'coverage',
  '.git',
  '.ci',
  '.bench',
  'test-artifacts',
  'docs',
]);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'dist' || name === 'node_modules') continue; // a package's build and its own installs
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|tsx|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier imported or re-exported by a file (static, dynamic, require), as TypeScript's scanner sees them (text inside strings and templates is not an import). */
export function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Our package names → the folder each one is (the catalogue, `bloodbank-catalogue`, is generated/). */
const PACKAGE_FOLDERS: Readonly<Record<string, string>> = {
  bloodbank: 'runtime',
  'bloodbank-codegen': 'codegen',
  'bloodbank-apps': 'apps',
  'bloodbank-catalogue': 'generated',
};

/** The top-level folder an import lands in, by relative path or by our package name ('external' otherwise). */
function target(file: string, spec: string): string {
  const name = /^(bloodbank(?:-[a-z]+)?)(?:\/|$)/.exec(spec)?.[1];
  if (name !== undefined) return PACKAGE_FOLDERS[name] ?? 'external';
  if (!spec.startsWith('.')) return 'external';
  const abs = resolve(dirname(file), spec);
  return relative(ROOT, abs).split(/[\\/]/)[0] as string;
}

function violations(folder: string, allowed: (t: string, spec: string) => boolean): string[] {
  const out: string[] = [];
  for (const f of files(join(ROOT, folder))) {
    for (const spec of importsOf(readFileSync(f, 'utf8'))) {
      const t = target(f, spec);
      if (!allowed(t, spec)) out.push(`${relative(ROOT, f)} imports ${spec}`);
    }
  }
  return out;
}

describe('import direction (DESIGN.md §1)', () => {
  it('the import reader sees static, dynamic and re-exports', () => {
    expect(
      importsOf(
        "import a from './a.js';\nexport * from '../b.js';\nconst c = await import('../c.js');\nimport type { D } from 'd';",
      ),
    ).toEqual(['./a.js', '../b.js', '../c.js', 'd']);
  });

  it('runtime/ imports neither codegen/ nor generated/ nor apps/', () => {
    expect(violations('runtime', (t) => !['codegen', 'generated', 'apps'].includes(t))).toEqual([]);
  });

  it('the transports (runtime/amqp, runtime/memory) never import each other; what they share is in runtime/delivery', () => {
    const out: string[] = [];
    for (const [from, other] of [
      ['amqp', 'memory'],
      ['memory', 'amqp'],
    ] as const) {
      for (const f of files(join(ROOT, 'runtime', from))) {
        for (const spec of importsOf(readFileSync(f, 'utf8'))) {
          if (!spec.startsWith('.')) continue;
          const landed = relative(join(ROOT, 'runtime'), resolve(dirname(f), spec)).split(/[\\/]/)[0];
          if (landed === other) out.push(`${relative(ROOT, f)} imports ${spec}`);
        }
      }
    }
    expect(out).toEqual([]);
  });

  it('codegen/ imports neither generated/ nor apps/', () => {
    expect(violations('codegen', (t) => !['generated', 'apps'].includes(t))).toEqual([]);
  });

  it('generated/ imports only bloodbank/codegen-runtime, itself and upcasters/', () => {
    expect(
      violations(
        'generated',
        (t, spec) => t === 'generated' || t === 'upcasters' || spec === 'bloodbank/codegen-runtime',
      ),
    ).toEqual([]);
  });

  it('upcasters/ (when the catalogue has any) imports only generated/ and itself', () => {
    let out: string[] = [];
    try {
      out = violations('upcasters', (t) => t === 'generated' || t === 'upcasters');
    } catch {
      // no upcasters/ folder
    }
    expect(out).toEqual([]);
  });

  it('only apps/ and test/ import generated/', () => {
    const out: string[] = [];
    for (const folder of ['runtime', 'codegen', 'scripts', 'schemas']) {
      try {
        out.push(...violations(folder, (t) => t !== 'generated'));
      } catch {
        // a folder without code
      }
    }
    expect(out).toEqual([]);
  });

  it('the packages import each other by name, never by a relative path out of their folder', () => {
    // apps/ compiles the catalogue in (bb's default registry), so it may reach generated/ relatively.
    const own: Record<string, readonly string[]> = {
      runtime: ['runtime'],
      codegen: ['codegen'],
      apps: ['apps', 'generated'],
    };
    const out: string[] = [];
    for (const [folder, allowed] of Object.entries(own)) {
      for (const f of files(join(ROOT, folder))) {
        for (const spec of importsOf(readFileSync(f, 'utf8'))) {
          if (spec.startsWith('.') && !allowed.includes(target(f, spec)))
            out.push(`${relative(ROOT, f)} imports ${spec} (node scripts/workspace-imports.mjs rewrites it)`);
        }
      }
    }
    expect(out).toEqual([]);
  });

  it('the top level holds only the folders of the layout', () => {
    const unknown = readdirSync(ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !KNOWN_TOP.has(d.name))
      .map((d) => d.name);
    expect(unknown).toEqual([]);
  });
});
