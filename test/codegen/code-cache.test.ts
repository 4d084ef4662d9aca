/** codegen/code-cache.ts: big CommonJS files compile from a V8 code cache and behave the same. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codegenCacheDir, flushCodeCache, requireCached } from '../../codegen/code-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'bb-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('V8 code cache for big CommonJS files', () => {
  it('writes the cache after a run and loads from it with the same behaviour', () => {
    const cache = join(dir, 'cache');
    const big = join(dir, 'big.js');
    const filler = `// ${'x'.repeat(300 * 1024)}\n`;
    writeFileSync(
      big,
      `${filler}const path = require('node:path');\nexports.answer = (n) => n * 2;\nexports.file = __filename;\nexports.base = path.basename(__dirname);\nexports.self = module.exports === exports;\nexports.resolved = require.resolve('./small.js');\n`,
    );
    writeFileSync(join(dir, 'small.js'), 'module.exports = 1;\n');
    const req = createRequire(join(dir, 'x.js'));

    const first = requireCached('./big.js', join(dir, 'x.js'), cache) as Record<string, unknown>;
    flushCodeCache();
    expect(readdirSync(cache).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    delete req.cache[big];
    const second = requireCached('./big.js', join(dir, 'x.js'), cache) as Record<string, unknown>;
    flushCodeCache();
    expect(readdirSync(cache)).toHaveLength(1);
    for (const mod of [first, second]) {
      expect((mod['answer'] as (n: number) => number)(21)).toBe(42);
      expect(mod['file']).toBe(big);
      expect(mod['base']).toBe(dir.split(/[\\/]/).pop());
      expect(mod['self']).toBe(true);
      expect(mod['resolved']).toBe(join(dir, 'small.js'));
    }
  });

  it('lives in node_modules/.cache/bloodbank-codegen unless BLOODBANK_CODEGEN_CACHE says otherwise', () => {
    const saved = process.env['BLOODBANK_CODEGEN_CACHE'];
    try {
      delete process.env['BLOODBANK_CODEGEN_CACHE'];
      expect(codegenCacheDir('/r/node_modules/ts-morph/dist/ts-morph.js')).toBe(
        join('/r/node_modules', '.cache', 'bloodbank-codegen'),
      );
      expect(codegenCacheDir('/elsewhere/ts-morph.js')).toBeNull();
      process.env['BLOODBANK_CODEGEN_CACHE'] = 'off';
      expect(codegenCacheDir('/r/node_modules/ts-morph/dist/ts-morph.js')).toBeNull();
      process.env['BLOODBANK_CODEGEN_CACHE'] = '/tmp/somewhere';
      expect(codegenCacheDir('/r/node_modules/ts-morph/dist/ts-morph.js')).toBe('/tmp/somewhere');
    } finally {
      if (saved === undefined) delete process.env['BLOODBANK_CODEGEN_CACHE'];
      else process.env['BLOODBANK_CODEGEN_CACHE'] = saved;
    }
  });
});
