/**
 * The "done when", with the built `bb` on its own exchange: `bb setup && bb publish llm.prompt
 * --mock` works with no subscriber; `bb history 'llm.#' --since 10m` shows it; a new service catches up
 * with `bb replay`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../../generated/registry.js';
import { createConnection, type BloodbankConnection } from '../../../runtime/amqp/connection.js';
import { createSubscriber } from '../../../runtime/amqp/consumer.js';
import { createMemoryIdempotency, queueNames } from '../../../runtime/delivery/rules.js';
import type { Registry } from '../../../runtime/registry.js';
import { deleteTopology, ensureCliBuilt, runBb, uniqueExchange } from './support.js';

const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const exchange = uniqueExchange('history');
const env = { EXCHANGE_NAME: exchange, RABBIT_URL };
const service = 'newsvc';
const names = queueNames(exchange, service);
let connection: BloodbankConnection | undefined;

beforeAll(() => ensureCliBuilt(), 300_000);
afterAll(async () => {
  await connection?.close();
  await deleteTopology(exchange, [`${exchange}.history`, names.main, names.dlq, names.retry(1_000)]).catch(
    () => {},
  );
});

describe('bb setup, history, replay', () => {
  it('publishes with no subscriber once set up, shows it in history, and a new service catches up', async () => {
    const refused = await runBb(['publish', 'llm.prompt', '--mock'], { env });
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('bb setup');

    for (let i = 0; i < 2; i += 1) {
      const setup = await runBb(['setup', '--json'], { env });
      expect(setup.code, setup.stderr).toBe(0);
      expect(JSON.parse(setup.stdout)).toEqual({
        exchange,
        history: { queue: `${exchange}.history`, max_age: '7D', max_bytes: 5 * 1024 ** 3 },
      });
    }

    const published = await runBb(['publish', 'llm.prompt', '--mock'], { env });
    expect(published.code, published.stderr).toBe(0);
    const llmId = published.stdout.trim();
    const other = await runBb(['publish', 'artifact.created', '--mock'], { env });
    expect(other.code, other.stderr).toBe(0);

    const shown = await runBb(['history', 'llm.#', '--since', '10m'], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.trim().split('\n')).toHaveLength(1);
    expect(shown.stdout).toContain(`llm.prompt  ${llmId}`);
    const all = await runBb(['history', '--since', '10m', '--json'], { env });
    const lines = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { routing_key: string; envelope: { event_id: string } });
    expect(lines.map((l) => l.routing_key)).toEqual(['llm.prompt', 'artifact.created']);
    expect(lines[0]?.envelope.event_id).toBe(llmId);

    const missing = await runBb(['replay', '--to', service, '--since', '10m'], { env });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('no such queue');

    // The new service starts: it declares its queue and from now on receives live events.
    connection = await createConnection({ url: RABBIT_URL, name: `bbtest-history-cli` });
    const subscriber = await createSubscriber({
      registry: registry as unknown as Registry,
      connection,
      exchange,
      retry: { maxAttempts: 1, delaysMs: [1_000] },
      idempotency: createMemoryIdempotency(),
    });
    const handled: string[] = [];
    await subscriber.subscribe('llm.#', (e) => void handled.push(e.event_id), {
      service,
      idempotent: true,
    });

    const dry = await runBb(
      ['replay', '--to', service, '--since', '10m', '--pattern', 'llm.#', '--dry-run'],
      {
        env,
      },
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(llmId);
    expect(dry.stderr).toMatch(/would send 1 of \d+ scanned/);

    const replayed = await runBb(
      ['replay', '--to', service, '--since', '10m', '--pattern', 'llm.#', '--json'],
      {
        env,
      },
    );
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({
      queue: names.main,
      sent: 1,
      matched: 1,
      dry_run: false,
    });
    expect(replayed.stderr).toMatch(/sent 1 of \d+ scanned, \d+ events\/s/);
    const deadline = Date.now() + 10_000;
    while (handled.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(handled).toEqual([llmId]);
    await subscriber.close();
  }, 120_000);

  it('bb trace falls back to history when Redis has no chain', async () => {
    // Published while tracking cannot reach Redis: nothing of this chain is in Redis.
    const noRedis = { ...env, REDIS_URL: 'redis://127.0.0.1:1/0' };
    const root = await runBb(['publish', 'llm.prompt', '--mock'], { env: noRedis });
    expect(root.code, root.stderr).toBe(0);
    const rootId = root.stdout.trim();
    const child = await runBb(['publish', 'llm.response', '--mock', '--parent', rootId], { env: noRedis });
    expect(child.code, child.stderr).toBe(0);
    const childId = child.stdout.trim();

    const traced = await runBb(['trace', childId, '--json'], { env });
    expect(traced.code, traced.stderr).toBe(0);
    expect(traced.stderr).toContain('drawn from the history stream');
    expect(JSON.parse(traced.stdout)).toMatchObject({
      event_id: childId,
      workflow_id: rootId,
      source: 'history',
      ancestors: {
        event_id: childId,
        event_type: 'llm.response',
        children: [{ event_id: rootId, event_type: 'llm.prompt', children: [] }],
      },
      descendants: { event_id: childId, children: [] },
    });
    const fromRoot = await runBb(['trace', rootId], { env });
    expect(fromRoot.code, fromRoot.stderr).toBe(0);
    expect(fromRoot.stdout).toContain(`${childId}  llm.response`);
  }, 60_000);

  it('names the option a bad value came in', async () => {
    const bad = await runBb(['history', '--since', 'yesterday'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since must be a duration back from now');
    const badPattern = await runBb(['history', 'llm..x'], { env });
    expect(badPattern.code).toBe(2);
    expect(badPattern.stderr).toContain('/pattern');
  });
});
