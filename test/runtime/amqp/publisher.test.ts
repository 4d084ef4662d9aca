import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createPublisher, type Publisher, type PublisherOptions } from '../../../runtime/amqp/publisher.js';
import { serializeEnvelope } from '../../../runtime/wire.js';
import {
  isConnectionError,
  isNackError,
  isPayloadValidationError,
  isPublishTimeoutError,
  isUnknownEventTypeError,
  isUnroutableError,
  PayloadValidationError,
  UnroutableError,
} from '../../../runtime/errors/index.js';
import { createEnvelope, type Envelope } from '../../../runtime/envelope.js';
import { deterministicId } from '../../../runtime/ids.js';
import { createMetrics } from '../../../runtime/metrics.js';
import { createAdmin, freePort, SHARED_URL, uniqueName, type Admin } from '../../support/private-rabbit.js';
import { createTestRegistry, type TestCatalog } from '../../support/test-registry.js';

const registry = createTestRegistry();
const source = { host: 'test-host', type: 'manual' as const, app: 'publisher-test' };

let admin: Admin;
let exchange: string;
let queue: string;
const publishers: Publisher<TestCatalog>[] = [];

function publisher(options: Partial<PublisherOptions<TestCatalog>> = {}): Publisher<TestCatalog> {
  const p = createPublisher<TestCatalog>({
    registry,
    url: SHARED_URL,
    exchange,
    source,
    connectionName: uniqueName('publisher'),
    ...options,
  });
  publishers.push(p);
  return p;
}

async function settle<T>(promise: Promise<T>): Promise<unknown> {
  return promise.then(
    () => null,
    (e: unknown) => e,
  );
}

beforeAll(async () => {
  admin = await createAdmin();
});
afterAll(async () => {
  await admin.close();
});
beforeEach(async () => {
  exchange = uniqueName('ex');
  queue = uniqueName('q');
  await admin.declare(exchange, queue, 'test.#');
});
afterEach(async () => {
  for (const p of publishers.splice(0)) await p.close().catch(() => undefined);
  await admin.cleanup();
});

