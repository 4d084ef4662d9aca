/**
 * History benchmarks (issue 14), on the shared RabbitMQ, everything deleted afterwards:
 * - scan rate: a stream filled with BENCH_HISTORY_EVENTS events (default 200,000; the figure is
 *   1,000,000) over three routing keys, read from the start filtered by one pattern (a third match), by
 *   `scanHistory` (raw matches), by `readHistory` (decoded envelopes) and by raw amqplib with the same
 *   prefetch (1,000), acking every 500 and matching the routing key the same way;
 * - the cost of remembering: Bloodbank's publisher (window 1,000) to an exchange with one quorum queue
 *   bound `#`, without and then with the history stream bound too (BENCH_HISTORY_PUBLISH, default 20,000),
 *   alternating, BENCH_HISTORY_ROUNDS rounds each (default 3), medians.
 *
 *   npm run bench -- history
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import amqp from 'amqplib';
import { createConnection } from '../../runtime/amqp/connection.js';
import { readHistory, scanHistory, setupHistory, historyQueueName } from '../../runtime/amqp/history.js';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { encodeMessage } from '../../runtime/wire.js';
import { formatTimestamp, type Envelope } from '../../runtime/envelope.js';
import { compileTopicPatterns } from '../../runtime/delivery/topic.js';
import { benchRegistry, KEY, type BenchCatalog } from './order-event.js';

const URL = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const EVENTS = Number(process.env['BENCH_HISTORY_EVENTS'] ?? 200_000);
const PUBLISH = Number(process.env['BENCH_HISTORY_PUBLISH'] ?? 20_000);
const PREFETCH = 1_000;
const KEYS = ['bench.a.created', 'bench.b.created', 'bench.c.deleted'];
const PATTERN = 'bench.a.#';

export interface HistoryBenchRow {
  readonly what: string;
  readonly events: number;
  readonly matched: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly ratio: number | string;
}

async function fill(exchange: string): Promise<void> {
  const conn = await amqp.connect(URL, { noDelay: true });
  const ch = await conn.createConfirmChannel();
  const source = { host: hostname(), type: 'manual' as const, app: 'bench', meta: null };
  for (let sent = 0; sent < EVENTS;) {
    const batch = Math.min(5_000, EVENTS - sent);
    for (let i = 0; i < batch; i += 1, sent += 1) {
      const key = KEYS[sent % KEYS.length] ?? KEYS[0] ?? 'bench.a.created';
      const envelope: Envelope = {
        event_id: randomUUID(),
        event_type: key,
        timestamp: formatTimestamp(),
        version: '1.0.0',
        source,
        correlation_ids: [],
        agent_context: null,
        payload: { n: sent, note: 'x'.repeat(200) },
      };
      const m = encodeMessage(envelope);
      ch.publish(exchange, key, m.body, m.properties);
    }
    await ch.waitForConfirms();
  }
  await conn.close();
}

async function rawScan(queue: string): Promise<number> {
  const conn = await amqp.connect(URL, { noDelay: true });
  const ch = await conn.createChannel();
  await ch.prefetch(PREFETCH);
  const matches = compileTopicPatterns([PATTERN]);
  let seen = 0;
  let matched = 0;
  await new Promise<void>((resolve) => {
    void ch.consume(
      queue,
      (msg) => {
        if (!msg) return;
        seen += 1;
        if (matches(msg.fields.routingKey)) matched += 1;
        if (seen % (PREFETCH / 2) === 0 || seen >= EVENTS) ch.ack(msg, true);
        if (seen >= EVENTS) resolve();
      },
      { arguments: { 'x-stream-offset': 'first' } },
    );
  });
  await conn.close();
  return matched;
}

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await run();
  return { seconds: (performance.now() - t0) / 1000, value };
}

async function publishRate(withHistory: boolean): Promise<number> {
  const exchange = `bbbench.history-pub.${randomBytes(4).toString('hex')}`;
  const connection = await createConnection({ url: URL, name: 'bbbench-history-publish' });
  const ch = await connection.createChannel();
  const queue = `${exchange}.sink`;
  await ch.assertExchange(exchange, 'topic', { durable: true });
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(queue, exchange, '#');
  if (withHistory) await setupHistory(connection, exchange, { maxAge: '1D', maxBytes: 4 * 1024 ** 3 });
  const publisher = createPublisher<BenchCatalog>({ registry: benchRegistry(), connection, exchange });
  await publisher.ready();
  const payload = {
    order_id: 'order-1',
    customer: 'customer-0042',
    amount: 99.5,
    currency: 'EUR',
    items: [{ sku: 'sku-1', qty: 1 }],
    note: 'n'.repeat(560),
  };
  try {
    const { seconds } = await timed(async () => {
      for (let sent = 0; sent < PUBLISH; sent += 1_000) {
        const batch: Promise<unknown>[] = [];
        for (let i = 0; i < 1_000; i += 1) batch.push(publisher.publish(KEY, payload as never));
        await Promise.all(batch);
      }
    });
    return PUBLISH / seconds;
  } finally {
    await publisher.close();
    await ch.deleteQueue(queue).catch(() => {});
    await ch.deleteQueue(historyQueueName(exchange)).catch(() => {});
    await ch.deleteExchange(exchange).catch(() => {});
    await connection.close();
  }
}

export async function benchHistory(options: { log: (line: string) => void }): Promise<HistoryBenchRow[]> {
  const exchange = `bbbench.history.${randomBytes(4).toString('hex')}`;
  const connection = await createConnection({ url: URL, name: 'bbbench-history' });
  const rows: HistoryBenchRow[] = [];
  try {
    await setupHistory(connection, exchange, { maxAge: '1D', maxBytes: 8 * 1024 ** 3 });
    options.log(`filling ${historyQueueName(exchange)} with ${EVENTS.toLocaleString('en')} events…`);
    const filled = await timed(() => fill(exchange));
    options.log(`filled in ${filled.seconds.toFixed(1)} s`);
    const reader = { connection, exchange };

    const raw = await timed(() => rawScan(historyQueueName(exchange)));
    const ours = await timed(async () => {
      let n = 0;
      for await (const m of scanHistory(reader, { pattern: PATTERN, prefetch: PREFETCH })) if (m) n += 1;
      return n;
    });
    const decoded = await timed(async () => {
      let n = 0;
      for await (const e of readHistory(reader, { pattern: PATTERN, prefetch: PREFETCH })) if (e) n += 1;
      return n;
    });
    const rawRate = EVENTS / raw.seconds;
    const row = (what: string, r: { seconds: number; value: number }, ratio: number | string) => ({
      what,
      events: EVENTS,
      matched: r.value,
      seconds: Number(r.seconds.toFixed(2)),
      perSecond: Math.round(EVENTS / r.seconds),
      ratio,
    });
    rows.push(row('raw amqplib scan (prefetch 1,000)', raw, 1));
    rows.push(
      row('scanHistory (pattern, time, marker)', ours, Number((EVENTS / ours.seconds / rawRate).toFixed(2))),
    );
    rows.push(
      row(
        'readHistory (+ JSON.parse of matches)',
        decoded,
        Number((EVENTS / decoded.seconds / rawRate).toFixed(2)),
      ),
    );
  } finally {
    const ch = await connection.createChannel();
    await ch.deleteQueue(historyQueueName(exchange)).catch(() => {});
    await ch.deleteExchange(exchange).catch(() => {});
    await connection.close();
  }
  // Alternating rounds, median of each: the shared machine's load drifts within a run.
  const rounds = Number(process.env['BENCH_HISTORY_ROUNDS'] ?? 3);
  const withoutRuns: number[] = [];
  const withRuns: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    withoutRuns.push(await publishRate(false));
    withRuns.push(await publishRate(true));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const without = median(withoutRuns);
  const withStream = median(withRuns);
  options.log(
    `publish rounds (msg/s): without ${withoutRuns.map(Math.round).join(', ')}; with ${withRuns.map(Math.round).join(', ')}`,
  );
  rows.push({
    what: 'publish, quorum queue bound # (no history), median',
    events: PUBLISH,
    matched: PUBLISH,
    seconds: Number((PUBLISH / without).toFixed(2)),
    perSecond: Math.round(without),
    ratio: 1,
  });
  rows.push({
    what: 'publish, same + history stream bound, median',
    events: PUBLISH,
    matched: PUBLISH,
    seconds: Number((PUBLISH / withStream).toFixed(2)),
    perSecond: Math.round(withStream),
    ratio: Number((withStream / without).toFixed(2)),
  });
  return rows;
}
