import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationTracker } from '../../../runtime/redis/index.js';
import { REDIS_URL } from './helpers.js';

/**
 * The original's Python reader (original_reader.py, on redis-py) reads what our tracker writes under the
 * original's prefix, `workflow_id` included. Debian's python3-redis provides the client (scripts/test-tools.sh installs
 * it); BLOODBANK_TEST_PYTHON names another interpreter that has it.
 */
const PYTHON = process.env['BLOODBANK_TEST_PYTHON'] ?? '/usr/bin/python3';
const READER = fileURLToPath(new URL('original_reader.py', import.meta.url));

interface Dump {
  event_id: string;
  parents: string[];
  children: string[];
  ancestors: string[];
  descendants: string[];
  metadata: Record<string, unknown> | null;
}

async function readWithOriginal(...ids: string[]): Promise<Record<string, Dump>> {
  const { stdout } = await promisify(execFile)(PYTHON, [READER, REDIS_URL, ...ids]);
  return JSON.parse(stdout) as Record<string, Dump>;
}

const raw = new Redis(REDIS_URL);
const tracker = new CorrelationTracker({ url: REDIS_URL, ttlDays: 1 });
const [root, child, grandchild, other] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

beforeAll(async () => {
  await tracker.start();
  expect(await tracker.addCorrelation(child, [root], { reason: 'transcribed' })).toBe(true);
  expect(await tracker.addCorrelation(grandchild, [child, other])).toBe(true);
});

afterAll(async () => {
  for (const id of [root, child, grandchild, other])
    await raw.del(`bloodbank:correlation:forward:${id}`, `bloodbank:correlation:reverse:${id}`);
  await tracker.close();
  raw.disconnect();
});

describe("the original's reader on keys our tracker wrote", () => {
  it('our forward record carries workflow_id, a key the original never wrote', async () => {
    const record = JSON.parse(
      (await raw.get(`bloodbank:correlation:forward:${grandchild}`)) ?? '{}',
    ) as Record<string, unknown>;
    expect(record['workflow_id']).toBe(root);
  });

  it('reads parents, children, chains and metadata as the original wrote them, ignoring workflow_id', async () => {
    const dumps = await readWithOriginal(root, child, grandchild);
    expect(dumps[grandchild]).toEqual({
      event_id: grandchild,
      parents: [child, other],
      children: [],
      // The original's post-order walk: each node after its own parents, the start node last.
      ancestors: [root, child, other, grandchild],
      descendants: [],
      metadata: {},
    });
    expect(dumps[child]).toMatchObject({
      parents: [root],
      children: [grandchild],
      ancestors: [root, child],
      descendants: [grandchild, child],
      metadata: { reason: 'transcribed' },
    });
    expect(dumps[root]).toMatchObject({ parents: [], children: [child], ancestors: [], metadata: null });
    expect(dumps[root]?.descendants).toEqual([grandchild, child, root]);
  });

  it('agrees with our own reader on every link', async () => {
    const dumps = await readWithOriginal(root, child, grandchild, other);
    for (const id of [root, child, grandchild, other]) {
      const ours = await tracker.debugDump(id);
      const theirs = dumps[id] as Dump;
      expect(new Set(theirs.parents)).toEqual(new Set(ours.parents));
      expect(new Set(theirs.children)).toEqual(new Set(ours.children));
      expect(new Set(theirs.ancestors)).toEqual(new Set(ours.ancestors));
      expect(new Set(theirs.descendants)).toEqual(new Set(ours.descendants));
    }
  });
});
