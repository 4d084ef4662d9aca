/**
 * Redis stopped mid-run (a private redis-server, DESIGN.md §8): calls keep returning quickly, one
 * warning per outage, counters rise, and tracking resumes by itself when Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../runtime/logger.js';
import { createMetrics } from '../../../runtime/metrics.js';
import { CorrelationTracker, IdempotencyStore } from '../../../runtime/redis/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../support/private-redis.js';
import { captureLogs, waitUntil } from './helpers.js';

let redis: PrivateRedis;
const logs = captureLogs();
const logger = createLogger({ level: 'info', destination: logs.stream });
const metrics = createMetrics();
let tracker: CorrelationTracker;
let store: IdempotencyStore;

const warnings = (component: string) =>
  logs.lines.filter((l) => l['level'] === 40 && String(l['msg']).startsWith(component));
const infos = (component: string) =>
  logs.lines.filter((l) => l['level'] === 30 && String(l['msg']).startsWith(component));
async function total(
  counter: typeof metrics.trackerFailures | typeof metrics.idempotencyFallback,
): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** Resolves the call, failing the test if it throws or takes longer than `ms`. */
async function quick<T>(call: Promise<T>, ms = 1500): Promise<T> {
  const started = performance.now();
  const result = await call;
  expect(performance.now() - started).toBeLessThan(ms);
  return result;
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  tracker = new CorrelationTracker({ url: redis.url, logger, metrics, ttlDays: 1 });
  store = new IdempotencyStore({ url: redis.url, logger, metrics });
  await Promise.all([tracker.start(), store.start()]);
});

afterAll(async () => {
  await Promise.all([tracker.close(), store.close()]);
  await redis.stop();
});

describe('Redis outage', () => {
  it('degrades quietly, logs once per outage, and resumes by itself', async () => {
    expect(await tracker.addCorrelation('b', ['a'])).toBe(true);
    expect(await store.begin('svc', 'e1')).toBe('acquired');
    await store.complete('svc', 'e1');
    expect(warnings('correlation tracker')).toHaveLength(0);

    await redis.stop();

    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      expect(await quick(tracker.addCorrelation(`c${i}`, ['b']))).toBe(false);
      expect(await quick(tracker.getParents('b'))).toEqual([]);
      expect(await quick(tracker.getChildren('a'))).toEqual([]);
      expect(await quick(tracker.getChain('b'))).toEqual([]);
      expect(await quick(tracker.getMetadata('b'))).toBeUndefined();
      expect(await quick(tracker.getWorkflowId('b'))).toBeUndefined();
      expect(await quick(tracker.debugDump('b'))).toEqual({
        event_id: 'b',
        parents: [],
        children: [],
        ancestors: [],
        descendants: [],
        metadata: null,
      });
    }
    expect(performance.now() - started).toBeLessThan(5000);
    expect(tracker.degraded).toBe(true);
    expect(warnings('correlation tracker')).toHaveLength(1);
    expect(await total(metrics.trackerFailures)).toBeGreaterThanOrEqual(60);

    // idempotency falls back to the in-process map of recent ids: it still remembers what this process completed
    expect(await quick(store.begin('svc', 'e1'))).toBe('done');
    expect(await quick(store.begin('svc', 'e2'))).toBe('acquired');
    expect(await quick(store.begin('svc', 'e2'))).toBe('in-progress');
    await quick(store.complete('svc', 'e2'));
    expect(await quick(store.begin('svc', 'e2'))).toBe('done');
    expect(await quick(store.begin('svc', 'e3'))).toBe('acquired');
    await quick(store.release('svc', 'e3'));
    expect(await quick(store.begin('svc', 'e3'))).toBe('acquired');
    expect(warnings('idempotency store')).toHaveLength(1);
    expect(await total(metrics.idempotencyFallback)).toBeGreaterThanOrEqual(8);

    await redis.restart();
    await waitUntil(() => !tracker.degraded && !store.degraded);
    expect(await tracker.addCorrelation('d', ['b'], { back: true })).toBe(true);
    expect(await tracker.getParents('d')).toEqual(['b']);
    expect(await tracker.getMetadata('d')).toEqual({ back: true });
    expect(await store.begin('svc', 'e4')).toBe('acquired');
    expect(infos('correlation tracker')).toHaveLength(1);
    expect(infos('idempotency store')).toHaveLength(1);

    // a second outage gets its own single warning
    await redis.stop();
    for (let i = 0; i < 5; i++) expect(await quick(tracker.getChain('d'))).toEqual([]);
    expect(warnings('correlation tracker')).toHaveLength(2);
    await redis.restart();
    await waitUntil(() => !tracker.degraded);
    expect(await tracker.addCorrelation('f', ['d'])).toBe(true);
  });

  it('start() with Redis away does not throw and connects once Redis appears', async () => {
    await redis.stop();
    const late = new CorrelationTracker({ url: redis.url, logger, metrics, ttlDays: 1 });
    const started = performance.now();
    await late.start();
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await late.getParents('x')).toEqual([]);
    await redis.restart();
    await waitUntil(() => !late.degraded);
    expect(await late.addCorrelation('y', ['x'])).toBe(true);
    await late.close();
  });

  it('survives SCRIPT FLUSH: scripts fall back from EVALSHA to EVAL', async () => {
    const flushed = new CorrelationTracker({ url: redis.url, logger, metrics, ttlDays: 1 });
    const admin = new IdempotencyStore({ url: redis.url, logger, metrics });
    expect(await flushed.addCorrelation('s2', ['s1'])).toBe(true);
    expect(await flushed.getChain('s2')).toEqual(['s1', 's2']);
    expect(await admin.begin('svc', 's')).toBe('acquired');
    const failuresBefore = await total(metrics.trackerFailures);
    // a connection of our own to the private server, only to flush its script cache
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url, { lazyConnect: true });
    await raw.connect();
    await raw.script('FLUSH');
    raw.disconnect();
    expect(await flushed.addCorrelation('s3', ['s2'])).toBe(true);
    expect(await flushed.getChain('s3')).toEqual(['s1', 's2', 's3']);
    expect(await admin.begin('svc', 's')).toBe('in-progress');
    expect(await total(metrics.trackerFailures)).toBe(failuresBefore);
    await Promise.all([flushed.close(), admin.close()]);
  });

  it('a hung Redis (SIGSTOP) costs each call at most the command timeout', async () => {
    const hung = new CorrelationTracker({
      url: redis.url,
      logger,
      metrics,
      ttlDays: 1,
      commandTimeoutMs: 200,
    });
    await hung.start();
    expect(await hung.addCorrelation('h2', ['h1'])).toBe(true);
    const before = warnings('correlation tracker').length;
    redis.pause();
    try {
      for (let i = 0; i < 3; i++) expect(await quick(hung.getParents('h2'), 1000)).toEqual([]);
      expect(hung.degraded).toBe(true);
      expect(warnings('correlation tracker')).toHaveLength(before + 1);
    } finally {
      redis.resume();
    }
    await waitUntil(async () => (await hung.getParents('h2')).length === 1);
    expect(hung.degraded).toBe(false);
    await hung.close();
  });
});
