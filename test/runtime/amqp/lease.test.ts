/**
 * A handler that runs longer than the idempotency lease keeps its lease (renewed every third of it), so
 * a second delivery of the same event meanwhile is not run concurrently; real RabbitMQ and Redis.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createConnection, type BloodbankConnection } from '../../../runtime/amqp/connection.js';
import { createSubscriber } from '../../../runtime/amqp/consumer.js';
import { createPublisher } from '../../../runtime/amqp/publisher.js';
import { DEFAULT_RETRY_DELAYS_MS, queueNames } from '../../../runtime/delivery/rules.js';
import { IdempotencyStore } from '../../../runtime/redis/idempotency-store.js';
import { SHARED_URL } from '../../support/private-rabbit.js';
import { createTestRegistry } from '../../support/test-registry.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const suffix = randomBytes(4).toString('hex');
const exchange = `bbtest.lease.${suffix}`;
const service = `lease-${suffix}`;
const prefix = `bbtest:lease:${suffix}`;
const LEASE_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let connection: BloodbankConnection;
let store: IdempotencyStore;
const raw = new Redis(REDIS_URL);

beforeAll(async () => {
  connection = await createConnection({ url: SHARED_URL, name: `bbtest-lease-${suffix}` });
  store = new IdempotencyStore({ url: REDIS_URL, keyPrefix: prefix, leaseMs: LEASE_MS });
  await store.start();
});

afterAll(async () => {
  const ch = await connection.createChannel();
  const names = queueNames(exchange, service);
  for (const q of [names.main, names.dlq, ...DEFAULT_RETRY_DELAYS_MS.map((d) => names.retry(d))])
    await ch.deleteQueue(q).catch(() => undefined);
  await ch.deleteExchange(exchange).catch(() => undefined);
  await connection.close();
  const keys = await raw.keys(`${prefix}:*`);
  if (keys.length > 0) await raw.del(...keys);
  raw.disconnect();
  await store.close();
});

it('renews the lease of a handler running 5× the lease; a duplicate meanwhile is not run alongside', async () => {
  const registry = createTestRegistry();
  const publisher = createPublisher({ registry, connection, exchange });
  const subscriber = await createSubscriber({ registry, connection, exchange, idempotency: store });
  const runs: number[] = [];
  let running = 0;
  let overlapped = false;
  await subscriber.subscribe(
    'test.ping',
    async () => {
      running += 1;
      if (running > 1) overlapped = true;
      runs.push(Date.now());
      await sleep(LEASE_MS * 5);
      running -= 1;
    },
    { service, idempotent: true, concurrency: 2, prefetch: 2 },
  );
  const eventId = randomUUID();
  await publisher.publish('test.ping', { n: 1 }, { eventId });
  const key = store.key(service, eventId);
  for (let i = 0; i < 50 && runs.length === 0; i++) await sleep(20);
  // Past the original lease: still held, still `processing`.
  await sleep(LEASE_MS * 2);
  expect(await raw.get(key)).toBe('processing');
  await publisher.publish('test.ping', { n: 1 }, { eventId });
  await sleep(LEASE_MS * 5);
  expect(overlapped).toBe(false);
  expect(await raw.get(key)).toBe('done');
  expect(runs).toHaveLength(1);
  await subscriber.close();
  await publisher.close();
});

it('renew extends only a processing lease, never a done mark', async () => {
  const id = randomUUID();
  expect(await store.renew(service, id)).toBe(false);
  expect(await store.begin(service, id)).toBe('acquired');
  await sleep(LEASE_MS / 2);
  expect(await store.renew(service, id)).toBe(true);
  expect(await raw.pttl(store.key(service, id))).toBeGreaterThan(LEASE_MS * 0.8);
  await store.complete(service, id);
  const done = await raw.pttl(store.key(service, id));
  expect(await store.renew(service, id)).toBe(false);
  expect(await raw.get(store.key(service, id))).toBe('done');
  expect(await raw.pttl(store.key(service, id))).toBeGreaterThan(LEASE_MS * 10);
  expect(done).toBeGreaterThan(LEASE_MS * 10);
});
