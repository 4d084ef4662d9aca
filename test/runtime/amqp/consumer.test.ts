import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, type BloodbankConnection } from '../../../runtime/amqp/connection.js';
import { createSubscriber, type AmqpSubscriber } from '../../../runtime/amqp/consumer.js';
import { createDlqAdmin } from '../../../runtime/amqp/dlq.js';
import { createPublisher, type Publisher } from '../../../runtime/amqp/publisher.js';
import { createMemoryIdempotency, queueNames } from '../../../runtime/delivery/rules.js';
import type { Envelope } from '../../../runtime/envelope.js';
import { createContractRegistry, type ContractCatalog } from '../../support/contract-registry.js';

const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const DELAYS = [50, 100];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < end) await sleep(20);
}

describe('AMQP consumer', () => {
  const suffix = randomBytes(4).toString('hex');
  const exchange = `bbtest.consumer.${suffix}`;
  const registry = createContractRegistry();
  const gate = createMemoryIdempotency();
  let connection: BloodbankConnection;
  let publisher: Publisher<ContractCatalog>;
  let subscriber: AmqpSubscriber<ContractCatalog>;
  const services: string[] = [];
  const service = (label: string) => {
    const s = `${label}-${suffix}`;
    services.push(s);
    return s;
  };

  beforeAll(async () => {
    connection = await createConnection({ url: RABBIT_URL, name: `bbtest-consumer-${suffix}` });
    publisher = createPublisher({ registry, connection, exchange });
    await publisher.ready();
    subscriber = await createSubscriber({
      registry,
      connection,
      exchange,
      retry: { maxAttempts: 2, delaysMs: DELAYS },
      idempotency: gate,
    });
  });

  afterAll(async () => {
    await subscriber.close();
    await publisher.close();
    const ch = await connection.createChannel();
    for (const s of services) {
      const n = queueNames(exchange, s);
      for (const q of [n.main, n.dlq, ...DELAYS.map((d) => n.retry(d)), `${exchange}.${s}`])
        await ch.deleteQueue(q).catch(() => {});
    }
    await ch.deleteExchange(exchange).catch(() => {});
    await connection.close();
  });

  it('declares a quorum queue beside the original classic `${exchange}.${service}` queue', async () => {
    const s = service('names');
    const ch = await connection.createChannel();
    // What the original Python consumer declares: durable, classic, no arguments.
    await ch.assertQueue(`${exchange}.${s}`, { durable: true });
    await ch.close();
    const sub = await subscriber.subscribe('contract.item.created', () => {}, { service: s });
    expect(sub.queue).toBe(`${exchange}.${s}.q`);
    const health = await sub.health();
    expect(health).toMatchObject({
      state: 'consuming',
      healthy: true,
      consumeCount: 1,
      stats: { queue: `${exchange}.${s}.q`, consumerCount: 1, messageCount: 0 },
    });
    expect(await subscriber.queueStats(`${exchange}.${s}`)).toMatchObject({ consumerCount: 0 });
    expect(await subscriber.queueStats(`${exchange}.missing-${suffix}`)).toBeNull();
    await sub.close();
    expect(sub.state).toBe('closed');
  });

  it('refuses a queue redeclared with other arguments with a clear error and keeps the connection', async () => {
    const s = service('clash');
    const ch = await connection.createChannel();
    await ch.assertQueue(queueNames(exchange, s).main, { durable: true });
    await ch.close();
    await expect(subscriber.subscribe('contract.item.created', () => {}, { service: s })).rejects.toThrow(
      /a queue exists with other arguments/,
    );
    expect(connection.connected).toBe(true);
  });

  it('DLQ API: list, peek (non-destructive), redrive with bb-redriven-from, purge', async () => {
    const s = service('dlq');
    const dlq = createDlqAdmin({ connection, exchange, retryDelaysMs: DELAYS });
    let fail = true;
    const handled: Array<{ e: Envelope; headers: Readonly<Record<string, unknown>>; attempt: number }> = [];
    const sub = await subscriber.subscribe(
      'contract.item.*',
      (e, c) => {
        if (fail) throw new Error('down');
        handled.push({ e, headers: c.headers, attempt: c.attempt });
      },
      { service: s },
    );
    const a = await publisher.publish('contract.item.created', { n: 1 });
    const b = await publisher.publish('contract.item.deleted', { n: 2 });
    await until(async () => (await dlq.peek(s, 10)).length === 2);
    const listed = await dlq.list(s);
    expect(listed.map((q) => q.role)).toEqual(['main', 'retry', 'dlq']); // maxAttempts 2: one retry level;
    expect(listed.find((q) => q.role === 'dlq')?.messageCount).toBe(2);
    const peeked = await dlq.peek(s, 10);
    expect(peeked.map((d) => d.eventId)).toEqual([a.eventId, b.eventId]);
    expect(peeked.map((d) => d.routingKey)).toEqual(['contract.item.created', 'contract.item.deleted']);
    expect(peeked[0]).toMatchObject({ reason: 'max-attempts', attempts: 2, error: 'Error: down' });
    expect(peeked[0]?.headers['cloudEvents_id']).toBe(a.eventId);
    expect((await dlq.peek(s, 1)).map((d) => d.eventId)).toEqual([a.eventId]);
    // A quorum queue requeues returned messages at its tail: a partial peek rotates what it looked at.
    expect((await dlq.peek(s, 10)).map((d) => d.eventId)).toEqual([b.eventId, a.eventId]);

    fail = false;
    expect(await dlq.redrive(s, { limit: 1 })).toMatchObject({ redriven: 1 });
    await until(() => handled.length === 1);
    expect(handled[0]?.e.event_id).toBe(b.eventId);
    expect(handled[0]?.attempt).toBe(1);
    expect(handled[0]?.headers).toMatchObject({
      'bb-redriven-from': queueNames(exchange, s).dlq,
      cloudEvents_id: b.eventId,
      'bb-correlation-id': b.eventId,
    });
    expect(handled[0]?.headers['bb-error']).toBeUndefined();
    expect((await dlq.peek(s, 10)).map((d) => d.eventId)).toEqual([a.eventId]);
    expect(await dlq.purge(s)).toBe(1);
    expect(await dlq.peek(s, 10)).toEqual([]);
    await sub.close();
  });

  it('defers an event another consumer is handling (in-progress) and handles it once released', async () => {
    const s = service('inprogress');
    const eventId = '00000000-0000-4000-8000-0000000000aa';
    expect(await gate.begin(s, eventId)).toBe('acquired');
    const seen: string[] = [];
    const sub = await subscriber.subscribe('contract.item.created', (e) => void seen.push(e.event_id), {
      service: s,
      idempotent: true,
    });
    await publisher.publish('contract.item.created', { n: 1 }, { eventId });
    await sleep(300);
    expect(seen).toEqual([]);
    await gate.release(s, eventId);
    await until(() => seen.length > 0);
    await sleep(200);
    expect(seen).toEqual([eventId]);
    await sub.close();
  });

  it('allowUnknown passes an unregistered key through as a raw envelope', async () => {
    const s = service('unknown');
    const seen: Envelope[] = [];
    const sub = await subscriber.subscribe('contract.#', (e) => void seen.push(e), {
      service: s,
      allowUnknown: true,
    });
    const ch = await connection.createConfirmChannel();
    const body = {
      event_id: '00000000-0000-4000-8000-0000000000bb',
      event_type: 'contract.zzz',
      payload: { any: 1 },
    };
    ch.publish(exchange, 'contract.zzz', Buffer.from(JSON.stringify(body)));
    await ch.waitForConfirms();
    await ch.close();
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual(body);
    await sub.close();
  });
});