describe('publisher: confirmed publish and wire format', () => {
  it('resolves after the confirm with defaults applied; body, properties and headers as DESIGN §6', async () => {
    const p = publisher();
    const receipt = await p.publish(
      'test.order.created',
      { order_id: 'o-1', amount: 10 },
      { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } },
    );
    expect(receipt.envelope.payload).toEqual({ order_id: 'o-1', amount: 10, currency: 'EUR', note: null });
    expect(p.stats()).toMatchObject({ published: 1, confirmed: 1, inFlight: 0, buffered: 0, pending: 0 });
    const [msg] = await admin.drain(queue, 1);
    expect(msg).toBeDefined();
    if (!msg) return;
    expect(msg.content.toString('utf8')).toBe(serializeEnvelope(receipt.envelope));
    expect(Object.keys(JSON.parse(msg.content.toString()) as object)).toEqual([
      'event_id',
      'event_type',
      'timestamp',
      'version',
      'source',
      'correlation_ids',
      'agent_context',
      'payload',
    ]);
    expect(receipt.envelope.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(msg.fields.routingKey).toBe('test.order.created');
    expect(msg.properties).toMatchObject({
      deliveryMode: 2,
      messageId: receipt.eventId,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      type: 'test.order.created',
      appId: 'publisher-test',
    });
    expect(Math.abs((msg.properties.timestamp as number) - Date.now() / 1000)).toBeLessThan(5);
    expect(msg.properties.headers).toEqual({
      cloudEvents_specversion: '1.0',
      cloudEvents_id: receipt.eventId,
      cloudEvents_type: 'test.order.created',
      cloudEvents_source: 'urn:bloodbank:publisher-test@test-host',
      cloudEvents_time: receipt.envelope.timestamp,
      'bb-correlation-id': receipt.eventId,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
  });

  it('uses a deterministic id from idempotencyFields, and the first parent as workflow id', async () => {
    const p = publisher();
    const parent = randomUUID();
    const receipt = await p.publish(
      'test.ping',
      { n: 1 },
      { idempotencyFields: { n: 1, kind: 'ping' }, correlationIds: [parent, randomUUID()] },
    );
    expect(receipt.eventId).toBe(deterministicId('test.ping', { n: 1, kind: 'ping' }));
    const [msg] = await admin.drain(queue, 1);
    expect(msg?.properties.headers?.['bb-correlation-id']).toBe(parent);
    expect(msg?.properties.headers?.['bb-causation-ids']).toBe(receipt.envelope.correlation_ids.join(','));
    const explicit = await p.publish('test.ping', { n: 2 }, { correlationIds: [parent], workflowId: 'wf-1' });
    const [second] = await admin.drain(queue, 1);
    expect(second?.properties.messageId).toBe(explicit.eventId);
    expect(second?.properties.headers?.['bb-correlation-id']).toBe('wf-1');
  });

  it('publishes a prebuilt envelope after validating envelope and payload', async () => {
    const p = publisher();
    const envelope = createEnvelope('test.order.created', { order_id: 'o-2', amount: 3 }, { source });
    const receipt = await p.publishEnvelope(envelope as Envelope);
    expect(receipt.envelope.payload).toMatchObject({ currency: 'EUR', note: null });
    const broken = { ...envelope, event_id: 'NOT-A-UUID' } as Envelope;
    const error = await settle(p.publishEnvelope(broken));
    expect(isPayloadValidationError(error)).toBe(true);
    expect((error as PayloadValidationError).issues.map((i) => i.pointer)).toEqual(['/event_id']);
    expect(await admin.drain(queue, 2, 300)).toHaveLength(1);
  });

  it('publishValidated sends an envelope its caller validated as is, and still refuses an unknown type', async () => {
    const p = publisher();
    const envelope = createEnvelope(
      'test.order.created',
      { order_id: 'o-3', amount: 4, currency: 'USD', note: 'as given' },
      { source },
    );
    const receipt = await p.publishValidated(envelope as Envelope);
    const [msg] = await admin.drain(queue, 1);
    expect(msg?.properties.messageId).toBe(receipt.eventId);
    expect(JSON.parse(String(msg?.content)).payload).toEqual({
      order_id: 'o-3',
      amount: 4,
      currency: 'USD',
      note: 'as given',
    });
    const unknown = await settle(
      p.publishValidated({ ...envelope, event_type: 'no.such.event' } as Envelope),
    );
    expect(unknown).toBeInstanceOf(Error);
    expect(String((unknown as Error).message)).toMatch(/no\.such\.event/);
  });
});

describe('publisher: refusals before sending', () => {
  it('rejects an invalid payload with every pointer and rule; nothing is published', async () => {
    const metrics = createMetrics();
    const p = publisher({ metrics });
    const error = await settle(
      p.publish('test.order.created', { order_id: '', amount: 5000, currency: 'GBP', extra: 1 } as never),
    );
    expect(isPayloadValidationError(error)).toBe(true);
    const issues = (error as PayloadValidationError).issues.map((i) => [i.pointer, i.rule]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['/payload/order_id', 'minLength'],
        ['/payload/amount', 'maximum'],
        ['/payload/currency', 'enum'],
        ['/payload/extra', 'additionalProperties'],
      ]),
    );
    expect((error as Error).message).toMatch(/^cannot publish test\.order\.created: /);
    expect((error as Error).message).toContain('payload/amount must be <= 1000');
    expect(p.stats().published).toBe(0);
    expect(await admin.depth(queue)).toBe(0);
    const failures = await metrics.registry.getSingleMetricAsString('bloodbank_validation_failures_total');
    expect(failures).toContain(
      'bloodbank_validation_failures_total{event_type="test.order.created",stage="publish"} 1',
    );
  });

  it('rejects an unknown event type', async () => {
    const p = publisher();
    const error = await settle(p.publish('test.nope' as 'test.ping', { n: 1 }));
    expect(isUnknownEventTypeError(error)).toBe(true);
  });
});

