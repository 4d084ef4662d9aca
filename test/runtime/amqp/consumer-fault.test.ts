/**
 * Consumer faults in a private RabbitMQ node (DESIGN.md §8): the consumer's connection is killed
 * server-side; the subscription must come back exactly once per loss and deliveries continue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, type BloodbankConnection } from '../../../runtime/amqp/connection.js';
import {
  createSubscriber,
  type AmqpSubscriber,
  type AmqpSubscription,
} from '../../../runtime/amqp/consumer.js';
import { createPublisher, type Publisher } from '../../../runtime/amqp/publisher.js';
import { createMemoryIdempotency } from '../../../runtime/delivery/rules.js';
import { startPrivateRabbit, type PrivateRabbit } from '../../support/private-rabbit.js';
import { createContractRegistry, type ContractCatalog } from '../../support/contract-registry.js';
import { diffIds } from '../../contract/suite.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < end) await sleep(25);
}

describe('AMQP consumer under connection loss (private node)', () => {
  let rabbit: PrivateRabbit;
  let consumerConn: BloodbankConnection;
  let publisherConn: BloodbankConnection;
  let publisher: Publisher<ContractCatalog>;
  let subscriber: AmqpSubscriber<ContractCatalog>;
  let sub: AmqpSubscription;
  const registry = createContractRegistry();
  const handled: string[] = [];
  let reconnects = 0;

  beforeAll(async () => {
    rabbit = await startPrivateRabbit();
    consumerConn = await createConnection({
      url: rabbit.url,
      name: 'bbtest-fault-consumer',
      initialDelayMs: 50,
      maxDelayMs: 500,
    });
    consumerConn.on('reconnected', () => (reconnects += 1));
    publisherConn = await createConnection({ url: rabbit.url, name: 'bbtest-fault-publisher' });
    publisher = createPublisher({ registry, connection: publisherConn, exchange: 'bbtest.fault' });
    await publisher.ready();
    subscriber = await createSubscriber({
      registry,
      connection: consumerConn,
      exchange: 'bbtest.fault',
      idempotency: createMemoryIdempotency(),
    });
    sub = await subscriber.subscribe(
      'contract.item.created',
      (e) => {
        handled.push(e.event_id);
      },
      { service: 'fault', idempotent: true, prefetch: 20 },
    );
  }, 120_000);

  afterAll(async () => {
    await subscriber?.close();
    await publisher?.close();
    await consumerConn?.close();
    await publisherConn?.close();
    await rabbit?.dispose();
  }, 60_000);

  const publishMany = async (n: number) =>
    (
      await Promise.all(
        Array.from({ length: n }, (_, i) => publisher.publish('contract.item.created', { n: i })),
      )
    ).map((r) => r.eventId);

  it('re-subscribes exactly once per lost connection and keeps delivering', async () => {
    const ids = await publishMany(100);
    await until(() => handled.length >= 100);
    expect((await sub.health()).consumeCount).toBe(1);

    expect(await rabbit.closeConnectionsNamed('bbtest-fault-consumer')).toBe(1);
    await until(async () => sub.state === 'consuming' && reconnects === 1);
    await sleep(500); // a second re-subscription would show up here
    let health = await sub.health();
    expect(reconnects).toBe(1);
    expect(health.consumeCount).toBe(2);
    expect(health.stats?.consumerCount).toBe(1);

    ids.push(...(await publishMany(100)));
    await until(() => new Set(handled).size >= 200);
    expect(diffIds(ids, handled)).toEqual({ missing: [], extra: [], duplicated: [] });

    // Killed while messages stream in: nothing lost, each handled once (idempotent), one more consumer.
    const streaming = publishMany(300);
    await until(() => handled.length >= 250);
    expect(await rabbit.closeConnectionsNamed('bbtest-fault-consumer')).toBe(1);
    ids.push(...(await streaming));
    await until(() => new Set(handled).size >= ids.length);
    await sleep(500);
    health = await sub.health();
    expect(reconnects).toBe(2);
    expect(health.consumeCount).toBe(3);
    expect(health.stats).toMatchObject({ consumerCount: 1, messageCount: 0 });
    expect(diffIds(ids, handled)).toEqual({ missing: [], extra: [], duplicated: [] });
  }, 90_000);
});
