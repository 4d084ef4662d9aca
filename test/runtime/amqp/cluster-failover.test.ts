/**
 * A three-node cluster of private RabbitMQ nodes (test/support/private-cluster.ts): while events are
 * published with confirms and consumed by an idempotent consumer, SIGKILL (1) the node the publisher
 * is connected to, (2) the node leading the consumer's quorum queue. Each case: nothing confirmed is
 * lost, every event is handled exactly once, and a fault report is printed.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, type BloodbankConnection } from '../../../runtime/amqp/connection.js';
import { createSubscriber, type AmqpSubscriber } from '../../../runtime/amqp/consumer.js';
import { createPublisher, type Publisher } from '../../../runtime/amqp/publisher.js';
import { IdempotencyStore } from '../../../runtime/redis/index.js';
import { startPrivateCluster, type ClusterNode, type PrivateCluster } from '../../support/private-cluster.js';
import { uniqueName } from '../../support/private-rabbit.js';
import { createTestRegistry, type TestCatalog } from '../../support/test-registry.js';

/** The issue asks for 10,000; BB_CLUSTER_EVENTS lowers it on a slow machine. */
const EVENTS = Number(process.env['BB_CLUSTER_EVENTS'] ?? 10_000);
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
const registry = createTestRegistry();
const source = { host: 'cluster-test', type: 'manual' as const, app: 'cluster-failover' };

let cluster: PrivateCluster;
let store: IdempotencyStore;
const keyPrefix = `${uniqueName('idem')}`;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  store = new IdempotencyStore({ url: REDIS_URL, keyPrefix, doneTtlMs: 600_000 });
  await store.start();
}, 400_000);

afterAll(async () => {
  await store?.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${keyPrefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await cluster?.dispose();
}, 120_000);

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** All three nodes up and clustered again (a killed node restarts and rejoins). */
async function healAll(): Promise<void> {
  for (const n of cluster.nodes) if (!n.running) await n.start();
  const first = cluster.nodes[0] as ClusterNode;
  await waitFor('three running nodes', async () => {
    const status = JSON.parse(await first.ctl('cluster_status', '--formatter', 'json')) as {
      running_nodes?: string[];
    };
    return (status.running_nodes ?? []).length === 3;
  });
}

interface Report {
  readonly case: string;
  readonly killed: string;
  readonly events: number;
  readonly confirmed: number;
  readonly confirmedButLost: number;
  readonly inFlightAtKill: number;
  readonly republished: number;
  readonly duplicates: number;
  readonly handledTwice: number;
  readonly publisherReconnects: number;
  readonly consumerReconnects: number;
}

/**
 * Publishes EVENTS events through `publisherFirst`'s node list and consumes them through
 * `consumerFirst`'s; when a third are confirmed, kills the node `pick` chooses.
 */
async function runCase(
  label: string,
  publisherFirst: number,
  consumerFirst: number,
  pick: (ctx: { publisherNode: ClusterNode; queue: string }) => Promise<ClusterNode>,
): Promise<Report> {
  const exchange = uniqueName('cluster-ex');
  const service = uniqueName('svc').replace(/\./g, '-');
  const handled = new Map<string, number>();
  let duplicates = 0;

  const consumeConnection: BloodbankConnection = await createConnection({
    url: cluster.urls(consumerFirst),
    name: `${service}-consume`,
  });
  const subscriber: AmqpSubscriber<TestCatalog> = await createSubscriber<TestCatalog>({
    registry,
    connection: consumeConnection,
    exchange,
    idempotency: store,
  });
  const subscription = await subscriber.subscribe(
    'test.ping',
    (event) => {
      handled.set(event.event_id, (handled.get(event.event_id) ?? 0) + 1);
    },
    {
      service,
      idempotent: true,
      prefetch: 200,
      concurrency: 20,
      onDuplicate: () => {
        duplicates += 1;
        return Promise.resolve();
      },
    },
  );
  const publisher: Publisher<TestCatalog> = createPublisher<TestCatalog>({
    registry,
    url: cluster.urls(publisherFirst),
    exchange,
    source,
    connectionName: `${service}-publish`,
    buffer: { maxMessages: EVENTS * 2, maxAgeMs: 60_000 },
    confirmTimeoutMs: 60_000,
  });
  const publishConnection = await publisher.connection;
  await publisher.ready();
  let publisherReconnects = 0;
  let consumerReconnects = 0;
  publishConnection.on('reconnected', () => (publisherReconnects += 1));
  consumeConnection.on('reconnected', () => (consumerReconnects += 1));

  try {
    const publisherNode = cluster.nodeOf(publishConnection.node);
    const target = await pick({ publisherNode, queue: subscription.queue });

    const confirmed = new Set<string>();
    const failures: unknown[] = [];
    const settled: Array<Promise<void>> = [];
    for (let n = 0; n < EVENTS; n += 1)
      settled.push(
        publisher.publish('test.ping', { n }).then(
          (receipt) => void confirmed.add(receipt.eventId),
          (error: unknown) => void failures.push(error),
        ),
      );

    await waitFor('a third of the events confirmed', () => confirmed.size >= EVENTS / 3);
    const inFlightAtKill = publisher.stats().inFlight;
    await target.kill();
    await Promise.all(settled);
    expect(failures, String(failures[0])).toEqual([]);
    expect(confirmed.size).toBe(EVENTS);

    await waitFor('every confirmed event handled', () => handled.size >= confirmed.size);
    // Duplicates still queued are delivered and skipped: wait until the queue is empty and nothing unacked.
    await waitFor('the queue drained', async () => {
      const stats = await subscriber.queueStats(subscription.queue);
      return stats !== null && stats.messageCount === 0 && (await subscription.health()).inFlight === 0;
    });

    const lost = [...confirmed].filter((id) => !handled.has(id));
    const twice = [...handled.values()].filter((count) => count > 1).length;
    const report: Report = {
      case: label,
      killed: target.name,
      events: EVENTS,
      confirmed: confirmed.size,
      confirmedButLost: lost.length,
      inFlightAtKill,
      republished: publisher.stats().republished,
      duplicates,
      handledTwice: twice,
      publisherReconnects,
      consumerReconnects,
    };
    console.log(`fault report: ${JSON.stringify(report)}`);
    expect(lost).toEqual([]);
    expect(twice).toBe(0);
    expect(handled.size).toBe(EVENTS);
    expect((await subscription.health()).consumeCount).toBe(1 + consumerReconnects);
    return report;
  } finally {
    await publisher.close().catch(() => undefined);
    await subscriber.close().catch(() => undefined);
    await consumeConnection.close().catch(() => undefined);
  }
}

describe(`a three-node cluster, ${EVENTS} events, SIGKILL mid-run`, () => {
  it('the node the publisher is connected to: it fails over and republishes, nothing is lost or handled twice', async () => {
    await healAll();
    // The publisher starts on node 1, the consumer (and so its queue's leader) on node 2.
    const report = await runCase('publisher node', 0, 1, ({ publisherNode }) =>
      Promise.resolve(publisherNode),
    );
    expect(report.publisherReconnects).toBe(1);
  }, 600_000);

  it("the node leading the consumer's quorum queue: a new leader is elected, nothing is lost or handled twice", async () => {
    await healAll();
    const report = await runCase('queue leader', 0, 2, async ({ publisherNode, queue }) => {
      const leader = await cluster.leaderOf(queue);
      expect(leader.name).not.toBe(publisherNode.name);
      return leader;
    });
    expect(report.publisherReconnects).toBe(0);
  }, 600_000);
});
