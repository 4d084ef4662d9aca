/**
 * Fault tests on a private RabbitMQ node (DESIGN.md §8): a killed connection and a broker stopped
 * mid-publish. The shared broker is never touched.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, type Publisher, type PublisherStats } from '../../../runtime/amqp/publisher.js';
import {
  createAdmin,
  startPrivateRabbit,
  uniqueName,
  type Admin,
  type PrivateRabbit,
} from '../../support/private-rabbit.js';
import { createTestRegistry, type TestCatalog } from '../../support/test-registry.js';

const registry = createTestRegistry();
const source = { host: 'fault-test', type: 'manual' as const, app: 'publisher-fault' };

let rabbit: PrivateRabbit;
let admin: Admin;
const publishers: Publisher<TestCatalog>[] = [];

beforeAll(async () => {
  rabbit = await startPrivateRabbit();
  admin = await createAdmin(rabbit.url);
}, 120_000);

afterEach(async () => {
  for (const p of publishers.splice(0)) await p.close().catch(() => undefined);
});

afterAll(async () => {
  await admin?.cleanup().catch(() => undefined);
  await admin?.close();
  await rabbit?.dispose();
}, 60_000);

function ids(messages: ReadonlyArray<{ properties: { messageId?: unknown } }>): string[] {
  return messages.map((m) => String(m.properties.messageId));
}

describe('publisher faults (private node)', () => {
  it('reconnects after its own named connection is closed, loses nothing, and emits reconnected once', async () => {
    const exchange = uniqueName('ex');
    const queue = uniqueName('q');
    await admin.declare(exchange, queue, 'test.#', { 'x-queue-type': 'quorum' });
    const name = uniqueName('conn');
    const p = createPublisher<TestCatalog>({
      registry,
      url: rabbit.url,
      exchange,
      source,
      connectionName: name,
    });
    publishers.push(p);
    await p.ready();
    const conn = await p.connection;
    let reconnected = 0;
    conn.on('reconnected', () => (reconnected += 1));

    const total = 10_000;
    const all = Array.from({ length: total }, (_, n) => p.publish('test.ping', { n }));
    await expect
      .poll(() => p.stats().confirmed, { timeout: 20_000, interval: 1 })
      .toBeGreaterThanOrEqual(300);
    expect(await rabbit.closeConnectionsNamed(name)).toBe(1);
    const receipts = await Promise.all(all);
    await expect.poll(() => reconnected, { timeout: 20_000 }).toBe(1);
    expect(conn.generation).toBe(2);
    await expect.poll(() => p.health().status).toBe('up');
    await p.publish('test.ping', { n: -1 });

    const got = ids(await admin.drain(queue, total + 1 + p.stats().republished, 2_000));
    const unique = new Set(got);
    const missing = receipts.filter((r) => !unique.has(r.eventId));
    console.log(
      `connection-close fault report: ${JSON.stringify({ ...p.stats(), inQueue: got.length, duplicates: got.length - unique.size, lost: missing.length })}`,
    );
    expect(missing).toEqual([]);
    expect(unique.size).toBe(total + 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(reconnected).toBe(1);
  }, 90_000);

  it('loses nothing when the broker is killed mid-publish of 10,000 events (quorum) and comes back', async () => {
    const exchange = uniqueName('ex');
    const queue = uniqueName('q');
    await admin.declare(exchange, queue, 'test.#', { 'x-queue-type': 'quorum' });
    const p = createPublisher<TestCatalog>({
      registry,
      url: rabbit.url,
      exchange,
      source,
      connectionName: uniqueName('conn'),
      confirmTimeoutMs: 120_000,
      buffer: { maxMessages: 20_000, maxAgeMs: 120_000 },
    });
    publishers.push(p);
    await p.ready();
    // A quorum queue killed within a second of its declaration can come back as a follower with an empty
    // log and never elect itself (seen on 3.10 under load): give it a committed entry and a moment first.
    await p.publish('test.ping', { n: -1 });
    expect(await admin.drain(queue, 1)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_000));
    const conn = await p.connection;
    let atDisconnect: PublisherStats | null = null;
    conn.on('disconnected', () => (atDisconnect ??= p.stats()));

    const t0 = Date.now();
    const phase = (name: string) =>
      console.log(`broker-kill fault: ${name} at +${Date.now() - t0} ms ${JSON.stringify(p.stats())}`);
    const total = 10_000;
    const all = Array.from({ length: total }, (_, n) => p.publish('test.ping', { n }));
    await expect
      .poll(() => p.stats().confirmed, { timeout: 60_000, interval: 1 })
      .toBeGreaterThanOrEqual(1_000);
    const atStop = p.stats();
    const stopping = rabbit.kill();
    // At the moment of the stop the publisher holds unconfirmed messages and pending publish() calls.
    expect(atStop.inFlight).toBeGreaterThanOrEqual(100);
    expect(atStop.pending).toBeGreaterThanOrEqual(100);
    await stopping;
    phase('killed');
    await expect.poll(() => atDisconnect !== null, { timeout: 30_000 }).toBe(true);
    expect(p.health().status).toBe('down');
    const whileDown = p.stats();
    await rabbit.start();
    phase('restarted');
    // The admin connection died with the node: open a new one (the node is deleted afterwards anyway).
    await admin.close();
    admin = await createAdmin(rabbit.url);

    const results = await withDeadline(Promise.allSettled(all), 120_000, () => JSON.stringify(p.stats()));
    phase('all settled');
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toEqual([]);
    const stats = p.stats();
    expect(stats.republished).toBeGreaterThan(0);
    expect(stats.confirmed).toBe(total + 1);

    const got = ids(await admin.drain(queue, total + stats.republished, 3_000));
    const unique = new Set(got);
    const published = results.map((r) => (r.status === 'fulfilled' ? r.value.eventId : ''));
    const lost = published.filter((id) => !unique.has(id)).length;
    const report = {
      atStop: { inFlight: atStop.inFlight, pending: atStop.pending, confirmed: atStop.confirmed },
      atDisconnect,
      whileDown: { inFlight: whileDown.inFlight, buffered: whileDown.buffered, pending: whileDown.pending },
      republished: stats.republished,
      inQueue: got.length,
      duplicates: got.length - unique.size,
      lost,
    };
    console.log(`broker-kill fault report: ${JSON.stringify(report)}`);
    expect(lost).toBe(0);
    expect(unique.size).toBe(total);
  }, 240_000);

  it('loses nothing across a graceful broker stop (rabbitmqctl stop) and restart', async () => {
    const exchange = uniqueName('ex');
    const queue = uniqueName('q');
    await admin.declare(exchange, queue, 'test.#', { 'x-queue-type': 'quorum' });
    const p = createPublisher<TestCatalog>({
      registry,
      url: rabbit.url,
      exchange,
      source,
      connectionName: uniqueName('conn'),
      confirmTimeoutMs: 120_000,
      buffer: { maxMessages: 20_000, maxAgeMs: 120_000 },
    });
    publishers.push(p);
    await p.ready();
    await p.publish('test.ping', { n: -1 });
    expect(await admin.drain(queue, 1)).toHaveLength(1);
    // Paced (~1,000/s) until the node has stopped (at most 20,000 before), then 1,000 more: the run spans
    // the stop however long the CLI takes to reach the node. (A fixed 10,000 over 10 s once ended, under
    // load, before the CLI stopped the node: the stop found nothing in flight and proved nothing.)
    const after = 1_000;
    let nodeStopped = false;
    let total = 0;
    const all: Array<Promise<{ eventId: string }>> = [];
    const batch = () => {
      for (const end = total + 100; total < end; total += 1) all.push(p.publish('test.ping', { n: total }));
    };
    const feeding = (async () => {
      while (!nodeStopped && total < 20_000) {
        batch();
        await new Promise((r) => setTimeout(r, 100));
      }
      while (!nodeStopped) await new Promise((r) => setTimeout(r, 100));
      for (const stopAt = total + after; total < stopAt;) {
        batch();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await expect
      .poll(() => p.stats().confirmed, { timeout: 60_000, interval: 5 })
      .toBeGreaterThanOrEqual(500);
    await rabbit.stop();
    const whileDown = p.stats();
    nodeStopped = true;
    await rabbit.start();
    await admin.close();
    admin = await createAdmin(rabbit.url);
    await feeding;
    const results = await withDeadline(Promise.allSettled(all), 120_000, () => JSON.stringify(p.stats()));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const got = ids(await admin.drain(queue, total + p.stats().republished, 3_000));
    const unique = new Set(got);
    const lost = results.filter((r) => r.status === 'fulfilled' && !unique.has(r.value.eventId)).length;
    console.log(
      `broker-stop fault report: ${JSON.stringify({ whileDown, republished: p.stats().republished, inQueue: got.length, duplicates: got.length - unique.size, lost })}`,
    );
    expect(whileDown.confirmed).toBeLessThanOrEqual(total + 1 - after);
    expect(lost).toBe(0);
    expect(unique.size).toBe(total);
  }, 240_000);
});

/** Fail with the publisher's state instead of hanging until the test timeout. */
function withDeadline<T>(promise: Promise<T>, ms: number, state: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not settled after ${ms} ms; publisher: ${state()}`)),
      ms,
    );
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
