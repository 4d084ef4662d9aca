/**
 * Gateway throughput (issue 5): autocannon, 50 connections, posting the committed
 * `fireflies.transcript.ready` example, against
 *   - baseline: a bare Fastify route doing a raw amqplib confirmed publish of the same body;
 *   - gateway: the Bloodbank gateway with an API key and rate limiting on (limit far above the load).
 * Both publish to one durable queue on a fresh exchange; the queue depth after each run proves every 2xx
 * was confirmed. The servers run in this process and autocannon in a child process, so this process's
 * CPU time over a run is the server's: printed per request.
 *
 *   npm run bench -- gateway   (BENCH_GATEWAY_SECONDS=10, BENCH_GATEWAY_CONNECTIONS=50, BENCH_GATEWAY_ROUNDS=3)
 *
 * The servers take turns, round after round; the table shows each one's median over the rounds (counts
 * summed), and the per-round figures are printed above it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import amqp from 'amqplib';
import Fastify, { type FastifyReply } from 'fastify';
import { createKeyStore } from '../../apps/gateway/auth.js';
import { createGateway } from '../../apps/gateway/gateway.js';
import { loadRegistry } from '../../apps/shared/registry.js';
import { addWireRoute, cannon } from './http-load.js';
import type { Registry } from '../../runtime/registry.js';

const KEY = 'fireflies.transcript.ready';
const API_KEY = `bench-${randomBytes(12).toString('hex')}`;

export interface GatewayBenchRow {
  readonly server: string;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerRequest: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  /**
   * Messages on the bound queue after each run (summed over the rounds in the table): at least ok2xx
   * (every 2xx was confirmed), and at most ok2xx + connections per run (requests in flight when
   * autocannon stopped are confirmed but not counted).
   */
  readonly queued: number;
}

export interface GatewayBenchResult {
  readonly rows: readonly GatewayBenchRow[];
  /** Gateway against the plain baseline (the definition). */
  readonly rpsRatio: number;
  readonly p99Ratio: number;
  /** Gateway against the baseline that also sets the wire format's properties and headers. */
  readonly wireRpsRatio: number;
  readonly targets: {
    readonly rps85: boolean;
    readonly p99x12: boolean;
    readonly cpuThirdOfOriginal: boolean;
    readonly everyOkConfirmed: boolean;
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? 0)
    : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export async function benchGateway(
  options: { log?: (line: string) => void } = {},
): Promise<GatewayBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  // Through apps/: only composition roots import generated/ (DESIGN.md §1).
  const registry = (await loadRegistry()) as unknown as Registry;
  const seconds = Number(process.env['BENCH_GATEWAY_SECONDS'] ?? 10);
  const connections = Number(process.env['BENCH_GATEWAY_CONNECTIONS'] ?? 50);
  const rabbitUrl = process.env['RABBIT_URL'] ?? 'amqp://localhost:5672';
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://localhost:6379/0';
  const exchange = `bbbench.gateway.${randomBytes(4).toString('hex')}`;
  const queue = `${exchange}.q`;
  const dir = await mkdtemp(join(tmpdir(), 'bb-bench-gateway-'));
  const bodyFile = join(dir, 'body.json');
  const body = JSON.stringify(registry.require(KEY).examples[0]);
  await writeFile(bodyFile, body);

  const admin = await amqp.connect(rabbitUrl);
  const adminChannel = await admin.createChannel();
  await adminChannel.assertExchange(exchange, 'topic', { durable: true });
  await adminChannel.assertQueue(queue, { durable: true });
  await adminChannel.bindQueue(queue, exchange, KEY);

