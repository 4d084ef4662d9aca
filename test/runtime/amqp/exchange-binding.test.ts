/**
 * A channel's AMQP binding exchange (`bindings.amqp.exchange`) travels from the document into the
 * registry, and the runtime publishes and binds there unless an exchange is set explicitly.
 */
import { randomBytes } from 'node:crypto';
import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, type BloodbankConnection } from '../../../runtime/amqp/connection.js';
import { createSubscriber } from '../../../runtime/amqp/consumer.js';
import { createPublisher } from '../../../runtime/amqp/publisher.js';
import { queueNames } from '../../../runtime/delivery/rules.js';
import { createExchangeRouter, DEFAULT_EXCHANGE } from '../../../runtime/amqp/topology.js';
import type { Envelope } from '../../../runtime/envelope.js';
import {
  createConsumers,
  createPublishers,
  registry as greenhouse,
} from '../../fixtures/codegen/greenhouse/generated/index.js';
import { registry as billing } from '../../fixtures/codegen/rpc-service/generated/index.js';
import { SHARED_URL, uniqueName } from '../../support/private-rabbit.js';

const GREENHOUSE = { name: 'greenhouse.events', type: 'topic', durable: true } as const;
const DEFAULT = { name: DEFAULT_EXCHANGE, type: 'topic', durable: true } as const;

describe('codegen carries each channel binding exchange into the registry', () => {
  it.each([
    [
      'greenhouse.climate.measured (binding by $ref)',
      () => greenhouse.require('greenhouse.climate.measured').exchange,
      GREENHOUSE,
    ],
    [
      'greenhouse.vent.opened (inline binding)',
      () => greenhouse.require('greenhouse.vent.opened').exchange,
      GREENHOUSE,
    ],
    [
      'greenhouse.alarm.raised (no binding)',
      () => greenhouse.require('greenhouse.alarm.raised').exchange,
      undefined,
    ],
    [
      'billing.invoice.create',
      () => billing.require('billing.invoice.create').exchange,
      { name: 'billing', type: 'topic', durable: true },
    ],
    [
      'billing.invoice.created (no binding)',
      () => billing.require('billing.invoice.created').exchange,
      undefined,
    ],
  ] as const)('%s', (_name, read, want) => {
    expect(read()).toEqual(want);
  });
});

describe('exchange routing precedence', () => {
  it('an event goes to its binding exchange, else the default; an explicit exchange carries every event', () => {
    const bound = createExchangeRouter(greenhouse, undefined);
    expect(bound.exchangeOf('greenhouse.climate.measured')).toEqual(GREENHOUSE);
    expect(bound.exchangeOf('greenhouse.alarm.raised')).toEqual(DEFAULT);
    expect(bound.all()).toEqual([DEFAULT, GREENHOUSE]);
    const explicit = createExchangeRouter(greenhouse, 'staging.events');
    expect(explicit.exchangeOf('greenhouse.climate.measured').name).toBe('staging.events');
    expect(explicit.all().map((e) => e.name)).toEqual(['staging.events']);
  });

  it.each([
    [
      'a pattern over bound events only',
      ['greenhouse.climate.*'],
      [{ exchange: GREENHOUSE, keys: ['greenhouse.climate.measured'] }],
    ],
    [
      // greenhouse is a document we did not write: a pattern selects entries, each bound by its address.
      'a pattern over bound and unbound events',
      ['greenhouse.#'],
      [
        { exchange: DEFAULT, keys: ['greenhouse.alarm.raised'] },
        { exchange: GREENHOUSE, keys: ['greenhouse.climate.measured', 'greenhouse.vent.opened'] },
      ],
    ],
    ['a pattern no event matches', ['other.#'], [{ exchange: DEFAULT, keys: ['other.#'] }]],
  ] as const)('queue bindings for %s', (_name, patterns, want) => {
    expect(createExchangeRouter(greenhouse, undefined).bindingsFor(patterns)).toEqual(want);
  });

  it('a non-topic binding exchange is bound with each matching routing key', () => {
    const direct = { name: 'x.direct', type: 'direct', durable: true } as const;
    const registry = {
      ...greenhouse,
      get: (key: string) => {
        const def = greenhouse.get(key);
        return def && { ...def, exchange: direct };
      },
      list: () => greenhouse.list().map((d) => ({ ...d, exchange: direct })),
    };
    expect(
      createExchangeRouter(registry, undefined).bindingsFor(['greenhouse.*.measured', 'greenhouse.vent.*']),
    ).toEqual([{ exchange: direct, keys: ['greenhouse.climate.measured', 'greenhouse.vent.opened'] }]);
  });
});

