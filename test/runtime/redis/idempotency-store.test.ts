import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from '../../../runtime/redis/index.js';
import { REDIS_URL, deleteKeys, uniquePrefix } from './helpers.js';

const raw = new Redis(REDIS_URL);
const service = `svc-${randomUUID().slice(0, 8)}`;
const prefix = uniquePrefix('idempotency');
const store = new IdempotencyStore({ url: REDIS_URL, keyPrefix: prefix, leaseMs: 200, doneTtlMs: 60_000 });
/** Default prefix, for the layout test; its keys are under a service name no other test uses. */
const defaults = new IdempotencyStore({ url: REDIS_URL });

afterAll(async () => {
  await deleteKeys(raw, `${prefix}:*`);
  await deleteKeys(raw, `bloodbank:idempotency:${service}:*`);
  await Promise.all([store.close(), defaults.close()]);
  raw.disconnect();
});

describe('IdempotencyStore', () => {
  it('uses bloodbank:idempotency:{service}:{event_id}: processing with the lease, done with the long TTL', async () => {
    const id = randomUUID();
    const key = `bloodbank:idempotency:${service}:${id}`;
    expect(await defaults.begin(service, id)).toBe('acquired');
    expect(await raw.get(key)).toBe('processing');
    const lease = await raw.pttl(key);
    expect(lease).toBeGreaterThan(0);
    expect(lease).toBeLessThanOrEqual(60_000);
    await defaults.complete(service, id);
    expect(await raw.get(key)).toBe('done');
    const done = await raw.pttl(key);
    expect(done).toBeGreaterThan(60_000);
    expect(done).toBeLessThanOrEqual(7 * 86_400_000);
  });

  it('acquired, then in-progress while leased, then done after complete', async () => {
    const id = randomUUID();
    expect(await store.begin(service, id)).toBe('acquired');
    expect(await store.begin(service, id)).toBe('in-progress');
    await store.complete(service, id);
    expect(await store.begin(service, id)).toBe('done');
    expect(await store.begin(service, id)).toBe('done');
  });

  it('release gives the lease back after a failed handler, and never erases done', async () => {
    const id = randomUUID();
    expect(await store.begin(service, id)).toBe('acquired');
    await store.release(service, id);
    expect(await store.begin(service, id)).toBe('acquired');
    await store.complete(service, id);
    await store.release(service, id);
    expect(await store.begin(service, id)).toBe('done');
  });

  it('a crash mid-handler loses nothing: the lease expires and the redelivery runs it', async () => {
    const id = randomUUID();
    expect(await store.begin(service, id)).toBe('acquired');
    // the process "dies": neither complete nor release
    expect(await store.begin(service, id)).toBe('in-progress');
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.begin(service, id)).toBe('acquired');
  });

  it('keeps services apart', async () => {
    const id = randomUUID();
    expect(await store.begin(service, id)).toBe('acquired');
    await store.complete(service, id);
    expect(await store.begin(`${service}-other`, id)).toBe('acquired');
    await raw.del(store.key(`${service}-other`, id));
  });

  it('only one of many concurrent deliveries acquires', async () => {
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.begin(service, id)));
    expect(results.filter((r) => r === 'acquired')).toHaveLength(1);
    expect(results.filter((r) => r === 'in-progress')).toHaveLength(19);
  });
});