  // Baseline: bare Fastify + raw amqplib confirmed publish of the request body.
  const baseConn = await amqp.connect(rabbitUrl, { noDelay: true }); // the runtime's socket options
  const baseChannel = await baseConn.createConfirmChannel();
  const bare = Fastify({ bodyLimit: 16 * 1024 * 1024 });
  bare.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, raw, done) => done(null, raw));
  const confirmedReply = (reply: FastifyReply) => (error: unknown) => {
    if (error) void reply.code(503).send({ error: 'nacked' });
    else void reply.code(202).send({ ok: true });
  };
  // The body as is, with only what amqplib needs.
  bare.post('/plain', (request, reply) => {
    baseChannel.publish(
      exchange,
      KEY,
      request.body as Buffer,
      { persistent: true, mandatory: true },
      confirmedReply(reply),
    );
    return reply;
  });
  // The body as is, with the properties and headers of Bloodbank's wire format (DESIGN.md §6).
  addWireRoute(bare, '/wire', { channel: baseChannel, exchange, key: KEY }, (reply) => {
    void reply.code(202).send({ ok: true });
  });
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

  const gateway = await createGateway({
    registry,
    rabbitUrl,
    redisUrl,
    exchange,
    name: 'bench-gateway',
    apiKeys: createKeyStore([[API_KEY, ['#']]]),
    rateLimit: { max: 100_000_000, timeWindowMs: 60_000 },
  });
  await gateway.waitForBroker(10_000);
  const gatewayUrl = await gateway.app.listen({ host: '127.0.0.1', port: 0 });

  const path = `/events/${KEY.split('.').join('/')}`;
  const runs: Array<{ server: string; url: string; headers: Record<string, string> }> = [
    {
      server: 'baseline: bare Fastify + amqplib confirm',
      url: `${bareUrl}/plain`,
      headers: { 'content-type': 'application/json' },
    },
    {
      server: 'baseline + wire-format properties/headers',
      url: `${bareUrl}/wire`,
      headers: { 'content-type': 'application/json' },
    },
    {
      server: 'gateway: validation, envelope, auth, rate limit',
      url: `${gatewayUrl}${path}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    },
  ];
  // Rounds interleave the servers (baseline, wire, gateway, baseline, …) so that a drift in the machine's
  // load hits all of them alike; each figure is the median over the rounds.
  const rounds = Math.max(1, Number(process.env['BENCH_GATEWAY_ROUNDS'] ?? 3));
  const samples = runs.map(() => [] as GatewayBenchRow[]);
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const [i, run] of runs.entries()) {
        log(
          `  round ${round}/${rounds} ${run.server}: warm-up 2 s, then ${seconds} s, ${connections} connections`,
        );
        await cannon({ url: run.url, bodyFile, headers: run.headers, seconds: 2, connections });
        await adminChannel.purgeQueue(queue);
        const cpu0 = process.cpuUsage();
        const result = await cannon({ url: run.url, bodyFile, headers: run.headers, seconds, connections });
        const cpu = process.cpuUsage(cpu0);
        const queued = (await adminChannel.checkQueue(queue)).messageCount;
        const total = result['2xx'] + result.non2xx;
        samples[i]?.push({
          server: run.server,
          requestsPerSecond: Math.round(result.requests.average),
          p99Ms: result.latency.p99,
          cpuMicrosPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, total)),
          ok2xx: result['2xx'],
          non2xx: result.non2xx,
          queued,
        });
        await adminChannel.purgeQueue(queue);
      }
    }
  } finally {
    await gateway.close();
    await bare.close();
    await baseConn.close().catch(() => undefined);
    await adminChannel.deleteQueue(queue).catch(() => undefined);
    await adminChannel.deleteExchange(exchange).catch(() => undefined);
    await admin.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  const rows: GatewayBenchRow[] = samples.map((list) => ({
    server: list[0]?.server ?? '',
    requestsPerSecond: median(list.map((r) => r.requestsPerSecond)),
    p99Ms: median(list.map((r) => r.p99Ms)),
    cpuMicrosPerRequest: median(list.map((r) => r.cpuMicrosPerRequest)),
    ok2xx: sum(list.map((r) => r.ok2xx)),
    non2xx: sum(list.map((r) => r.non2xx)),
    queued: sum(list.map((r) => r.queued)),
  }));
  if (rounds > 1)
    for (const list of samples)
      log(
        `  ${list[0]?.server ?? ''}: requests/s ${list.map((r) => r.requestsPerSecond).join(', ')}; ` +
          `p99 ms ${list.map((r) => r.p99Ms).join(', ')}; µs CPU/request ${list.map((r) => r.cpuMicrosPerRequest).join(', ')}`,
      );
  const [base, , ours] = rows as [GatewayBenchRow, GatewayBenchRow, GatewayBenchRow];
  const rpsRatio = Number((ours.requestsPerSecond / Math.max(1, base.requestsPerSecond)).toFixed(3));
  const p99Ratio = Number((ours.p99Ms / Math.max(0.001, base.p99Ms)).toFixed(3));
  const wire = rows[1] as GatewayBenchRow;
  const result: GatewayBenchResult = {
    rows,
    rpsRatio,
    p99Ratio,
    wireRpsRatio: Number((ours.requestsPerSecond / Math.max(1, wire.requestsPerSecond)).toFixed(3)),
    targets: {
      rps85: rpsRatio >= 0.85,
      p99x12: p99Ratio <= 1.2,
      cpuThirdOfOriginal: ours.cpuMicrosPerRequest <= 170 / 3,
      // Per run: every 2xx was on the queue, plus at most one in-flight request per connection.
      everyOkConfirmed: samples.every((list) =>
        list.every((r) => r.queued >= r.ok2xx && r.queued - r.ok2xx <= connections),
      ),
    },
  };
  log(
    `  gateway/baseline: ${rpsRatio} of the requests/s (target >= 0.85), p99 x${p99Ratio} (target <= 1.2), ` +
      `${ours.cpuMicrosPerRequest} µs CPU/request (target <= 57: a third of the original's 170)`,
  );
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchGateway();
  console.table(result.rows);
  console.log(result.targets);
}