describe('on the real broker', () => {
  const suffix = randomBytes(4).toString('hex');
  const service = `greenhouse-${suffix}`;
  const explicitExchange = uniqueName('greenhouse-explicit');
  let connection: BloodbankConnection;
  let raw: ChannelModel;

  /** An exclusive queue (gone with the connection) bound on `exchange`, collecting what arrives. */
  async function tap(exchange: string, pattern: string): Promise<ConsumeMessage[]> {
    const ch = await raw.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, exchange, pattern);
    const got: ConsumeMessage[] = [];
    await ch.consume(queue, (m) => m && got.push(m), { noAck: true });
    return got;
  }

  async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    connection = await createConnection({ url: SHARED_URL, name: `bbtest-exchange-binding-${suffix}` });
    raw = await amqp.connect(SHARED_URL);
  });

  afterAll(async () => {
    const ch = await raw.createChannel();
    ch.on('error', () => undefined);
    const n = queueNames(DEFAULT_EXCHANGE, service);
    for (const q of [n.main, n.dlq, n.retry(50)]) await ch.deleteQueue(q).catch(() => undefined);
    await ch.deleteExchange(explicitExchange).catch(() => undefined);
    await raw.close();
    // The fixture's own exchange: removed unless another run still has a queue bound to it.
    const cleanup = await amqp.connect(SHARED_URL);
    const c2 = await cleanup.createChannel();
    c2.on('error', () => undefined);
    await c2.deleteExchange(GREENHOUSE.name, { ifUnused: true }).catch(() => undefined);
    await cleanup.close().catch(() => undefined);
    await connection.close();
  });

  it('a generated client publishes to greenhouse.events and a subscriber receives it there', async () => {
    const onGreenhouse = await tap(GREENHOUSE.name, 'greenhouse.#');
    const onDefault = await tap(DEFAULT_EXCHANGE, 'greenhouse.#');
    const publisher = createPublisher({ registry: greenhouse, connection });
    const subscriber = await createSubscriber({
      registry: greenhouse,
      connection,
      retry: { maxAttempts: 2, delaysMs: [50] },
    });
    try {
      const received: Envelope[] = [];
      await subscriber.subscribe('greenhouse.#', (event) => void received.push(event), { service });
      const publish = createPublishers(publisher);
      const climate = await publish.publishGreenhouseClimateMeasured({
        house: 'north',
        celsius: 21.5,
        humidity: 60,
      });
      const alarm = await publish.publishGreenhouseAlarmRaised({ house: 'north', reason: 'frost' });
      const vent = await publish.publishGreenhouseVentOpened({ house: 'north', percent: 10 });
      const ids = new Set([climate.eventId, alarm.eventId, vent.eventId]);
      // Only our messages (another run may publish greenhouse events at the same time).
      const ours = (messages: ConsumeMessage[]) =>
        messages
          .filter((m) => ids.has(String(m.properties.messageId)))
          .map((m) => [m.fields.exchange, m.fields.routingKey]);

      await until(
        () => received.length === 3 && ours(onGreenhouse).length === 2 && ours(onDefault).length === 1,
      );
      expect(new Set(received.map((e) => e.event_id))).toEqual(ids);
      expect(received.find((e) => e.event_type === 'greenhouse.climate.measured')?.payload).toEqual({
        house: 'north',
        celsius: 21.5,
        humidity: 60,
      });
      // Bound events travel on greenhouse.events, the unbound one on the default exchange. One publisher
      // channel keeps its order into each queue: a climate event routed to the default exchange would have
      // reached that tap before the alarm, an alarm routed to greenhouse.events before the vent event.
      expect(ours(onGreenhouse)).toEqual([
        [GREENHOUSE.name, 'greenhouse.climate.measured'],
        [GREENHOUSE.name, 'greenhouse.vent.opened'],
      ]);
      expect(ours(onDefault)).toEqual([[DEFAULT_EXCHANGE, 'greenhouse.alarm.raised']]);
    } finally {
      await subscriber.close();
      await publisher.close();
    }
  });

  it('typed consumers of the generated client receive on the binding exchange too', async () => {
    const publisher = createPublisher({ registry: greenhouse, connection });
    const subscriber = await createSubscriber({
      registry: greenhouse,
      connection,
      retry: { maxAttempts: 2, delaysMs: [50] },
    });
    try {
      const got: number[] = [];
      await createConsumers(subscriber).onGreenhouseVentOpened(
        (event) => void got.push(event.payload.percent),
        {
          service,
        },
      );
      await createPublishers(publisher).publishGreenhouseVentOpened({ house: 'south', percent: 40 });
      await until(() => got.length === 1);
      expect(got).toEqual([40]);
    } finally {
      await subscriber.close();
      await publisher.close();
    }
  });

  it('an explicit exchange overrides the binding', async () => {
    const onExplicit = await tap(explicitExchange, 'greenhouse.#');
    const publisher = createPublisher({ registry: greenhouse, connection, exchange: explicitExchange });
    try {
      const receipt = await createPublishers(publisher).publishGreenhouseClimateMeasured(
        { house: 'east', celsius: 18 },
        { mandatory: false },
      );
      await until(() => onExplicit.length === 1);
      expect(onExplicit[0]?.fields.exchange).toBe(explicitExchange);
      // A document we did not write travels bare: the event id is the AMQP message_id, the body the payload.
      expect(onExplicit[0]?.properties.messageId).toBe(receipt.eventId);
      expect(JSON.parse(onExplicit[0]?.content.toString() ?? '{}')).toEqual({ house: 'east', celsius: 18 });
    } finally {
      await publisher.close();
    }
  });
});
