/**
 * Per-domain entry points (generated/<domain>/): importing one domain loads none of the other domains'
 * validator modules (checked in a plain `node` child that records every module it loads), and the
 * domain registry lists exactly that domain's keys and validates like the whole-catalogue one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry as agentRegistry } from '../../generated/agent/index.js';
import * as agent from '../../generated/agent/index.js';
import { registry } from '../../generated/index.js';
import { registry as llmRegistry } from 'bloodbank-catalogue/llm';
import { ensureBuild } from '../support/build.js';

const tmp = mkdtempSync(join(tmpdir(), 'bb-domains-'));
beforeAll(() => ensureBuild(), 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The dist/generated paths (relative) a plain node process loads when it imports `entry`. */
function loadedBy(entry: string): string[] {
  const out = join(tmp, `${entry.replace(/\W/g, '_')}.txt`);
  execFileSync(
    process.execPath,
    [
      '--import',
      './test/support/record-loads.mjs',
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(resolve(entry)).href)});`,
    ],
    { env: { ...process.env, BLOODBANK_RECORD_LOADS: out }, encoding: 'utf8' },
  );
  const root = pathToFileURL(resolve('dist/generated')).href + '/';
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith(root))
    .map((u) => u.slice(root.length));
}

describe('per-domain entry points', () => {
  it('importing one domain loads its validators and the envelope ones, none of the other domains', () => {
    const loaded = loadedBy('dist/generated/agent/index.js');
    expect(loaded).toContain('agent/validators/publish.js');
    expect(loaded).toContain('agent/validators/consume.js');
    expect(loaded).toContain('validators/envelope/publish.js');
    const foreign = loaded.filter((p) => !p.startsWith('agent/') && !p.startsWith('validators/envelope/'));
    expect(loaded).toContain('agent/schemas.js');
    // Not the whole catalogue's schemas (each domain's data is its own module).
    expect(loaded).not.toContain('schemas.js');
    // Shared data and types only: no other domain's module, not the whole-catalogue validators or registry.
    expect(foreign.filter((p) => /validators|registry|client/.test(p))).toEqual([]);
    expect(foreign.filter((p) => /^(artifact|fireflies|github|llm|theboard)\//.test(p))).toEqual([]);
  });

  it('the whole catalogue entry still loads every domain (composed from the domain modules)', () => {
    const loaded = loadedBy('dist/generated/index.js');
    for (const domain of ['agent', 'artifact', 'fireflies', 'github', 'llm', 'theboard'])
      expect(loaded).toContain(`${domain}/validators/publish.js`);
  });

  it('the domain registry lists exactly its keys and validates like the whole registry', () => {
    const keys = (r: typeof agentRegistry) => r.list().map((d) => d.key);
    expect(keys(agentRegistry)).toEqual(
      registry
        .list()
        .filter((d) => d.domain === 'agent')
        .map((d) => d.key),
    );
    expect(keys(llmRegistry)).toEqual(keys(registry).filter((k) => k.startsWith('llm.')));
    expect(agentRegistry.get('llm.prompt')).toBeUndefined();
    for (const def of agentRegistry.list()) {
      const full = registry.require(def.key);
      for (const example of def.examples) {
        expect(def.validatePublish(structuredClone(example))).toEqual(
          full.validatePublish(structuredClone(example)),
        );
        expect(def.validateConsume(structuredClone(example))).toEqual(
          full.validateConsume(structuredClone(example)),
        );
      }
      const bad = { ...(def.examples[0] as object), unexpected_field: 1 };
      const r = def.validatePublish(structuredClone(bad));
      expect(r).toEqual(full.validatePublish(structuredClone(bad)));
      expect(r.ok).toBe(false);
    }
    const envelope = {
      event_type: 'agent.thread.error',
      timestamp: 'yesterday',
      source: { host: 'h', type: 'manual' },
      payload: {},
    };
    expect(agentRegistry.envelope?.validatePublish(structuredClone(envelope))).toEqual(
      registry.envelope?.validatePublish(structuredClone(envelope)),
    );
    expect(agentRegistry.envelope?.validatePublish(structuredClone(envelope)).ok).toBe(false);
    // The same validator functions: each domain's code is emitted once, the whole registry composes them.
    expect(agent.validateAgentThreadError).toBe(registry.require('agent.thread.error').validatePublish);
  });
});
