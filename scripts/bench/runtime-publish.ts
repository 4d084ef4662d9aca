/**
 * Publish throughput: raw amqplib (ConfirmChannel, window of 1,000, mandatory, the same 1 KB envelope,
 * properties and headers) against Bloodbank's publisher with validation, side by side on the same broker
 * and queue type (quorum and classic). Queues and exchange are deleted afterwards.
 *
 *   npx tsx --conditions=bloodbank-source scripts/bench/runtime-publish.ts
 *   RABBIT_URL=amqp://guest:guest@127.0.0.1:5672 BENCH_MESSAGES=20000 …
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import amqp from 'amqplib';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { CorrelationTracker } from '../../runtime/redis/correlation-tracker.js';
import { cloudEventsSource } from '../../runtime/wire.js';
import { formatTimestamp, type Source } from '../../runtime/envelope.js';
import { benchRegistry, KEY, type BenchCatalog, type BenchPayload } from './order-event.js';

const WINDOW = 1000;

export interface PublishBenchRow {
  readonly queueType: 'quorum' | 'classic';
  readonly messages: number;
  readonly bodyBytes: number;
  readonly rawPerSecond: number;
  readonly bloodbankPerSecond: number;
  readonly ratio: number;
  /** With correlation tracking on (each event linked to a parent in Redis). */
  readonly trackedPerSecond: number;
  readonly trackedRatio: number;
  /** Client CPU (user + system) per message, in microseconds: load-independent. */
  readonly rawCpuMicros: number;
  readonly bloodbankCpuMicros: number;
}

interface RunResult {
  readonly seconds: number;
  readonly cpuMicros: number;
  readonly bytes: number;
}

async function measured(run: () => Promise<number>): Promise<RunResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const bytes = await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuMicros: cpu.user + cpu.system, bytes };
}

function payload(i: number): BenchPayload {
  return {
    order_id: `order-${i}`,
    customer: 'customer-0042',
    amount: 99.5,
    currency: 'EUR',
    items: [
      { sku: 'sku-1', qty: 1 },
      { sku: 'sku-2', qty: 3 },
    ],
    note: 'n'.repeat(560),
  };
}

const source: Source = { host: hostname(), type: 'manual', app: 'bench', meta: null };

/** The raw baseline: what a careful amqplib user writes by hand. */
async function rawPublish(url: string, exchange: string, count: number): Promise<RunResult> {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createConfirmChannel();
  let bytes = 0;
  const result = await measured(async () => {
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let confirmed = 0;
      let outstanding = 0;
      let draining = false;
      const pump = () => {
        while (!draining && outstanding < WINDOW && sent < count) {
          const id = randomUUID();
          const timestamp = formatTimestamp();
          const body = Buffer.from(
            JSON.stringify({
              event_id: id,
              event_type: KEY,
              timestamp,
              version: '1.0.0',
              source,
              correlation_ids: [],
              agent_context: null,
              payload: payload(sent),
            }),
          );
          bytes = body.length;
          sent += 1;
          outstanding += 1;
          const ok = ch.publish(
            exchange,
            KEY,
            body,
            {
              persistent: true,
              mandatory: true,
              messageId: id,
              contentType: 'application/json',
              contentEncoding: 'utf-8',
              type: KEY,
              timestamp: Math.floor(Date.now() / 1000),
              appId: 'bench',
              headers: {
                cloudEvents_specversion: '1.0',
                cloudEvents_id: id,
                cloudEvents_type: KEY,
                cloudEvents_source: cloudEventsSource(source),
                cloudEvents_time: timestamp,
                'bb-correlation-id': id,
              },
            },
            (err: unknown) => {
              outstanding -= 1;
              if (err) return reject(err instanceof Error ? err : new Error(String(err)));
              confirmed += 1;
              if (confirmed === count) resolve();
              else pump();
            },
          );
          if (!ok) {
            draining = true;
            ch.once('drain', () => {
              draining = false;
              pump();
            });
          }
        }
      };
      pump();
    });
    return bytes;
  });
  await conn.close();
  return result;
}

async function bloodbankPublish(
  url: string,
  exchange: string,
  count: number,
  tracking?: { tracker: CorrelationTracker; parent: string },
): Promise<RunResult> {
  const publisher = createPublisher<BenchCatalog>({
    ...(tracking ? { tracker: tracking.tracker } : {}),
    registry: benchRegistry(),
    url,
    exchange,
    source,
    maxInFlight: WINDOW,
    buffer: { maxMessages: count + 1 },
    connectionName: 'bloodbank-bench-publisher',
  });
  await publisher.ready();
  let bytes = 0;
  // The producer keeps at most window publish() calls pending (the raw loop also creates a message only
  // when its window has room); firing all 20,000 at once works too, at some GC cost (~+3 µs/msg).
  const result = await measured(async () => {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      const feed = () => {
        while (next < count && next - done < WINDOW) {
          const { currency: _currency, ...input } = payload(next);
          next += 1;
          publisher
            .publish(KEY, input, tracking ? { correlationIds: [tracking.parent] } : {})
            .then((receipt) => {
              if (bytes === 0) bytes = Buffer.byteLength(JSON.stringify(receipt.envelope));
              done += 1;
              if (done === count) resolve();
              else feed();
            }, reject);
        }
      };
      feed();
    });
    return bytes;
  });
  await publisher.close();
  return result;
}

