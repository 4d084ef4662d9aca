/**
 * Upcasting (issue 11): a subscriber of `shop.order.placed.v2` with `acceptOlder: true` also receives
 * `shop.order.placed` (v1) events, upcast by the fixture's upcasters/shop.order.placed.v2.ts before its
 * handler runs — on the real RabbitMQ broker and on the in-memory bus, through the same pipeline step.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventPublisher, EventSubscriber, MessageContext } from '../../runtime/bus.js';
import { createConnection } from '../../runtime/amqp/connection.js';
import { createSubscriber } from '../../runtime/amqp/consumer.js';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { DEFAULT_RETRY_DELAYS_MS } from '../../runtime/amqp/index.js';
import { queueNames } from '../../runtime/delivery/rules.js';
import { createMemoryBus } from '../../runtime/memory/index.js';
import type { BloodbankCatalog } from '../fixtures/codegen/versioned/generated/catalog.js';
import { registry } from '../fixtures/codegen/versioned/generated/registry.js';

const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

interface Bus {
  readonly publisher: EventPublisher<BloodbankCatalog>;
  readonly subscriber: EventSubscriber<BloodbankCatalog>;
  readonly service: string;
  close(): Promise<void>;
}

async function memoryBus(): Promise<Bus> {
  const bus = createMemoryBus({ registry });
  return { publisher: bus, subscriber: bus, service: 'upcast-memory', close: () => bus.close() };
}

async function rabbitBus(): Promise<Bus> {
  const suffix = randomBytes(4).toString('hex');
  const exchange = `bbtest.upcast.${suffix}`;
  const service = `upcast-${suffix}`;
  const connection = await createConnection({ url: RABBIT_URL, name: `bbtest-upcast-${suffix}` });
  await connection.waitForConnect();
  const publisher = createPublisher({ registry, connection, exchange });
  await publisher.ready();
  const subscriber = await createSubscriber({ registry, connection, exchange });
  return {
    publisher,
    subscriber,
    service,
    async close() {
      await subscriber.close();
      await publisher.close();
      const ch = await connection.createChannel();
      const names = queueNames(exchange, service);
      // Every queue the subscription declared (its retry queues are durable too, and would outlive the run).
      for (const q of [names.main, names.dlq, ...DEFAULT_RETRY_DELAYS_MS.map((ms) => names.retry(ms))])
        await ch.deleteQueue(q);
      await ch.deleteExchange(exchange).catch(() => {});
      await ch.close().catch(() => {});
      await connection.close();
    },
  };
}

const opened: Bus[] = [];
afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
});

describe.each([
  ['in-memory', memoryBus],
  ['RabbitMQ', rabbitBus],
] as const)('upcasting on %s', (_name, open) => {
  it('delivers v1 events to a v2 subscriber with acceptOlder, upcast and completed by v2 defaults', async () => {
    const bus = await open();
    opened.push(bus);
    const seen: Array<{ type: string; id: string; payload: unknown; from: string | undefined }> = [];
    await bus.subscriber.subscribe(
      'shop.order.placed.v2',
      (event, context: MessageContext) => {
        seen.push({
          type: event.event_type,
          id: event.event_id,
          payload: event.payload,
          from: context.upcastFrom,
        });
      },
      { service: bus.service, acceptOlder: true },
    );
    const v1 = await bus.publisher.publish('shop.order.placed', { order_id: 'o-1', total_cents: 1250 });
    const v2 = await bus.publisher.publish('shop.order.placed.v2', {
      order_id: 'o-2',
      total: { amount: 99, currency: 'USD' },
      channel: 'web',
    });
    await vi.waitFor(() => expect(seen).toHaveLength(2), { timeout: 10_000, interval: 20 });
    const byId = new Map(seen.map((s) => [s.id, s]));
    // Same event_id, the newer event_type, the payload upcast then completed by v2's defaults.
    expect(byId.get(v1.eventId)).toEqual({
      type: 'shop.order.placed.v2',
      id: v1.eventId,
      payload: { order_id: 'o-1', total: { amount: 1250, currency: 'EUR' }, channel: 'unknown' },
      from: 'shop.order.placed',
    });
    // A v2 event is delivered as itself.
    expect(byId.get(v2.eventId)).toEqual({
      type: 'shop.order.placed.v2',
      id: v2.eventId,
      payload: { order_id: 'o-2', total: { amount: 99, currency: 'USD' }, channel: 'web' },
      from: undefined,
    });
  });

  it('refuses acceptOlder at run time when no subscribed key has an upcaster (untyped callers)', async () => {
    const bus = await open();
    opened.push(bus);
    const untyped = bus.subscriber as unknown as EventSubscriber;
    await expect(
      untyped.subscribe('shop.order.shipped', () => {}, { service: `${bus.service}-x`, acceptOlder: true }),
    ).rejects.toThrow(/acceptOlder: none of shop\.order\.shipped has an upcaster/);
  });
});

describe('acceptOlder at the type level', () => {
  it('is a compile error for a key without an upcaster', async () => {
    const bus = createMemoryBus({ registry });
    try {
      const sub = bus.subscribe(
        'shop.order.shipped',
        () => {},
        // @ts-expect-error shop.order.shipped has no upcaster (upcasters/shop.order.shipped.ts)
        { service: 'types', acceptOlder: true },
      );
      await expect(sub).rejects.toThrow(/has no upcaster|none of/);
      // Allowed where the catalogue has an upcaster; allowed to be false or absent everywhere.
      await bus.subscribe('shop.order.placed.v2', () => {}, { service: 'types-ok', acceptOlder: true });
      await bus.subscribe('shop.order.shipped', () => {}, { service: 'types-plain' });
    } finally {
      await bus.close();
    }
  });
});
