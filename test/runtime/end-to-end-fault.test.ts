/**
 * Issue 3's end-to-end fault cases, in sandboxes (DESIGN.md §8):
 * - the broker killed mid-publish of 10,000 events while an idempotent consumer reads them: nothing lost,
 *   republished > 0, every event handled exactly once;
 * - Redis stopped mid-run: publishing (with correlation tracking) and consuming (idempotent) carry on.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { createSubscriber } from '../../runtime/amqp/consumer.js';
import { queueNames } from '../../runtime/delivery/rules.js';
import { createMetrics } from '../../runtime/metrics.js';
import { CorrelationTracker } from '../../runtime/redis/correlation-tracker.js';
import { IdempotencyStore } from '../../runtime/redis/idempotency-store.js';
import {
  createAdmin,
  SHARED_URL,
  startPrivateRabbit,
  uniqueName,
  type PrivateRabbit,
} from '../support/private-rabbit.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { createTestRegistry, type TestCatalog } from '../support/test-registry.js';

const registry = createTestRegistry();
const source = { host: 'e2e-fault', type: 'manual' as const, app: 'e2e-fault' };
const SHARED_REDIS = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';

describe('broker killed mid-publish, idempotent consumer (private RabbitMQ node)', () => {
  let rabbit: PrivateRabbit;
  beforeAll(async () => {
    rabbit = await startPrivateRabbit();
  }, 120_000);
  afterAll(async () => {
    await rabbit?.dispose();
  }, 60_000);

  it('loses nothing, republishes, and handles each of 10,000 events exactly once', async () => {
    const exchange = uniqueName('e2e');
    const metrics = createMetrics();
    const idempotency = new IdempotencyStore({
      url: SHARED_REDIS,
      keyPrefix: `bb:test:${randomUUID()}`,
      metrics,
    });
    const subscriber = await createSubscriber<TestCatalog>({
      registry,
      url: rabbit.url,
      exchange,
      idempotency,
      metrics,
      retry: { maxAttempts: 5, delaysMs: [100] },
      connectionName: uniqueName('sub'),
    });
    const handled = new Map<string, number>();
    await subscriber.subscribe(
      'test.ping',
      (event) => void handled.set(event.event_id, (handled.get(event.event_id) ?? 0) + 1),
      { service: 'counter', idempotent: true, prefetch: 200, concurrency: 8 },
    );
    const publisher = createPublisher<TestCatalog>({
      registry,
      url: rabbit.url,
      exchange,
      source,
      connectionName: uniqueName('pub'),
      confirmTimeoutMs: 120_000,
      buffer: { maxMessages: 20_000, maxAgeMs: 120_000 },
    });
    try {
      await publisher.ready();
      await publisher.publish('test.ping', { n: -1 });
      await expect.poll(() => handled.size, { timeout: 30_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 1_000)); // let the quorum queue settle before a crash

      const total = 10_000;
      const all = Array.from({ length: total }, (_, n) => publisher.publish('test.ping', { n }));
      await expect
        .poll(() => publisher.stats().confirmed, { timeout: 60_000, interval: 1 })
        .toBeGreaterThanOrEqual(1_000);
      const atStop = publisher.stats();
      const killing = rabbit.kill();
      expect(atStop.inFlight).toBeGreaterThanOrEqual(100);
      expect(atStop.pending).toBeGreaterThanOrEqual(100);
      await killing;
      await rabbit.start();

      const results = await Promise.allSettled(all);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const published = results.map((r) => (r.status === 'fulfilled' ? r.value.eventId : ''));
      const stats = publisher.stats();
      await expect
        .poll(() => published.filter((id) => !handled.has(id)).length, { timeout: 120_000, interval: 200 })
        .toBe(0);
      await new Promise((r) => setTimeout(r, 2_000)); // late duplicates would show up now
      const twice = [...handled.values()].filter((c) => c > 1).length;
      const deduplicated = (await metrics.deduplicated.get()).values.reduce((n, v) => n + v.value, 0);
      console.log(
        `e2e broker-kill report: ${JSON.stringify({ atStop: { inFlight: atStop.inFlight, pending: atStop.pending }, republished: stats.republished, lost: 0, handledTwice: twice, deduplicated })}`,
      );
      expect(stats.republished).toBeGreaterThan(0);
      expect(twice).toBe(0);
      expect(handled.size).toBe(total + 1);
    } finally {
      await subscriber.close();
      await publisher.close();
      await idempotency.close();
    }
  }, 300_000);
});

describe('Redis stopped mid-run (private redis-server)', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  }, 60_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it('changes nothing for publish (with tracking) and consume (idempotent)', async () => {
    const exchange = uniqueName('e2e-redis');
    const metrics = createMetrics();
    const tracker = new CorrelationTracker({
      url: redis.url,
      metrics,
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
    });
    await tracker.start();
    const idempotency = new IdempotencyStore({
      url: redis.url,
      metrics,
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
    });
    const subscriber = await createSubscriber<TestCatalog>({
      registry,
      url: SHARED_URL,
      exchange,
      idempotency,
      metrics,
    });
    const handled = new Set<string>();
    await subscriber.subscribe('test.#', (event) => void handled.add(event.event_id), {
      service: 'redis-outage',
      idempotent: true,
    });
    const publisher = createPublisher<TestCatalog>({
      registry,
      url: SHARED_URL,
      exchange,
      source,
      tracker,
      metrics,
    });
    const admin = await createAdmin(SHARED_URL);
    try {
      const root = await publisher.publish('test.ping', { n: 0 });
      const ids: string[] = [root.eventId];
      for (let n = 1; n <= 100; n++) {
        if (n === 50) await redis.stop();
        const r = await publisher.publish('test.ping', { n }, { correlationIds: [ids[n - 1] as string] });
        ids.push(r.eventId);
      }
      await expect.poll(() => ids.filter((id) => !handled.has(id)).length, { timeout: 30_000 }).toBe(0);
      const failures = (await metrics.trackerFailures.get()).values.reduce((n, v) => n + v.value, 0);
      const fallbacks = (await metrics.idempotencyFallback.get()).values.reduce((n, v) => n + v.value, 0);
      expect(failures).toBeGreaterThan(0);
      expect(fallbacks).toBeGreaterThan(0);

      await redis.restart();
      // Tracking resumes by itself: links published once Redis is back are recorded again.
      let last = ids[100] as string;
      await expect
        .poll(
          async () => {
            const r = await publisher.publish('test.ping', { n: 101 }, { correlationIds: [last] });
            last = r.eventId;
            await new Promise((done) => setTimeout(done, 200));
            return (await tracker.getParents(r.eventId)).length;
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBe(1);
      await expect.poll(() => handled.has(last), { timeout: 15_000 }).toBe(true);
    } finally {
      await subscriber.close();
      await publisher.close();
      await tracker.close();
      await idempotency.close();
      const names = queueNames(exchange, 'redis-outage');
      for (const q of [
        names.main,
        names.dlq,
        names.retry(1000),
        names.retry(5000),
        names.retry(30000),
        names.retry(120000),
      ]) {
        await admin.channel.deleteQueue(q).catch(() => undefined);
      }
      await admin.channel.deleteExchange(exchange).catch(() => undefined);
      await admin.close();
    }
  }, 120_000);
});
