/**
 * Issues 17 and 19: any valid AsyncAPI 2.x or 3.x document generates output that compiles. For every codegen
 * fixture, the real CLI (`bloodbank-codegen --input <document> --out <dir>`, run from its sources as
 * `npm run codegen` does) exits 0, and its output type-checks under the repository's strict compiler
 * options. The outputs are written inside the repository (test/codegen/__tmp__/, gitignored) so that
 * `bloodbank/codegen-runtime` resolves through the package's self-reference, as it does in a user's
 * repository that depends on bloodbank; one tsc program checks them all (tsc starts slowly).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codegenFixtures } from '../support/codegen-fixtures.js';

const ROOT = resolve('test/codegen/__tmp__', `any-document-${process.pid}`);
const CLI = resolve('codegen/cli.ts');
const TSC = resolve('node_modules/typescript/bin/tsc');
const fixtures = codegenFixtures();

afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

function run(command: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out }));
  });
}

/**
 * Warnings codegen owes on a fixture, by the pointer they name: Reference Object siblings are ignored, as
 * the AsyncAPI specification says, but not silently (issue 19).
 */
const WARNINGS: Record<string, string[]> = {
  'ref-siblings': ['#/channels/userSignedUp/messages/signedUp', '#/channels/userDeleted/messages/deleted'],
};

/** Fixtures whose codegen exited 0, with their output folder. */
const generated = new Map<string, string>();

describe('codegen generates every fixture through the CLI', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))(
    '%s: exit 0',
    async (name, fixture) => {
      const out = join(ROOT, name);
      const r = await run(process.execPath, [
        '--import',
        'tsx',
        '--conditions=bloodbank-source',
        CLI,
        '--input',
        fixture.document,
        '--out',
        out,
      ]);
      expect(r.out.trim().split('\n').at(-1), r.out).toMatch(/^codegen: /);
      expect(r.code, r.out).toBe(0);
      generated.set(name, out);
      for (const pointer of WARNINGS[name] ?? [])
        expect(r.out, `a warning naming ${pointer}`).toContain(pointer);
    },
    180_000,
  );
});

describe('the generated output type-checks (tsc --strict, the repository options)', () => {
  let errors: Map<string, string[]> | null = null;

  /** One tsc program over every output that generated; its errors grouped by fixture. */
  async function typecheck(): Promise<Map<string, string[]>> {
    if (errors) return errors;
    mkdirSync(ROOT, { recursive: true });
    const config = join(ROOT, 'tsconfig.json');
    const repoConfig = relative(ROOT, resolve('tsconfig.json')).split(sep).join('/');
    writeFileSync(
      config,
      JSON.stringify({
        extends: repoConfig,
        compilerOptions: { noEmit: true, strict: true },
        include: [...generated.keys()].map((name) => `./${name}/**/*.ts`),
        exclude: [],
      }),
    );
    const r = await run(process.execPath, [TSC, '-p', config, '--pretty', 'false']);
    const found = new Map<string, string[]>();
    for (const line of r.out.split('\n').filter((l) => /error TS\d+/.test(l))) {
      const path = resolve(line.split('(')[0] ?? '');
      const name = relative(ROOT, path).split(sep)[0] ?? '?';
      found.set(name, [...(found.get(name) ?? []), line]);
    }
    // A failure of tsc itself (not a type error in a file) must not pass for "no errors".
    if (r.code !== 0 && found.size === 0) found.set('(tsc)', [r.out]);
    errors = found;
    return found;
  }

  it('tsc ran without an error of its own', async () => {
    expect((await typecheck()).get('(tsc)') ?? []).toEqual([]);
  }, 900_000);

  it.each(fixtures.map((f) => [f.name] as const))(
    '%s: no type error',
    async (name) => {
      expect(generated.has(name), `${name} did not generate`).toBe(true);
      expect((await typecheck()).get(name) ?? []).toEqual([]);
    },
    900_000,
  );
});
