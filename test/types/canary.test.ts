/**
 * Proves that type errors in test/ fail the check: a wrong payload without `@ts-expect-error` must make
 * tsc (as `npm run typecheck` runs it) fail, and the same line with the directive must pass.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const DIR = join('test', 'types', '__tmp__');
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function typecheck(body: string): { ok: boolean; output: string } {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(
    join(DIR, 'canary.ts'),
    `import type { EventPublisher } from '../../../runtime/index.js';\nimport type { BloodbankCatalog } from '../../../generated/index.js';\ndeclare const bus: EventPublisher<BloodbankCatalog>;\n${body}\n`,
  );
  writeFileSync(
    join(DIR, 'tsconfig.json'),
    JSON.stringify({ extends: '../../../tsconfig.json', include: ['canary.ts'], exclude: [] }),
  );
  try {
    const output = execFileSync('npx', ['tsc', '-p', join(DIR, 'tsconfig.json')], { encoding: 'utf8' });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

describe('type-check canary', () => {
  it('a wrong payload fails the type check, naming the field', () => {
    const r = typecheck("void bus.publish('github.pr.created', { cache_key: 42 });");
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(
      /canary\.ts\(4,41\): error TS2322: Type 'number' is not assignable to type 'string'/,
    );
  }, 120_000);

  it('the same line under @ts-expect-error passes', () => {
    const r = typecheck(
      "// @ts-expect-error — cache_key must be a string\nvoid bus.publish('github.pr.created', { cache_key: 42 });",
    );
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  }, 120_000);
});
