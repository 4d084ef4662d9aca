import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../runtime/metrics.js';
import { CorrelationTracker, generateEventId } from '../../../runtime/redis/index.js';
import { REDIS_URL, deleteKeys, uniquePrefix } from './helpers.js';

const raw = new Redis(REDIS_URL);
const prefix = uniquePrefix('correlation');
const tracker = new CorrelationTracker({ url: REDIS_URL, keyPrefix: prefix, ttlDays: 2 });
/** Writes under the original's prefix, for the layout test; its keys are deleted one by one. */
const original = new CorrelationTracker({ url: REDIS_URL, ttlDays: 2 });
const originalIds: string[] = [];

/** A fresh id per name, so tests never share nodes. */
function ids<N extends string>(...names: N[]): Record<N, string> {
  const tag = randomUUID().slice(0, 8);
  return Object.fromEntries(names.map((n) => [n, `${tag}-${n}`])) as Record<N, string>;
}

async function link(child: string, ...parents: string[]): Promise<void> {
  expect(await tracker.addCorrelation(child, parents)).toBe(true);
}

/** Every event comes after each of its parents that is in the chain. */
async function expectCausalOrder(chain: string[]): Promise<void> {
  for (const [i, id] of chain.entries()) {
    for (const parent of await tracker.getParents(id)) {
      const at = chain.indexOf(parent);
      if (at !== -1) expect(at, `${parent} before ${id}`).toBeLessThan(i);
    }
  }
}

beforeAll(async () => {
  await Promise.all([tracker.start(), original.start()]);
});

afterAll(async () => {
  await deleteKeys(raw, `${prefix}:*`);
  for (const id of originalIds)
    await raw.del(`bloodbank:correlation:forward:${id}`, `bloodbank:correlation:reverse:${id}`);
  await Promise.all([tracker.close(), original.close()]);
  raw.disconnect();
});

