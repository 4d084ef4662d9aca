/**
 * History on the real RabbitMQ: 10,000 events over three routing keys stored in the stream, queried by
 * pattern, time window, correlation and limit (counts and order exact), replayed into one service's
 * queue (exactly the window, ids unchanged), replayed again into an idempotent service (nothing handled
 * twice; `force` re-runs), and retention of seconds removing old segments.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, type BloodbankConnection } from '../../../runtime/amqp/connection.js';
import { createSubscriber, type AmqpSubscriber } from '../../../runtime/amqp/consumer.js';
import {
  historyQueueName,
  readHistory,
  replayHistory,
  scanHistory,
  setupHistory,
  type HistoryQuery,
} from '../../../runtime/amqp/history.js';
import { createPublisher, type Publisher } from '../../../runtime/amqp/publisher.js';
import { createMemoryIdempotency, queueNames } from '../../../runtime/delivery/rules.js';
import type { Envelope } from '../../../runtime/envelope.js';
import { createContractRegistry, type ContractCatalog } from '../../support/contract-registry.js';

const RABBIT_URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const TOTAL = Number(process.env['BB_HISTORY_TEST_EVENTS'] ?? 10_000);
const KEYS = ['contract.item.created', 'contract.item.deleted', 'contract.other.created'] as const;
const RETENTION = { maxAge: '7D', maxBytes: 1024 * 1024 * 1024 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Sent {
  readonly id: string;
  readonly key: (typeof KEYS)[number];
  readonly n: number;
  readonly phase: 'a' | 'b' | 'c';
}

describe('history stream (real RabbitMQ)', () => {
  const suffix = randomBytes(4).toString('hex');
  const exchange = `bbtest.history.${suffix}`;
  const registry = createContractRegistry();
  const gate = createMemoryIdempotency();
  let connection: BloodbankConnection;
  let publisher: Publisher<ContractCatalog>;
  let subscriber: AmqpSubscriber<ContractCatalog>;
  const sent: Sent[] = [];
  let t1: Date;
  let t2: Date;
  const services: string[] = [];
  const reader = () => ({ connection, exchange });
  const ids = async (query: HistoryQuery) => {
    const out: string[] = [];
    for await (const e of readHistory(reader(), query)) out.push(e.envelope.event_id);
    return out;
  };

  async function publishPhase(phase: Sent['phase'], count: number): Promise<void> {
    for (let start = 0; start < count; start += 500) {
      const batch: Promise<void>[] = [];
      for (let i = start; i < Math.min(count, start + 500); i += 1) {
        const key = KEYS[sent.length % KEYS.length] ?? KEYS[0];
        const n = sent.length;
        const entry = { id: '', key, n, phase };
        sent.push(entry);
        batch.push(
          publisher.publish(key, { n }).then((r) => {
            (entry as { id: string }).id = r.eventId;
          }),
        );
      }
      await Promise.all(batch);
    }
  }

  beforeAll(async () => {
    connection = await createConnection({ url: RABBIT_URL, name: `bbtest-history-${suffix}` });
    await setupHistory(connection, exchange, RETENTION);
    publisher = createPublisher({ registry, connection, exchange });
    await publisher.ready();
    subscriber = await createSubscriber({
      registry,
      connection,
      exchange,
      retry: { maxAttempts: 2, delaysMs: [50] },
      idempotency: gate,
    });
    const third = Math.floor(TOTAL / 3);
    await publishPhase('a', third);
    await sleep(5);
    t1 = new Date();
    await sleep(5);
    await publishPhase('b', third);
    await sleep(5);
    t2 = new Date();
    await sleep(5);
    await publishPhase('c', TOTAL - 2 * third);
  }, 120_000);

  afterAll(async () => {
    await subscriber.close();
    await publisher.close();
    const ch = await connection.createChannel();
    for (const s of services) {
      const n = queueNames(exchange, s);
      for (const q of [n.main, n.dlq, n.retry(50)]) await ch.deleteQueue(q).catch(() => {});
    }
    await ch.deleteQueue(historyQueueName(exchange)).catch(() => {});
    await ch.deleteExchange(exchange).catch(() => {});
    await connection.close();
  });

  it('stores every published event, in publish order, and ends where the stream ended', async () => {
    const got = await ids({});
    expect(got).toEqual(sent.map((s) => s.id));
  });

  it('setup is idempotent, and names the way out when retention differs', async () => {
    await expect(setupHistory(connection, exchange, RETENTION)).resolves.toEqual({
      exchange,
      history: `${exchange}.history`,
    });
    await expect(setupHistory(connection, exchange, { ...RETENTION, maxAge: '1D' })).rejects.toThrow(
      /exists with other arguments.*set_policy/,
    );
  });

  it('filters by routing-key pattern, exactly and in order', async () => {
    expect(await ids({ pattern: 'contract.item.*' })).toEqual(
      sent.filter((s) => s.key !== 'contract.other.created').map((s) => s.id),
    );
    expect(await ids({ pattern: ['contract.other.#'] })).toEqual(
      sent.filter((s) => s.key === 'contract.other.created').map((s) => s.id),
    );
  });

  it('filters by time window (since/until) and limit', async () => {
    expect(await ids({ since: t1, until: t2 })).toEqual(sent.filter((s) => s.phase === 'b').map((s) => s.id));
    expect(await ids({ since: t2, pattern: 'contract.item.deleted' })).toEqual(
      sent.filter((s) => s.phase === 'c' && s.key === 'contract.item.deleted').map((s) => s.id),
    );
    expect(await ids({ since: t1, limit: 7 })).toEqual(
      sent
        .filter((s) => s.phase === 'b')
        .slice(0, 7)
        .map((s) => s.id),
    );
    const stats = { scanned: 0, matched: 0, stoppedBy: null as string | null };
    for await (const m of scanHistory(reader(), { until: t1, skewMs: 0 }, stats as never)) void m;
    expect(stats.matched).toBe(sent.filter((s) => s.phase === 'a').length);
    expect(stats.stoppedBy).toBe('until');
    expect(await ids({ since: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it('filters by correlation: the event, its workflow and its children', async () => {
    const root = await publisher.publish('contract.item.created', { n: 1_000_001 });
    const child = await publisher.publish(
      'contract.item.deleted',
      { n: 1_000_002 },
      {
        correlationIds: [root.eventId],
        workflowId: root.eventId,
      },
    );
    await publisher.publish('contract.item.deleted', { n: 1_000_003 });
    expect(await ids({ correlation: root.eventId, since: t2 })).toEqual([root.eventId, child.eventId]);
    const [event] = await (async () => {
      const out = [];
      for await (const e of readHistory(reader(), { correlation: child.eventId, since: t2 })) out.push(e);
      return out;
    })();
    expect(event).toMatchObject({ routingKey: 'contract.item.deleted', workflowId: root.eventId });
    expect(event?.envelope.correlation_ids).toEqual([root.eventId]);
  });

  it('rejects a bad query naming the field', async () => {
    await expect(ids({ limit: 0 })).rejects.toThrow('history query: /limit must be an integer >= 1');
    await expect(ids({ pattern: 'a..b' })).rejects.toThrow(/\/pattern invalid topic pattern/);
    await expect(readHistory({ connection, exchange: `${exchange}.none` }, {}).next()).rejects.toThrow(
      /no history stream .*bb setup/,
    );
  });

  it('replays a window into one new service queue: exactly that window, ids unchanged', async () => {
    const service = `fresh-${suffix}`;
    services.push(service);
    const other = `bystander-${suffix}`;
    services.push(other);
    const got: Array<{ id: string; replayedAt: unknown }> = [];
    const bystander: string[] = [];
    const sub = await subscriber.subscribe(
      'contract.#',
      (e, ctx) => {
        got.push({ id: e.event_id, replayedAt: ctx.headers['bb-replayed-at'] });
      },
      { service, prefetch: 200, concurrency: 1 },
    );
    const by = await subscriber.subscribe('contract.#', (e) => void bystander.push(e.event_id), {
      service: other,
    });
    const want = sent.filter((s) => s.phase === 'b' && s.key !== 'contract.other.created').map((s) => s.id);
    const progress: number[] = [];
    const result = await replayHistory(reader(), {
      service,
      since: t1,
      until: t2,
      pattern: 'contract.item.#',
      onProgress: (p) => progress.push(p.sent),
    });
    expect(result).toMatchObject({ sent: want.length, matched: want.length, dryRun: false, done: true });
    expect(progress.at(-1)).toBe(want.length);
    await waitFor(() => got.length >= want.length, `${want.length} replayed deliveries`);
    await sleep(200);
    expect(got.map((g) => g.id)).toEqual(want);
    expect(got.every((g) => typeof g.replayedAt === 'string')).toBe(true);
    expect(bystander).toEqual([]);
    await sub.close();
    await by.close();
  });

  it('a dry run sends nothing; a missing queue is refused before anything is sent', async () => {
    const seen: number[] = [];
    const result = await replayHistory(reader(), {
      service: `fresh-${suffix}`,
      since: t1,
      until: t2,
      dryRun: true,
      onEvent: (m) => seen.push(m.offset),
    });
    expect(result.sent).toBe(0);
    expect(result.matched).toBe(sent.filter((s) => s.phase === 'b').length);
    expect(seen).toHaveLength(result.matched);
    await expect(replayHistory(reader(), { service: `missing-${suffix}` })).rejects.toThrow(
      /cannot replay into .*missing.*no such queue/,
    );
  });

  it('an idempotent service handles nothing twice; force re-runs each event once', async () => {
    const service = `idem-${suffix}`;
    services.push(service);
    const handled = new Map<string, number>();
    let duplicates = 0;
    const sub = await subscriber.subscribe(
      'contract.#',
      (e) => {
        handled.set(e.event_id, (handled.get(e.event_id) ?? 0) + 1);
      },
      {
        service,
        idempotent: true,
        prefetch: 200,
        onDuplicate: async () => {
          duplicates += 1;
        },
      } as never,
    );
    const window = { since: t2, pattern: 'contract.other.created' };
    const want = sent.filter((s) => s.phase === 'c' && s.key === 'contract.other.created').map((s) => s.id);
    await replayHistory(reader(), { ...window, service });
    await waitFor(() => handled.size >= want.length, 'first replay handled');
    await replayHistory(reader(), { ...window, service });
    await waitFor(() => duplicates >= want.length, 'second replay skipped as duplicates');
    expect([...handled.keys()].sort()).toEqual([...want].sort());
    expect([...handled.values()].filter((n) => n > 1)).toEqual([]);
    await replayHistory(reader(), { ...window, service, force: true });
    await waitFor(() => [...handled.values()].every((n) => n === 2), 'forced replay handled once more');
    expect([...handled.values()].filter((n) => n !== 2)).toEqual([]);
    await sub.close();
  });
});

describe('history retention (real RabbitMQ)', () => {
  it('removes old segments once they are older than x-max-age', async () => {
    const suffix = randomBytes(4).toString('hex');
    const exchange = `bbtest.history-ret.${suffix}`;
    const connection = await createConnection({ url: RABBIT_URL, name: `bbtest-history-ret-${suffix}` });
    const registry = createContractRegistry();
    const publisher = createPublisher({ registry, connection, exchange });
    try {
      await setupHistory(connection, exchange, { maxAge: '2s', maxBytes: 1e9, maxSegmentBytes: 8_192 });
      await publisher.ready();
      const old: Envelope[] = [];
      for (let i = 0; i < 100; i += 1)
        old.push((await publisher.publish('contract.item', { n: i })).envelope);
      const firstOffset = async () => {
        for await (const m of scanHistory({ connection, exchange }, { limit: 1 })) return m.offset;
        return null;
      };
      expect(await firstOffset()).toBe(0);
      // Retention is applied when a segment rolls over: keep writing until the old ones are gone.
      let n = 100;
      await waitFor(
        async () => {
          for (let i = 0; i < 20; i += 1) await publisher.publish('contract.item', { n: n++ });
          return ((await firstOffset()) ?? 0) >= 100;
        },
        'the first 100 events to be deleted by retention',
        30_000,
      );
      const left = new Set<string>();
      for await (const e of readHistory({ connection, exchange }, {})) left.add(e.envelope.event_id);
      expect(old.filter((e) => left.has(e.event_id))).toEqual([]);
      expect(left.size).toBeGreaterThan(0);
    } finally {
      await publisher.close();
      const ch = await connection.createChannel();
      await ch.deleteQueue(historyQueueName(exchange)).catch(() => {});
      await ch.deleteExchange(exchange).catch(() => {});
      await connection.close();
    }
  }, 60_000);
});
