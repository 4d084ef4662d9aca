/**
 * Generated validators load as ESM under plain `node` (not vitest, which would hide a stray `require()`),
 * formats work, and nothing compiles a schema at run time.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuild } from '../support/build.js';

beforeAll(() => ensureBuild(), 300_000);

const CHILD = `
import { createRequire } from 'node:module';
const { registry } = await import('./dist/generated/registry.js');
const results = [];
for (const def of registry.list()) {
  for (const example of def.examples) {
    const pub = def.validatePublish(structuredClone(example));
    const con = def.validateConsume(structuredClone(example));
    results.push({ key: def.key, publish: pub.ok, consume: con.ok, issues: pub.ok ? [] : pub.issues });
  }
}
const env = registry.envelope;
const badTime = env.validatePublish({ event_type: 'llm.prompt', timestamp: 'yesterday', source: { host: 'h', type: 'manual' }, payload: {} });
const naive = env.validateConsume({ event_type: 'llm.prompt', timestamp: '2026-11-26T16:15:23.030243', source: { host: 'h', type: 'manual' }, payload: {} });
const naiveStrict = env.validatePublish({ event_type: 'llm.prompt', timestamp: '2026-11-26T16:15:23.030243', source: { host: 'h', type: 'manual' }, payload: {} });
const long = registry.require('github.pr.created').validatePublish({ cache_key: 'x'.repeat(5000) });
const require = createRequire(import.meta.url);
const loaded = Object.keys(require.cache).filter((p) => /ajv[\\\\/]dist[\\\\/](ajv|core|compile)/.test(p));
console.log(JSON.stringify({ results, badTime, naive: naive.ok, naiveStrict: naiveStrict.ok, long, loaded }));
`;

describe('validators under plain node', () => {
  it('every example of every event validates (publish and consume), formats work, no ajv compiler is loaded', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], { encoding: 'utf8' });
    const r = JSON.parse(out) as {
      results: Array<{ key: string; publish: boolean; consume: boolean; issues: unknown[] }>;
      badTime: { ok: boolean; issues?: Array<{ pointer: string; rule: string }> };
      naive: boolean;
      naiveStrict: boolean;
      long: { ok: boolean; issues?: Array<{ pointer: string; rule: string }> };
      loaded: string[];
    };
    expect(r.results.length).toBeGreaterThanOrEqual(24);
    expect(r.results.filter((x) => !x.publish || !x.consume)).toEqual([]);
    expect(r.badTime.ok).toBe(false);
    expect(r.badTime.issues).toContainEqual(
      expect.objectContaining({ pointer: '/timestamp', rule: 'format' }),
    );
    expect(r.naive).toBe(true);
    expect(r.naiveStrict).toBe(false);
    expect(r.long.ok).toBe(false);
    expect(r.long.issues).toContainEqual(
      expect.objectContaining({ pointer: '/cache_key', rule: 'maxLength' }),
    );
    expect(r.loaded).toEqual([]);
  });

  it('no generated or runtime file constructs Ajv or compiles a schema', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (
          /\.(ts|js)$/.test(name) &&
          /new Ajv\b|\.compile\(|from 'ajv'|require\("ajv"\)/.test(readFileSync(p, 'utf8'))
        )
          offenders.push(p);
      }
    };
    walk('generated');
    walk('runtime');
    expect(offenders).toEqual([]);
  });
});
