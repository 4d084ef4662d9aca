/**
 * Consume throughput and latency: raw amqplib (same prefetch, ack each) against Bloodbank's consumer
 * (JSON parse, consume validation, typed dispatch, ack) on quorum queues, plus publish→consume latency at
 * a steady 1,000 events/s. Exchange and queues are deleted afterwards.
 *
 *   npx tsx --conditions=bloodbank-source scripts/bench/runtime-consume.ts
 *   RABBIT_URL=… BENCH_MESSAGES=20000 BENCH_PREFETCH=100 BENCH_LATENCY_SECONDS=4 …
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import amqp from 'amqplib';
import type { ConfirmChannel } from 'amqplib';
import { createConnection } from '../../runtime/amqp/connection.js';
import { createSubscriber } from '../../runtime/amqp/consumer.js';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { queueNames } from '../../runtime/delivery/rules.js';
import { encodeMessage } from '../../runtime/wire.js';
import { createEnvelope } from '../../runtime/envelope.js';
import { benchRegistry, KEY, type BenchPayload } from './order-event.js';

const SENT_HEADER = 'x-bench-sent-at';

export interface ConsumeBenchResult {
  readonly messages: number;
  readonly prefetch: number;
  readonly bodyBytes: number;
  readonly rawPerSecond: number;
  readonly bloodbankPerSecond: number;
  readonly ratio: number;
  readonly latency: ReadonlyArray<{
    readonly path: 'raw → raw' | 'raw → bloodbank' | 'bloodbank → bloodbank';
    readonly samples: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
  }>;
  /** p99 of bloodbank → bloodbank over raw → raw. */
  readonly p99Ratio: number;
}

function payload(i: number): BenchPayload {
  return {
    order_id: `order-${i}`,
    customer: 'customer@example.com',
    amount: 42.5,
    currency: 'EUR',
    items: Array.from({ length: 8 }, (_, k) => ({ sku: `sku-${k}-${i}`, qty: k + 1 })),
    note: 'x'.repeat(430),
  };
}

/** A 1 KB envelope with the wire format's properties and headers. */
function message(i: number) {
  return encodeMessage(
    createEnvelope(KEY, payload(i), {
      source: { host: 'bench', type: 'manual', app: 'bench' },
      eventId: randomUUID(),
    }),
  );
}

async function preload(ch: ConfirmChannel, queue: string, n: number): Promise<number> {
  let bytes = 0;
  for (let sent = 0; sent < n;) {
    const batch = Math.min(1000, n - sent);
    for (let i = 0; i < batch; i += 1) {
      const m = message(sent + i);
      bytes = m.body.length;
      ch.sendToQueue(queue, m.body, m.properties);
    }
    await ch.waitForConfirms();
    sent += batch;
  }
  return bytes;
}