export async function benchPublish(
  options: { url?: string; messages?: number; log?: (line: string) => void } = {},
): Promise<PublishBenchRow[]> {
  const url = options.url ?? process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
  const messages = options.messages ?? Number(process.env['BENCH_MESSAGES'] ?? 20_000);
  const log = options.log ?? (() => undefined);
  const suffix = randomBytes(4).toString('hex');
  const exchange = `bbbench.publish.${suffix}`;
  const admin = await amqp.connect(url);
  const ch = await admin.createChannel();
  const rows: PublishBenchRow[] = [];
  const keyPrefix = `bbbench:correlation:${suffix}`;
  const tracker = new CorrelationTracker({
    url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0',
    keyPrefix,
  });
  await tracker.start();
  const tracking = { tracker, parent: randomUUID() };
  try {
    await ch.assertExchange(exchange, 'topic', { durable: true });
    for (const queueType of ['quorum', 'classic'] as const) {
      const queue = `bbbench.publish.${queueType}.${suffix}`;
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': queueType } });
      await ch.bindQueue(queue, exchange, KEY);
      // Warm-up (JIT, queue process), then two interleaved rounds of half the messages each (raw first,
      // then ours first) so that drift in the broker's load does not favour one side; purged in between.
      await rawPublish(url, exchange, 2000);
      await bloodbankPublish(url, exchange, 2000);
      await ch.purgeQueue(queue);
      const half = Math.ceil(messages / 2);
      const raw: RunResult[] = [];
      const ours: RunResult[] = [];
      const tracked: RunResult[] = [];
      for (const order of [
        ['raw', 'ours', 'tracked'],
        ['tracked', 'ours', 'raw'],
      ] as const) {
        for (const side of order) {
          if (side === 'raw') raw.push(await rawPublish(url, exchange, half));
          else if (side === 'ours') ours.push(await bloodbankPublish(url, exchange, half));
          else tracked.push(await bloodbankPublish(url, exchange, half, tracking));
          await ch.purgeQueue(queue);
        }
      }
      await ch.deleteQueue(queue);
      const sum = (runs: RunResult[], k: 'seconds' | 'cpuMicros') => runs.reduce((a, r) => a + r[k], 0);
      const total = half * 2;
      const row: PublishBenchRow = {
        queueType,
        messages: total,
        bodyBytes: raw[0]?.bytes ?? 0,
        rawPerSecond: Math.round(total / sum(raw, 'seconds')),
        bloodbankPerSecond: Math.round(total / sum(ours, 'seconds')),
        ratio: Number((sum(raw, 'seconds') / sum(ours, 'seconds')).toFixed(2)),
        trackedPerSecond: Math.round(total / sum(tracked, 'seconds')),
        trackedRatio: Number((sum(raw, 'seconds') / sum(tracked, 'seconds')).toFixed(2)),
        rawCpuMicros: Number((sum(raw, 'cpuMicros') / total).toFixed(1)),
        bloodbankCpuMicros: Number((sum(ours, 'cpuMicros') / total).toFixed(1)),
      };
      rows.push(row);
      log(
        `${queueType.padEnd(8)} ${String(messages).padStart(6)} × ${row.bodyBytes} B   raw ${String(row.rawPerSecond).padStart(6)} msg/s   bloodbank ${String(row.bloodbankPerSecond).padStart(6)} msg/s   ratio ${row.ratio.toFixed(2)}   tracked ${row.trackedPerSecond} msg/s ratio ${row.trackedRatio.toFixed(2)}   client CPU/msg raw ${row.rawCpuMicros} µs, bloodbank ${row.bloodbankCpuMicros} µs`,
      );
    }
  } finally {
    await tracker.close().catch(() => undefined);
    await deleteKeys(keyPrefix);
    await ch.deleteExchange(exchange).catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
  return rows;
}

/** Remove the benchmark's correlation keys. */
async function deleteKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log('publish (confirmed, mandatory, window 1,000; bloodbank validates every payload)');
  const rows = await benchPublish({ log: (line) => console.log(line) });
  const worst = Math.min(...rows.map((r) => r.ratio));
  console.log(`target ratio ≥ 0.90: ${worst >= 0.9 ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)})`);
  const worstTracked = Math.min(...rows.map((r) => r.trackedRatio));
  console.log(
    `target tracked ratio ≥ 0.70: ${worstTracked >= 0.7 ? 'met' : 'NOT met'} (worst ${worstTracked.toFixed(2)})`,
  );
}
