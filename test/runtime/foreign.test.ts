/**
 * A registry of a document we did not write (issues 17/19), on RabbitMQ and in memory: the bare wire,
 * address templates with parameters, several messages per channel, typed headers with correlation id and
 * reply address, `address: null`, `is: queue`. The same cases run on both transports.
 */
import { randomBytes } from 'node:crypto';
import type { Channel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventPublisher, EventSubscriber, MessageContext, Subscription } from '../../runtime/bus.js';
import type { Envelope } from '../../runtime/envelope.js';
import { createConnection, type BloodbankConnection } from '../../runtime/amqp/connection.js';
import { createSubscriber } from '../../runtime/amqp/consumer.js';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { HEADERS, queueNames, queueNamesOf } from '../../runtime/delivery/rules.js';
import { createMemoryBus } from '../../runtime/memory/index.js';
import { isPayloadValidationError } from '../../runtime/errors/payload-validation-error.js';
import { createForeignRegistry, type ForeignCatalog } from '../support/foreign-registry.js';

const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

interface Harness {
  readonly publisher: EventPublisher<ForeignCatalog>;
  readonly subscriber: EventSubscriber<ForeignCatalog>;
  readonly suffix: string;
  /** A foreign producer: bare JSON, no properties (`exchange: ''`: the default exchange). */
  publishRaw(routingKey: string, body: string, exchange?: string): Promise<void>;
  /** Dead-letter reasons of a service (or of a named queue), once at least `count` are there. */
  deadReasons(service: string, count: number, queue?: string): Promise<string[]>;
  close(): Promise<void>;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function amqpHarness(): Promise<Harness> {
  const suffix = randomBytes(4).toString('hex');
  const exchange = `bbtest.foreign.${suffix}`;
  const registry = createForeignRegistry(suffix);
  const connection: BloodbankConnection = await createConnection({
    url: RABBIT_URL,
    name: `bbtest-foreign-${suffix}`,
  });
  await connection.waitForConnect();
  const publisher = createPublisher({ registry, connection, exchange });
  await publisher.ready();
  const subscriber = await createSubscriber({
    registry,
    connection,
    exchange,
    retry: { maxAttempts: 2, delaysMs: [50] },
  });
  const raw: Channel = await connection.createChannel();
  const queues = new Set<string>();
  // Every subscription's queues are deleted at the end (durable: left behind, they outlive the run).
  const subscribe = subscriber.subscribe.bind(subscriber);
  subscriber.subscribe = (async (...args: Parameters<typeof subscribe>) => {
    const subscription = await subscribe(...args);
    queues.add(subscription.queue);
    return subscription;
  }) as typeof subscriber.subscribe;
  return {
    publisher,
    subscriber,
    suffix,
    async publishRaw(routingKey, body, to) {
      raw.publish(to ?? exchange, routingKey, Buffer.from(body));
    },
    async deadReasons(service, count, queue) {
      const names = queue ? queueNamesOf(queue) : queueNames(exchange, service);
      queues.add(names.main);
      const reasons: string[] = [];
      const end = Date.now() + 10_000;
      while (reasons.length < count && Date.now() < end) {
        const m = await raw.get(names.dlq, { noAck: true });
        if (m) reasons.push(String(m.properties.headers?.[HEADERS.deadLetterReason]));
        else await new Promise((r) => setTimeout(r, 50));
      }
      return reasons.sort();
    },
    async close() {
      await subscriber.close();
      await publisher.close();
      // A channel of its own: a test may have closed `raw` with a channel error.
      const ch = await connection.createChannel();
      for (const q of queues) {
        const n = queueNamesOf(q);
        for (const name of [n.main, n.dlq, n.retry(50)]) await ch.deleteQueue(name);
      }
      await ch.close();
      await raw.deleteExchange(exchange).catch(() => {});
      await raw.close().catch(() => {});
      await connection.close();
    },
  };
}

async function memoryHarness(): Promise<Harness> {
  const suffix = randomBytes(4).toString('hex');
  const bus = createMemoryBus({
    registry: createForeignRegistry(suffix),
    retry: { maxAttempts: 2, delaysMs: [50] },
  });
  return {
    publisher: bus,
    subscriber: bus,
    suffix,
    async publishRaw(routingKey, body) {
      bus.inject(routingKey, body);
    },
    async deadReasons(service, count) {
      await until(() => bus.deadLetters(service).length >= count).catch(() => {});
      return bus
        .deadLetters(service)
        .map((d) => String(d.reason))
        .sort();
    },
    close: () => bus.close(),
  };
}

function recorder() {
  const events: Envelope[] = [];
  const contexts: MessageContext[] = [];
  return {
    events,
    contexts,
    handler: (e: Envelope, c: MessageContext) => {
      events.push(e);
      contexts.push(c);
    },
  };
}

for (const [name, make] of [
  ['RabbitMQ', amqpHarness],
  ['in-memory', memoryHarness],
] as const) {
  describe(`a document we did not write, on ${name}`, () => {
    let h: Harness;
    const subs: Subscription[] = [];
    const service = (label: string) => `foreign-${label}-${h.suffix}`;

    beforeAll(async () => {
      h = await make();
    });
    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.close()));
    });
    afterAll(async () => {
      await h.close();
    });

    it('fills the address from parameters, carries the envelope in properties and hands back parameters and headers', async () => {
      const r = recorder();
      subs.push(await h.subscriber.subscribe('room.*', r.handler, { service: service('room') }));
      const parent = '11111111-1111-4111-8111-111111111111';
      const receipt = await h.publisher.publish(
        'room.posted',
        { text: 'hello' },
        {
          parameters: { roomId: 'r1' },
          messageHeaders: { traceId: 'trace-1', replyTo: 'answers.q', hops: 2 },
          correlationIds: [parent],
          agentContext: { type: 'claude-code', name: 'tester' },
          source: { host: 'h1', type: 'agent', app: 'foreign-test' },
        },
      );
      const joined = await h.publisher.publish('room.joined', { user: 'ann' }, { parameters: {} });
      await until(() => r.events.length === 2);
      const posted = r.events.find((e) => e.event_type === 'room.posted') as Envelope;
      expect(posted).toEqual({
        ...receipt.envelope,
        payload: { text: 'hello' },
      });
      expect(posted.correlation_ids).toEqual([parent]);
      expect(posted.agent_context?.name).toBe('tester');
      const ctx = r.contexts[r.events.indexOf(posted)] as MessageContext;
      expect(ctx.parameters).toEqual({ roomId: 'r1' });
      expect(ctx.messageHeaders).toEqual({ traceId: 'trace-1', replyTo: 'answers.q', hops: 2 });
      expect(ctx.correlationId).toBe('trace-1');
      expect(ctx.replyTo).toBe('answers.q');
      const other = r.events.find((e) => e.event_type === 'room.joined') as Envelope;
      expect(other.event_id).toBe(joined.eventId);
      // The default of roomId filled the address.
      expect(r.contexts[r.events.indexOf(other)]?.parameters).toEqual({ roomId: 'lobby' });
    });

    it('refuses, naming the field, parameter values that would break routing, headers that fail their schema, and a null address without a key', async () => {
      const refused = async (p: Promise<unknown>, pointer: string) => {
        const error = await p.then(
          () => null,
          (e: unknown) => e,
        );
        expect(isPayloadValidationError(error), String(error)).toBe(true);
        const issues = (error as { issues: { pointer: string }[] }).issues.map((i) => i.pointer);
        expect(issues).toContain(pointer);
      };
      const headers = { traceId: 't' };
      for (const bad of ['', 'a.b', 'a*', '#'])
        await refused(
          h.publisher.publish(
            'room.posted',
            { text: 'x' },
            { parameters: { roomId: bad }, messageHeaders: headers },
          ),
          '/parameters/roomId',
        );
      await refused(
        h.publisher.publish(
          'room.posted',
          { text: 'x' },
          { parameters: { roomId: 'r9' }, messageHeaders: headers },
        ),
        '/parameters/roomId',
      );
      await refused(
        h.publisher.publish(
          'room.posted',
          { text: 'x' },
          { parameters: { roomId: 'r1' }, messageHeaders: {} },
        ),
        '/headers/traceId',
      );
      await refused(h.publisher.publish('anykey', { text: 'x' }), '/routingKey');
      await refused(
        h.publisher.publish('orders.created', { kind: 'created', id: '1' }),
        '/parameters/region',
      );
    });

    it('consumes a foreign producer: bare JSON without properties, identified by validation, a deterministic id', async () => {
      const r = recorder();
      const s = service('plain');
      subs.push(await h.subscriber.subscribe('room.*', r.handler, { service: s, idempotent: true }));
      const key = `t${h.suffix}.rooms.r2.events`;
      await h.publishRaw(key, '{"user":"bob"}');
      // room.posted, identified by validation, but without the traceId header its headers schema requires.
      await h.publishRaw(key, '{"text":"hi"}');
      await h.publishRaw(key, '{"user":"bob"}'); // the same bytes again: the same id, handled once
      await h.publishRaw(key, '{"text":"x","user":"y"}'); // valid for both messages
      await h.publishRaw(key, '{"other":1}'); // valid for neither
      await h.publishRaw(key, 'not json');
      expect(await h.deadReasons(s, 4)).toEqual(['ambiguous', 'unparsable', 'validation', 'validation']);
      await until(() => r.events.length === 1);
      await new Promise((res) => setTimeout(res, 200));
      expect(r.events.map((e) => e.event_type)).toEqual(['room.joined']);
      const joined = r.events[0] as Envelope;
      expect(joined.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
      expect(joined.source).toMatchObject({ host: 'unknown', type: 'service' });
      expect(r.contexts[r.events.indexOf(joined)]?.parameters).toEqual({ roomId: 'r2' });
    });

    it('tells messages apart by discriminator; a placeholder inside a word binds # and filters what is not its address', async () => {
      const r = recorder();
      const s = service('orders');
      subs.push(await h.subscriber.subscribe('orders.*', r.handler, { service: s }));
      const created = await h.publisher.publish(
        'orders.created',
        { kind: 'created', id: '1' },
        { parameters: { region: 'eu' } },
      );
      await h.publishRaw(`t${h.suffix}/orders/us`, '{"kind":"cancelled","id":"2"}');
      // Let through by `#`, not an address of this subscription: dropped quietly, not dead-lettered.
      await h.publishRaw('somebody.else', '{"kind":"cancelled","id":"3"}');
      await until(() => r.events.length === 2);
      expect(r.events.map((e) => [e.event_type, (e.payload as { id: string }).id]).sort()).toEqual([
        ['orders.cancelled', '2'],
        ['orders.created', '1'],
      ]);
      expect(r.events.find((e) => e.event_type === 'orders.created')?.event_id).toBe(created.eventId);
      expect(r.contexts.map((c) => c.parameters?.['region']).sort()).toEqual(['eu', 'us']);
      expect(await h.deadReasons(s, 0)).toEqual([]);
    });

    it('pins a parameter when subscribing: only that value arrives', async () => {
      const r = recorder();
      subs.push(
        await h.subscriber.subscribe('orders.*', r.handler, {
          service: service('pinned'),
          parameters: { region: 'eu' },
        }),
      );
      await h.publisher.publish(
        'orders.created',
        { kind: 'created', id: 'us' },
        { parameters: { region: 'us' }, mandatory: false },
      );
      const eu = await h.publisher.publish(
        'orders.created',
        { kind: 'created', id: 'eu' },
        { parameters: { region: 'eu' } },
      );
      await until(() => r.events.length >= 1);
      await new Promise((res) => setTimeout(res, 200));
      expect(r.events.map((e) => e.event_id)).toEqual([eu.eventId]);
      await expect(
        h.subscriber.subscribe('orders.*', r.handler, {
          service: service('pinned-bad'),
          parameters: { region: 'a.b' },
        }),
      ).rejects.toThrow(/parameters\/region/);
    });

    it('address null: the caller names the routing key; the AMQP type names the message', async () => {
      const r = recorder();
      subs.push(await h.subscriber.subscribe('anykey', r.handler, { service: service('any') }));
      const receipt = await h.publisher.publish(
        'anykey',
        { text: 'k' },
        { routingKey: `free.${h.suffix}.key` },
      );
      await until(() => r.events.length === 1);
      expect(r.events[0]?.event_id).toBe(receipt.eventId);
      expect(r.events[0]?.event_type).toBe('anykey');
    });

    it('is: queue publishes through the default exchange to the named queue and consumes it', async () => {
      const r = recorder();
      const s = service('jobs');
      subs.push(await h.subscriber.subscribe('jobs', r.handler, { service: s }));
      const receipt = await h.publisher.publish('jobs', { text: 'run' });
      await h.publishRaw(`bbtest.jobs.${h.suffix}`, '{"text":"raw"}', '');
      await until(() => r.events.length === 2);
      expect(r.events.map((e) => (e.payload as { text: string }).text).sort()).toEqual(['raw', 'run']);
      expect(r.events.some((e) => e.event_id === receipt.eventId)).toBe(true);
      expect(r.contexts[0]?.parameters).toEqual({});
      await h.deadReasons(s, 0, `bbtest.jobs.${h.suffix}`);
    });
  });
}

