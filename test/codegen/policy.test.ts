/**
 * codegen validates the policy beside the document (codegen/policy.ts): a mistake stops it with the
 * policy's JSON pointer; a valid policy passes, and editing it makes the fast `--check` stale.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFiles, runCodegen } from '../../codegen/index.js';
import { isCodegenError } from '../../runtime/errors/codegen-error.js';

const MINI = 'test/fixtures/codegen/mini';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function withPolicy(policy: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bb-codegen-policy-'));
  dirs.push(dir);
  cpSync(MINI, dir, { recursive: true, filter: (src) => !src.includes('/generated') });
  writeFileSync(join(dir, 'policy.yaml'), policy);
  return join(dir, 'asyncapi.yaml');
}

describe('codegen checks policy.yaml', () => {
  it('a pattern that matches no channel stops codegen with its pointer', async () => {
    const input = withPolicy('services:\n  shop:\n    publish: [shop.order.placed, shop.ordr.cancelled]\n');
    const error = await buildFiles(input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isCodegenError(error), String(error)).toBe(true);
    if (!isCodegenError(error)) return;
    expect(error.file).toMatch(/policy\.yaml$/);
    expect(error.pointer).toBe('/services/shop/publish/1');
    expect(error.message).toMatch(/shop\.ordr\.cancelled/);
  });

  it('a valid policy passes, and an edit to it makes the fast --check stale', async () => {
    const input = withPolicy('services:\n  shop:\n    publish: [shop.order.*]\n    consume: [shop.#]\n');
    const out = join(input, '..', 'generated');
    await runCodegen({ input, out });
    expect((await runCodegen({ input, out, check: true })).changed).toEqual([]);
    writeFileSync(join(input, '..', 'policy.yaml'), 'services:\n  shop:\n    publish: [shop.order.placed]\n');
    expect((await runCodegen({ input, out, check: true })).changed).toEqual(['.manifest.json']);
  });
});