const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function benchConsume(): Promise<ConsumeBenchResult> {
  const url = process.env['RABBIT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
  const messages = Number(process.env['BENCH_MESSAGES'] ?? 20_000);
  const prefetch = Number(process.env['BENCH_PREFETCH'] ?? 100);
  const latencySeconds = Number(process.env['BENCH_LATENCY_SECONDS'] ?? 4);
  const suffix = randomBytes(4).toString('hex');
  const exchange = `bbbench.consume.${suffix}`;
  const registry = benchRegistry();
  const rawConn = await amqp.connect(url, { noDelay: true }); // the runtime's socket options (connection.ts)
  const admin = await rawConn.createConfirmChannel();
  const connection = await createConnection({ url, name: `bbbench-consume-${suffix}` });
  const subscriber = await createSubscriber({ registry, connection, exchange });
  const publisher = createPublisher({ registry, connection, exchange });
  const rawQueue = `${exchange}.raw`;
  const ours = queueNames(exchange, 'bench');
  const latencyQueues: string[] = [];
  try {
    await admin.assertExchange(exchange, 'topic', { durable: true });
    await admin.assertQueue(rawQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });

    // Raw amqplib: same prefetch, ack each message.
    const bodyBytes = await preload(admin, rawQueue, messages);
    const rawCh = await rawConn.createChannel();
    await rawCh.prefetch(prefetch);
    let rawCount = 0;
    const rawStart = performance.now();
    await new Promise<void>((resolve) => {
      void rawCh.consume(rawQueue, (m) => {
        if (!m) return;
        rawCh.ack(m);
        if (++rawCount === messages) resolve();
      });
    });
    const rawPerSecond = messages / ((performance.now() - rawStart) / 1000);
    await rawCh.close();

    // Bloodbank: declare the topology once, preload, then time a fresh subscription.
    await (await subscriber.subscribe(KEY, () => {}, { service: 'bench' })).close();
    await preload(admin, ours.main, messages);
    let ourCount = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const ourStart = performance.now();
    const sub = await subscriber.subscribe(
      KEY,
      (e) => {
        if (e.payload.amount < 0) throw new Error('unreachable');
        if (++ourCount === messages) done();
      },
      { service: 'bench', prefetch },
    );
    await finished;
    const bloodbankPerSecond = messages / ((performance.now() - ourStart) / 1000);
    await sub.close();

    // Latency at 1,000 events/s.
    // Latency at 1,000 events/s: the paths take turns (rounds) so a busy machine skews them alike.
    const latency: Array<ConsumeBenchResult['latency'][number]> = [];
    const paths = ['raw → raw', 'raw → bloodbank', 'bloodbank → bloodbank'] as const;
    const bySamples = new Map<string, number[]>(paths.map((p) => [p, []]));
    const rounds = Number(process.env['BENCH_LATENCY_ROUNDS'] ?? 3);
    for (let round = 0; round < rounds; round += 1)
      for (const path of paths) {
        const samples = bySamples.get(path) as number[];
        const before = samples.length;
        const record = (headers: Readonly<Record<string, unknown>> | undefined) => {
          const sent = headers?.[SENT_HEADER];
          if (typeof sent === 'number') samples.push(now() - sent);
        };
        let close: () => Promise<void>;
        const service = `lat-${path.replace(/\W+/g, '')}-${round}`;
        if (path === 'raw → raw') {
          const q = `${exchange}.lat.raw.${round}`;
          latencyQueues.push(q);
          await admin.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
          await admin.bindQueue(q, exchange, KEY);
          const ch = await rawConn.createChannel();
          await ch.prefetch(prefetch);
          await ch.consume(q, (m) => {
            if (!m) return;
            record(m.properties.headers);
            ch.ack(m);
          });
          close = async () => {
            await ch.close();
            await admin.unbindQueue(q, exchange, KEY);
          };
        } else {
          latencyQueues.push(...[queueNames(exchange, service).main, queueNames(exchange, service).dlq]);
          const s = await subscriber.subscribe(KEY, (_e, c) => record(c.headers), { service, prefetch });
          close = async () => {
            await s.close();
            await admin.unbindQueue(queueNames(exchange, service).main, exchange, KEY);
          };
        }
        const total = Math.round((latencySeconds * 1000) / rounds);
        let sent = 0;
        const start = performance.now();
        await new Promise<void>((resolve) => {
          const tick = () => {
            const due = Math.min(total, Math.floor(performance.now() - start));
            for (; sent < due; sent += 1) {
              if (path === 'bloodbank → bloodbank') {
                void publisher.publish(KEY, payload(sent), { headers: { [SENT_HEADER]: now() } });
              } else {
                const m = message(sent);
                admin.publish(exchange, KEY, m.body, {
                  ...m.properties,
                  mandatory: true,
                  headers: { ...m.properties.headers, [SENT_HEADER]: now() },
                });
              }
            }
            if (sent >= total) resolve();
            else setTimeout(tick, 1);
          };
          tick();
        });
        const end = Date.now() + 10_000;
        while (samples.length - before < total && Date.now() < end)
          await new Promise((r) => setTimeout(r, 20));
        await close();
      }
    for (const path of paths) {
      const samples = (bySamples.get(path) as number[]).sort((a, b) => a - b);
      latency.push({
        path,
        samples: samples.length,
        p50Ms: percentile(samples, 50),
        p99Ms: percentile(samples, 99),
      });
    }
    const p99 = (p: string) => latency.find((l) => l.path === p)?.p99Ms ?? NaN;
    return {
      messages,
      prefetch,
      bodyBytes,
      rawPerSecond,
      bloodbankPerSecond,
      ratio: bloodbankPerSecond / rawPerSecond,
      latency,
      p99Ratio: p99('bloodbank → bloodbank') / p99('raw → raw'),
    };
  } finally {
    await subscriber.close();
    await publisher.close();
    const retryQueues = [1_000, 5_000, 30_000, 120_000].map((d) => ours.retry(d));
    for (const q of [rawQueue, ours.main, ours.dlq, ...retryQueues, ...latencyQueues])
      await admin.deleteQueue(q).catch(() => {});
    for (const d of [1_000, 5_000, 30_000, 120_000])
      for (const q of latencyQueues) await admin.deleteQueue(`${q}.retry.${d}`).catch(() => {});
    await admin.deleteExchange(exchange).catch(() => {});
    await connection.close();
    await rawConn.close();
  }
}

export function formatConsumeBench(r: ConsumeBenchResult): string {
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = [
    `consume, quorum queue, ${f(r.messages)} pre-loaded ${r.bodyBytes} B envelopes, prefetch ${r.prefetch}, ack each`,
    `  raw amqplib            ${f(r.rawPerSecond)} msg/s`,
    `  bloodbank (validated)  ${f(r.bloodbankPerSecond)} msg/s   ratio ${r.ratio.toFixed(2)} (target ≥ 0.80)`,
    `publish→consume latency at 1,000 events/s`,
    ...r.latency.map(
      (l) =>
        `  ${l.path.padEnd(22)} p50 ${l.p50Ms.toFixed(2)} ms  p99 ${l.p99Ms.toFixed(2)} ms  (${f(l.samples)} samples)`,
    ),
    `  p99 ratio bloodbank/raw ${r.p99Ratio.toFixed(2)} (target ≤ 1.50)`,
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchConsume().then(
    (r) => console.log(formatConsumeBench(r)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