describe('publisher: broker answers', () => {
  it('rejects an unroutable mandatory message with UnroutableError; mandatory: false resolves', async () => {
    const lonely = uniqueName('ex-lonely');
    await admin.channel.assertExchange(lonely, 'topic', { durable: true });
    try {
      const p = publisher({ exchange: lonely });
      const error = await settle(p.publish('test.ping', { n: 1 }));
      expect(isUnroutableError(error)).toBe(true);
      expect((error as UnroutableError).replyCode).toBe(312);
      expect((error as Error).message).toContain(
        `no queue is bound for routing key test.ping on exchange ${lonely}`,
      );
      await expect(p.publish('test.ping', { n: 2 }, { mandatory: false })).resolves.toMatchObject({
        eventType: 'test.ping',
      });
      // Many at once: each return is matched to its own confirm by message_id.
      const mixed = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          settle(p.publish('test.ping', { n: i }, { mandatory: i % 2 === 0 })),
        ),
      );
      expect(mixed.filter(isUnroutableError)).toHaveLength(25);
      expect(mixed.filter((e) => e === null)).toHaveLength(25);
      expect(p.stats()).toMatchObject({ returned: 26, confirmed: 26 });
      const optedOut = publisher({ exchange: lonely, mandatory: false });
      await expect(optedOut.publish('test.ping', { n: 3 })).resolves.toBeDefined();
    } finally {
      await admin.channel.deleteExchange(lonely);
    }
  });

  it('rejects with NackError when the queue refuses (x-overflow reject-publish)', async () => {
    const full = uniqueName('q-full');
    await admin.declare(exchange, full, 'test.ping', { 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    const p = publisher();
    await p.publish('test.ping', { n: 1 });
    const error = await settle(p.publish('test.ping', { n: 2 }));
    expect(isNackError(error)).toBe(true);
    expect(p.stats().nacked).toBe(1);
    // Each nack was answered by a new channel and a resend (nackRetries, default 3) before giving up.
    expect(p.stats().republished).toBe(3);
    // The channel in use after the nacks works.
    await admin.channel.purgeQueue(full);
    await expect(p.publish('test.ping', { n: 3 })).resolves.toBeDefined();
  });

  it('rejects with PublishTimeoutError when the confirm is late', async () => {
    const p = publisher();
    await p.ready();
    const big = 'x'.repeat(1_500_000);
    const error = await settle(p.publish('test.blob.stored', { text: big }, { timeoutMs: 1 }));
    expect(isPublishTimeoutError(error)).toBe(true);
    expect((error as Error).message).toMatch(/did not confirm within 1 ms/);
    // The late confirm still frees the window slot.
    await expect.poll(() => p.stats().inFlight).toBe(0);
  });

  it('applies the publisher-wide confirmTimeoutMs (checked by one ticker, not a timer per message)', async () => {
    const p = publisher({ confirmTimeoutMs: 1 });
    await p.ready();
    const big = 'x'.repeat(1_500_000);
    const errors = await Promise.all(
      [1, 2, 3].map(() => settle(p.publish('test.blob.stored', { text: big }))),
    );
    expect(errors.every(isPublishTimeoutError)).toBe(true);
    await expect.poll(() => p.stats().inFlight).toBe(0);
  });
});

describe('publisher: flow control', () => {
  it('keeps at most maxInFlight unconfirmed messages, and confirms all', async () => {
    const p = publisher({ maxInFlight: 50 });
    await p.ready();
    let maxSeen = 0;
    let sampling = true;
    const sample = () => {
      maxSeen = Math.max(maxSeen, p.stats().inFlight);
      if (sampling) setImmediate(sample);
    };
    sample();
    const receipts = await Promise.all(Array.from({ length: 2000 }, (_, n) => p.publish('test.ping', { n })));
    sampling = false;
    expect(maxSeen).toBeGreaterThan(1);
    expect(maxSeen).toBeLessThanOrEqual(50);
    expect(p.stats()).toMatchObject({ published: 2000, confirmed: 2000, inFlight: 0, buffered: 0 });
    const got = await admin.drain(queue, 2000);
    expect(new Set(got.map((m) => m.properties.messageId as string))).toEqual(
      new Set(receipts.map((r) => r.eventId)),
    );
    // Order kept on one queue.
    expect(
      got.map((m) => (JSON.parse(m.content.toString()) as { payload: { n: number } }).payload.n),
    ).toEqual(Array.from({ length: 2000 }, (_, n) => n));
  });

  it('holds publishes while disconnected, then rejects with ConnectionError (count, then age)', async () => {
    const port = await freePort();
    const p = publisher({ url: `amqp://127.0.0.1:${port}`, buffer: { maxMessages: 3, maxAgeMs: 400 } });
    const t0 = Date.now();
    const held = [1, 2, 3].map((n) => settle(p.publish('test.ping', { n })));
    await expect.poll(() => p.stats().buffered).toBe(3);
    expect(p.health()).toMatchObject({ status: 'down', connected: false, buffered: 3 });
    const overflow = await settle(p.publish('test.ping', { n: 4 }));
    expect(isConnectionError(overflow)).toBe(true);
    expect((overflow as Error).message).toMatch(/not connected and 3 messages already held/);
    const errors = await Promise.all(held);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    expect(errors.every(isConnectionError)).toBe(true);
    expect((errors[0] as Error).message).toMatch(/not connected for 400 ms/);
    expect(p.stats()).toMatchObject({ buffered: 0, pending: 0, published: 0 });
  });

  it('close() waits for every in-flight confirm, then refuses new publishes', async () => {
    const p = publisher();
    await p.ready();
    const results = Array.from({ length: 500 }, (_, n) => p.publish('test.ping', { n }));
    const done: boolean[] = [];
    for (const r of results) void r.then(() => done.push(true));
    await p.close();
    expect(done).toHaveLength(500);
    expect(p.health().status).toBe('closed');
    expect(isConnectionError(await settle(p.publish('test.ping', { n: 1 })))).toBe(true);
    expect(await admin.depth(queue)).toBe(500);
  });
});

