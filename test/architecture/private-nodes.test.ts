import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PRIVATE_NODE_TESTS } from '../private-node-tests.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(ROOT, path).split('\\').join('/')] : [];
  });
}

describe('tests that break their own broker or Redis run apart (vitest.config.ts)', () => {
  it('every test file starting a private node is listed in test/private-node-tests.ts, and every listed file exists', () => {
    const all = testFiles(join(ROOT, 'test'));
    const starting = all.filter((file) =>
      /\bstartPrivate(Rabbit|Redis|Cluster|Sentinel)\(/.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(starting.length).toBeGreaterThan(0);
    expect([...starting].sort()).toEqual([...PRIVATE_NODE_TESTS].sort());
  });
});