describe('Redis layout shared with the original', () => {
  it('writes the forward STRING and reverse SETs under bloodbank:correlation with the TTL', async () => {
    const [child, p1, p2] = [randomUUID(), randomUUID(), randomUUID()];
    originalIds.push(child, p1, p2);
    expect(await original.addCorrelation(child, [p1, p2], { reason: 'test' })).toBe(true);

    const forwardKey = `bloodbank:correlation:forward:${child}`;
    expect(await raw.type(forwardKey)).toBe('string');
    const text = (await raw.get(forwardKey)) ?? '';
    const record = JSON.parse(text) as Record<string, unknown>;
    expect(text).toBe(JSON.stringify(record)); // compact, as orjson writes
    expect(Object.keys(record)).toEqual(['parent_event_ids', 'created_at', 'workflow_id', 'metadata']);
    expect(record['parent_event_ids']).toEqual([p1, p2]);
    expect(record['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(record['metadata']).toEqual({ reason: 'test' });
    expect(record['workflow_id']).toBe(p1);

    const ttl = 2 * 86_400;
    const forwardTtl = await raw.ttl(forwardKey);
    expect(forwardTtl).toBeGreaterThan(0);
    expect(forwardTtl).toBeLessThanOrEqual(ttl);
    for (const parent of [p1, p2]) {
      const reverseKey = `bloodbank:correlation:reverse:${parent}`;
      expect(await raw.type(reverseKey)).toBe('set');
      expect(await raw.smembers(reverseKey)).toEqual([child]);
      const reverseTtl = await raw.ttl(reverseKey);
      expect(reverseTtl).toBeGreaterThan(0);
      expect(reverseTtl).toBeLessThanOrEqual(ttl);
    }
  });

  it('reads a record the Python original wrote, and merges into it keeping its metadata verbatim', async () => {
    const [child, parent, root, other] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    originalIds.push(child, parent, root, other);
    const python = `{"parent_event_ids":["${parent}"],"created_at":"2026-01-02T03:04:05.123456+00:00","metadata":{"big":12345678901234567,"list":[]}}`;
    await raw.setex(`bloodbank:correlation:forward:${child}`, 3600, python);
    await raw.setex(
      `bloodbank:correlation:forward:${parent}`,
      3600,
      `{"parent_event_ids":["${root}"],"created_at":"2026-01-02T03:04:05+00:00","metadata":{}}`,
    );

    expect(await original.getParents(child)).toEqual([parent]);
    expect(await original.getChain(child)).toEqual([root, parent, child]);
    expect(await original.getWorkflowId(child)).toBe(root);

    expect(await original.addCorrelation(child, [other])).toBe(true);
    const merged = (await raw.get(`bloodbank:correlation:forward:${child}`)) ?? '';
    expect(merged).toContain('"metadata":{"big":12345678901234567,"list":[]}}');
    expect(merged).toContain('"created_at":"2026-01-02T03:04:05.123456+00:00"');
    expect(JSON.parse(merged)).toMatchObject({ parent_event_ids: [parent, other] });
  });

  it('writes the forward key even with no parents, and stores ids lowercase', async () => {
    const { a } = ids('a');
    const upper = randomUUID().toUpperCase();
    await link(a);
    expect(await raw.get(`${prefix}:forward:${a}`)).toContain('"parent_event_ids":[]');
    await link(upper, a);
    expect(await tracker.getParents(upper.toLowerCase())).toEqual([a]);
    expect(await tracker.getChildren(a)).toEqual([upper.toLowerCase()]);
  });
});

describe('links', () => {
  it('records several parents and each parent sees the child', async () => {
    const { c, p1, p2, p3 } = ids('c', 'p1', 'p2', 'p3');
    await link(c, p1, p2, p3);
    expect(await tracker.getParents(c)).toEqual([p1, p2, p3]);
    for (const p of [p1, p2, p3]) expect(await tracker.getChildren(p)).toEqual([c]);
  });

  it('merges parents when a child is added again (the original overwrote them)', async () => {
    const { c, p1, p2 } = ids('c', 'p1', 'p2');
    await tracker.addCorrelation(c, [p1], { first: 1, shared: 'old' });
    const firstCreated = (
      JSON.parse((await raw.get(`${prefix}:forward:${c}`)) ?? '{}') as { created_at: string }
    ).created_at;
    await tracker.addCorrelation(c, [p2, p1], { second: 2, shared: 'new' });
    expect(await tracker.getParents(c)).toEqual([p1, p2]);
    expect(await tracker.getMetadata(c)).toEqual({ first: 1, second: 2, shared: 'new' });
    expect(await tracker.getChildren(p1)).toEqual([c]);
    expect(await tracker.getChildren(p2)).toEqual([c]);
    const record = JSON.parse((await raw.get(`${prefix}:forward:${c}`)) ?? '{}') as { created_at: string };
    expect(record.created_at).toBe(firstCreated);
    expect(await tracker.getWorkflowId(c)).toBe(p1);
  });

  it('returns metadata, {} when none was given, undefined for an unknown event', async () => {
    const { a, b, c } = ids('a', 'b', 'c');
    await tracker.addCorrelation(b, [a], { reason: 'retry', n: 2, nested: { ok: true } });
    await link(c, b);
    expect(await tracker.getMetadata(b)).toEqual({ reason: 'retry', n: 2, nested: { ok: true } });
    expect(await tracker.getMetadata(c)).toEqual({});
    expect(await tracker.getMetadata(a)).toBeUndefined();
  });

  it('keeps generateEventId pure: the original vectors with no tracker involved', () => {
    expect(
      generateEventId('github.pr.created', { repo_owner: 'delorenj', repo_name: 'trinote', pr_number: 423 }),
    ).toBe('22fe9282-8389-5e39-adeb-84fa16ae582b');
  });
});

describe('workflow id', () => {
  it('is inherited from the root through every generation', async () => {
    const { root, a, b, c } = ids('root', 'a', 'b', 'c');
    await link(a, root);
    await link(b, a);
    await link(c, b);
    for (const id of [a, b, c]) expect(await tracker.getWorkflowId(id)).toBe(root);
    expect(await tracker.getWorkflowId(root)).toBeUndefined();
  });

  it('takes an explicit workflow id, which descendants then inherit, and keeps the first one on re-add', async () => {
    const { w, a, b, other } = ids('w', 'a', 'b', 'other');
    await tracker.addCorrelation(a, [other], undefined, w);
    await link(b, a);
    expect(await tracker.getWorkflowId(a)).toBe(w);
    expect(await tracker.getWorkflowId(b)).toBe(w);
    await tracker.addCorrelation(a, [other], undefined, 'ignored');
    expect(await tracker.getWorkflowId(a)).toBe(w);
  });
});

describe('chains (walked in Redis)', () => {
  it('linear: ancestors root first ending at the start; descendants start first', async () => {
    const { a, b, c, d } = ids('a', 'b', 'c', 'd');
    await link(b, a);
    await link(c, b);
    await link(d, c);
    expect(await tracker.getChain(d, 'ancestors')).toEqual([a, b, c, d]);
    expect(await tracker.getChain(a, 'descendants')).toEqual([a, b, c, d]);
    expect(await tracker.getChain(b, 'ancestors')).toEqual([a, b]);
    expect(await tracker.getChain(b, 'descendants')).toEqual([b, c, d]);
    // the start is included only if it has relatives in that direction (the original's rule)
    expect(await tracker.getChain(a, 'ancestors')).toEqual([]);
    expect(await tracker.getChain(d, 'descendants')).toEqual([]);
    expect(await tracker.getChain(ids('lonely').lonely)).toEqual([]);
  });

  it('branching: a diamond comes back in causal order, each event once', async () => {
    const { a, b, c, d, e } = ids('a', 'b', 'c', 'd', 'e');
    await link(b, a);
    await link(c, a);
    await link(d, b, c);
    await link(e, d);
    const ancestors = await tracker.getChain(e, 'ancestors');
    expect(ancestors).toEqual([a, b, c, d, e]);
    await expectCausalOrder(ancestors);
    const descendants = await tracker.getChain(a, 'descendants');
    expect(new Set(descendants)).toEqual(new Set([a, b, c, d, e]));
    expect(descendants).toHaveLength(5);
    expect(descendants[0]).toBe(a);
    await expectCausalOrder(descendants);
  });

  it('cycles terminate', async () => {
    const { a, b, c } = ids('a', 'b', 'c');
    await link(b, a);
    await link(c, b);
    await link(a, c);
    expect(await tracker.getChain(a, 'ancestors')).toEqual([b, c, a]);
    expect(await tracker.getChain(a, 'descendants')).toEqual([a, b, c]);
  });

  it('honours max depth: the start is depth 0, depth >= maxDepth is not visited', async () => {
    const n = Object.values(ids('n0', 'n1', 'n2', 'n3', 'n4', 'n5'));
    for (let i = 1; i < n.length; i++) await link(n[i] ?? '', n[i - 1] ?? '');
    const last = n[5] ?? '';
    expect(await tracker.getChain(last, 'ancestors', 3)).toEqual(n.slice(3));
    expect(await tracker.getChain(last, 'ancestors', 1)).toEqual([last]);
    expect(await tracker.getChain(last, 'ancestors', 0)).toEqual([]);
    expect(await tracker.getChain(n[0] ?? '', 'descendants', 2)).toEqual(n.slice(0, 2));
  });

  // How fast: `npm run bench -- runtime` (correlation tracker), not asserted here.
  it('walks a 1,000-deep chain', async () => {
    const tag = randomUUID().slice(0, 8);
    const chain = Array.from({ length: 1000 }, (_, i) => `${tag}-${i}`);
    await Promise.all(chain.slice(1).map((id, i) => tracker.addCorrelation(id, [chain[i] ?? ''])));
    const last = chain[999] ?? '';
    expect(await tracker.getChain(last, 'ancestors', 1000)).toEqual(chain);
    expect(await tracker.getChain(last)).toEqual(chain.slice(-100));
    expect(await tracker.getChain(chain[0] ?? '', 'descendants', 5000)).toEqual(chain);
  });
});

describe('debugDump', () => {
  it('gathers parents, children, both chains and metadata', async () => {
    const { a, b, c, d } = ids('a', 'b', 'c', 'd');
    await link(b, a);
    await tracker.addCorrelation(c, [b], { step: 'c' });
    await link(d, c);
    expect(await tracker.debugDump(c)).toEqual({
      event_id: c,
      parents: [b],
      children: [d],
      ancestors: [a, b, c],
      descendants: [c, d],
      metadata: { step: 'c' },
    });
    expect(await tracker.debugDump(a)).toMatchObject({ parents: [], ancestors: [], metadata: null });
  });
});

describe('failures Redis reports', () => {
  it('count in trackerFailures and are logged, never thrown', async () => {
    const metrics = createMetrics();
    const wrongType = new CorrelationTracker({ url: REDIS_URL, keyPrefix: prefix, metrics, ttlDays: 1 });
    const { x } = ids('x');
    await raw.set(`${prefix}:reverse:${x}`, 'not a set');
    expect(await wrongType.getChildren(x)).toEqual([]);
    const values = (await metrics.trackerFailures.get()).values;
    expect(values).toEqual([expect.objectContaining({ labels: { operation: 'children' }, value: 1 })]);
    await wrongType.close();
  });
});