describe('publisher: correlation tracking', () => {
  it('records the link after the confirm, never for a failed publish, and survives a failing tracker', async () => {
    const calls: Array<[string, readonly string[], unknown, string | undefined]> = [];
    let broken = false;
    const tracker = {
      async addCorrelation(
        child: string,
        parents: readonly string[],
        metadata?: unknown,
        workflowId?: string,
      ) {
        if (broken) throw new Error('redis down');
        calls.push([child, parents, metadata, workflowId]);
        return true;
      },
      async getWorkflowId(id: string) {
        if (broken) throw new Error('redis down');
        return id === 'p-1' ? 'root-1' : undefined;
      },
    };
    const metrics = createMetrics();
    const p = publisher({ tracker, metrics });
    const root = await p.publish('test.ping', { n: 0 });
    expect(calls).toHaveLength(0); // a root has no link
    const child = await p.publish(
      'test.ping',
      { n: 1 },
      { correlationIds: ['p-1'], correlationMetadata: { why: 't' } },
    );
    expect(calls).toEqual([[child.eventId, ['p-1'], { why: 't' }, 'root-1']]);
    const [, msg] = await admin.drain(queue, 2);
    expect(msg?.properties.headers?.['bb-correlation-id']).toBe('root-1');
    expect(root.eventId).not.toBe(child.eventId);

    // Unroutable: nothing recorded.
    const lonely = uniqueName('ex-lonely');
    await admin.channel.assertExchange(lonely, 'topic', { durable: true });
    const q = publisher({ tracker, exchange: lonely });
    expect(
      isUnroutableError(await settle(q.publish('test.ping', { n: 2 }, { correlationIds: ['p-1'] }))),
    ).toBe(true);
    expect(calls).toHaveLength(1);
    await q.close();
    await admin.channel.deleteExchange(lonely);

    broken = true;
    const degraded = await p.publish('test.ping', { n: 3 }, { correlationIds: ['p-9'] });
    expect(degraded.eventId).toBeDefined();
    const [third] = await admin.drain(queue, 1);
    expect(third?.properties.headers?.['bb-correlation-id']).toBe('p-9');
    const text = await metrics.registry.getSingleMetricAsString('bloodbank_tracker_failures_total');
    expect(text).toContain('operation="getWorkflowId"} 1');
    expect(text).toContain('operation="addCorrelation"} 1');
  });

  it('looks a parent up once for concurrent children, and knows the workflow of events it linked', async () => {
    const lookups: string[] = [];
    const tracker = {
      async addCorrelation() {
        return true;
      },
      async getWorkflowId(id: string) {
        lookups.push(id);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return id === 'p-7' ? 'root-7' : undefined;
      },
    };
    const p = publisher({ tracker });
    const children = await Promise.all(
      Array.from({ length: 20 }, (_, n) => p.publish('test.ping', { n }, { correlationIds: ['p-7'] })),
    );
    expect(lookups).toEqual(['p-7']);
    // A child of a child this publisher linked: its workflow is known without asking Redis.
    const first = children[0];
    if (!first) throw new Error('no receipt');
    await p.publish('test.ping', { n: 99 }, { correlationIds: [first.eventId.toUpperCase()] });
    expect(lookups).toEqual(['p-7']);
    const messages = await admin.drain(queue, 21);
    expect(messages).toHaveLength(21);
    for (const m of messages) expect(m.properties.headers?.['bb-correlation-id']).toBe('root-7');
    // Once settled, a new lookup asks again (an unknown parent may be recorded later).
    await p.publish('test.ping', { n: 100 }, { correlationIds: ['p-8'] });
    await p.publish('test.ping', { n: 101 }, { correlationIds: ['p-8'] });
    expect(lookups).toEqual(['p-7', 'p-8', 'p-8']);
  });
});

describe('publishers on a shared connection', () => {
  it('leave no listeners behind when closed, and the connection keeps serving the others', async () => {
    const { createConnection } = await import('../../../runtime/amqp/connection.js');
    const conn = await createConnection({ url: SHARED_URL, name: uniqueName('shared-conn') });
    // The handle is a Node EventEmitter (RecoveringConnection); the interface does not promise counts.
    const listeners = (event: string) => (conn as unknown as NodeJS.EventEmitter).listenerCount(event);
    try {
      await conn.waitForConnect();
      const before = ['connected', 'reconnected', 'failed'].map(listeners);
      const survivor = publisher({ connection: conn });
      for (let n = 0; n < 12; n += 1) {
        const p = createPublisher<TestCatalog>({ registry, exchange, source, connection: conn });
        await p.publish('test.ping', { n });
        await p.close();
      }
      await survivor.publish('test.ping', { n: 12 });
      expect(
        (await admin.drain(queue, 13)).map((m) => JSON.parse(m.content.toString()).payload.n),
      ).toHaveLength(13);
      await survivor.close();
      expect(['connected', 'reconnected', 'failed'].map(listeners)).toEqual(before);
      expect(conn.connected).toBe(true);
    } finally {
      await conn.close();
    }
  });
});