describe('the bare wire as RabbitMQ carries it', () => {
  it('body = the payload JSON; envelope metadata, typed headers, correlation id and reply address in AMQP properties', async () => {
    const suffix = randomBytes(4).toString('hex');
    const exchange = `bbtest.foreign-wire.${suffix}`;
    const registry = createForeignRegistry(suffix);
    const connection = await createConnection({ url: RABBIT_URL, name: `bbtest-foreign-wire-${suffix}` });
    await connection.waitForConnect();
    const publisher = createPublisher({ registry, connection, exchange });
    const ch = await connection.createChannel();
    try {
      await ch.assertExchange(exchange, 'topic', { durable: true });
      const tap = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.bindQueue(tap, exchange, '#');
      const receipt = await publisher.publish(
        'room.posted',
        { text: 'hello' },
        {
          parameters: { roomId: 'r2' },
          messageHeaders: { traceId: 'trace-9', replyTo: 'answers.q' },
          source: { host: 'h9', type: 'agent', app: 'wire-test' },
        },
      );
      let m = await ch.get(tap, { noAck: true });
      const end = Date.now() + 10_000;
      while (!m && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
        m = await ch.get(tap, { noAck: true });
      }
      if (!m) throw new Error('nothing on the tap queue');
      expect(m.fields.routingKey).toBe(`t${suffix}.rooms.r2.events`);
      expect(m.content.toString('utf8')).toBe('{"text":"hello"}');
      expect(m.properties).toMatchObject({
        messageId: receipt.eventId,
        type: 'room.posted',
        appId: 'wire-test',
        contentType: 'application/json',
        correlationId: 'trace-9',
        replyTo: 'answers.q',
        deliveryMode: 2,
      });
      const headers = m.properties.headers ?? {};
      expect(headers['traceId']).toBe('trace-9');
      expect(headers['cloudEvents_id']).toBe(receipt.eventId);
      expect(headers['cloudEvents_time']).toBe(receipt.envelope.timestamp);
      expect(JSON.parse(String(headers['bb-source']))).toEqual(receipt.envelope.source);
    } finally {
      await ch.deleteExchange(exchange).catch(() => undefined);
      await ch.close().catch(() => undefined);
      await publisher.close();
      await connection.close();
    }
  });
});
