/**
 * The gateway beside the original's stack, tried as a new user would (issue 13): the original's envelope
 * POSTed to `/events/custom`, 50 connections, our auth and rate limit off. Three servers, one run:
 *   - baseline: bare Fastify + amqplib publishing the body with Bloodbank's exact wire format (properties
 *     and headers, DESIGN.md §6) and a confirm: the same job as ours with no validation;
 *   - ours: the Bloodbank gateway's `/events/custom` (parse, validate the envelope and payload, publish
 *     confirmed, mandatory);
 *   - original: FastAPI + uvicorn + aio-pika (scripts/bench/original/app.py, Debian's packages), the
 *     original's `/events/custom` (no validation, confirmed, not mandatory).
 * Every raw connection uses the runtime's socket options (`noDelay`).
 *
 * Part 1 (throughput): autocannon as fast as it goes; requests/s, p99 and CPU per request (ours and the
 * baseline: this process's CPU; the original: the uvicorn process's, from /proc). Part 2 (latency at a
 * fixed rate): 1,000 and 2,000 requests/s, p50/p90/p99 — a server can win on throughput and still have
 * the worse tail at the load it really sees. The fixed rate is open-loop (scripts/bench/open-loop.mjs:
 * evenly spaced arrivals, latency from when each request was due): `autocannon -R` sends each
 * connection's quota for the second in one burst, and the "bimodal tail" it showed for ours (p50 2 ms,
 * p90 16–65 ms) was that burst — the wire-format baseline, which validates nothing, had the same shape.
 * For the servers in this process the `loop` column gives the event loop's delay and the GC pauses
 * during the run, to tell a late confirm from a busy loop.
 *
 *   npm run bench -- gateway   (BENCH_PEERS_SECONDS=10, BENCH_PEERS_RATES=1000,2000)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import amqp from 'amqplib';
import Fastify from 'fastify';
import { createGateway } from '../../apps/gateway/gateway.js';
import { loadRegistry } from '../../apps/shared/registry.js';
import { createEnvelope } from '../../runtime/envelope.js';
import type { Registry } from '../../runtime/registry.js';
import { serializeEnvelope } from '../../runtime/wire.js';
import { addWireRoute, cannon, openLoop, type OpenLoopResult } from './http-load.js';

const JSON_BODY = { 'content-type': 'application/json' };

const KEY = 'fireflies.transcript.ready';
const PYTHON = '/usr/bin/python3';
const APP_DIR = fileURLToPath(new URL('./original/', import.meta.url));

export interface PeerRow {
  readonly server: string;
  readonly mode: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerRequest: number | null;
  readonly ok2xx: number;
  readonly non2xx: number;
  /**
   * Where a tail comes from, for the servers in this process (baseline, ours; null for the original):
   * the event loop's delay (p99 and max, ms) and the GC pauses during the measured run (count, total and
   * longest, ms). A request is late either because the loop was busy (GC, a long task) or because the
   * broker's confirm was.
   */
  readonly loop: string | null;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return ticks / 100; // USER_HZ is 100 on Linux
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const server = Fastify();
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  await server.close();
  return Number(new URL(url).port);
}

async function startOriginal(
  rabbitUrl: string,
  exchange: string,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    PYTHON,
    ['-m', 'uvicorn', 'app:app', '--app-dir', APP_DIR, '--host', '127.0.0.1', '--port', String(port)],
    {
      env: { ...process.env, RABBIT_URL: rabbitUrl, EXCHANGE_NAME: exchange },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the original's app did not start: ${stderr.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}/events/custom`, child };
}

export async function benchGatewayPeers(
  options: { log?: (line: string) => void } = {},
): Promise<{ rows: PeerRow[]; targets: Record<string, boolean | string> }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const missing = ['fastapi', 'uvicorn', 'aio_pika'].filter((m) => !existsSync(PYTHON) || !importable(m));
  if (missing.length > 0) {
    log(
      `  skipped: the original's stack needs Debian's python3-fastapi, python3-uvicorn, python3-aio-pika (missing: ${missing.join(', ')})`,
    );
    return { rows: [], targets: { skipped: `missing ${missing.join(', ')}` } };
  }
  const registry = (await loadRegistry()) as unknown as Registry;
  const seconds = Number(process.env['BENCH_PEERS_SECONDS'] ?? 10);
  const rates = (process.env['BENCH_PEERS_RATES'] ?? '1000,2000').split(',').map(Number);
  const rabbitUrl = process.env['RABBIT_URL'] ?? 'amqp://localhost:5672';
  const exchange = `bbbench.peers.${randomBytes(4).toString('hex')}`;
  const queue = `${exchange}.q`;
  const dir = await mkdtemp(join(tmpdir(), 'bb-bench-peers-'));
  const bodyFile = join(dir, 'envelope.json');
  const example = registry.require(KEY).examples[0];
  const envelope = createEnvelope(KEY, example, {
    source: { host: 'bench', type: 'manual', app: 'http-client' },
  });
  await writeFile(bodyFile, serializeEnvelope(envelope as never, true));

  const admin = await amqp.connect(rabbitUrl, { noDelay: true });
  const adminChannel = await admin.createChannel();
  await adminChannel.assertExchange(exchange, 'topic', { durable: true });
  await adminChannel.assertQueue(queue, { durable: true });
  await adminChannel.bindQueue(queue, exchange, KEY);

  // Baseline: the body with our wire format's properties and headers, confirmed.
  const baseConn = await amqp.connect(rabbitUrl, { noDelay: true });
  const baseChannel = await baseConn.createConfirmChannel();
  const bare = Fastify({ bodyLimit: 16 * 1024 * 1024 });
  bare.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, raw, done) => done(null, raw));
  addWireRoute(bare, '/events/custom', { channel: baseChannel, exchange, key: KEY }, (reply, id) => {
    void reply.code(200).send({ status: 'published', event_id: id });
  });
  const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/events/custom`;

  const gateway = await createGateway({
    registry,
    rabbitUrl,
    redisUrl: null,
    exchange,
    name: 'bench-peers',
    auth: 'off',
    rateLimit: false,
  });
  await gateway.waitForBroker(10_000);
  const oursUrl = `${await gateway.app.listen({ host: '127.0.0.1', port: 0 })}/events/custom`;
  const original = await startOriginal(rabbitUrl, exchange);

  const servers = [
    { server: 'baseline: Fastify + amqplib, wire format', url: bareUrl, pid: null as number | null },
    { server: 'ours: gateway /events/custom', url: oursUrl, pid: null as number | null },
    { server: 'original: FastAPI + aio-pika', url: original.url, pid: original.child.pid ?? null },
  ];
  const rows: PeerRow[] = [];
  try {
    for (const mode of [null, ...rates]) {
      for (const s of servers) {
        const label = mode === null ? 'max' : `${mode}/s`;
        log(`  ${s.server} at ${label}: warm-up 2 s, then ${seconds} s`);
        if (mode === null)
          await cannon({ url: s.url, bodyFile, headers: JSON_BODY, seconds: 2, connections: 50, rate: null });
        await adminChannel.purgeQueue(queue);
        const inProcess = s.pid === null;
        const gcs: number[] = [];
        const gcObserver = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) gcs.push(e.duration);
        });
        const delay = monitorEventLoopDelay({ resolution: 1 });
        if (inProcess) {
          gcObserver.observe({ entryTypes: ['gc'] });
          delay.enable();
        }
        const own0 = process.cpuUsage();
        const other0 = s.pid === null ? 0 : processCpuSeconds(s.pid);
        // As fast as it answers: autocannon. At a fixed rate: evenly spaced arrivals (open-loop.mjs says
        // why autocannon's -R is not a fixed rate); that child warms up for 2 s itself, so its CPU figure
        // covers warm-up and run, and is divided by the requests of both.
        const r =
          mode === null
            ? fromCannon(
                await cannon({
                  url: s.url,
                  bodyFile,
                  headers: JSON_BODY,
                  seconds,
                  connections: 50,
                  rate: null,
                }),
              )
            : fromOpenLoop(
                await openLoop({
                  url: s.url,
                  bodyFile,
                  rate: mode,
                  seconds,
                  connections: 50,
                  warmUpSeconds: 2,
                }),
                mode,
              );
        delay.disable();
        gcObserver.disconnect();
        const ownCpu = process.cpuUsage(own0);
        const cpuMicros =
          s.pid === null
            ? (ownCpu.user + ownCpu.system) / r.counted
            : ((processCpuSeconds(s.pid) - other0) * 1e6) / r.counted;
        rows.push({
          server: s.server,
          mode: label,
          requestsPerSecond: r.perSecond,
          p50Ms: r.p50,
          p90Ms: r.p90,
          p99Ms: r.p99,
          cpuMicrosPerRequest: Math.round(cpuMicros),
          ok2xx: r.ok2xx,
          non2xx: r.non2xx,
          loop: inProcess
            ? `loop delay p99 ${round1(delay.percentile(99) / 1e6)} max ${round1(delay.max / 1e6)} ms; ` +
              `GC ${gcs.length}× ${round1(gcs.reduce((a, b) => a + b, 0))} ms (longest ${round1(Math.max(0, ...gcs))})`
            : null,
        });
        await adminChannel.purgeQueue(queue);
      }
    }
  } finally {
    original.child.kill('SIGTERM');
    await gateway.close();
    await bare.close();
    await baseConn.close().catch(() => undefined);
    await adminChannel.deleteQueue(queue).catch(() => undefined);
    await adminChannel.deleteExchange(exchange).catch(() => undefined);
    await admin.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
  const at = (server: number, mode: string) =>
    rows.find((r) => r.server === servers[server]?.server && r.mode === mode);
  const base = at(0, 'max');
  const ours = at(1, 'max');
  const orig = at(2, 'max');
  const targets: Record<string, boolean | string> = {};
  if (base && ours && orig) {
    targets['rps >= 0.9 of the wire-format baseline'] =
      ours.requestsPerSecond >= 0.9 * base.requestsPerSecond;
    targets['p99 <= 1.2x the wire-format baseline'] = ours.p99Ms <= 1.2 * base.p99Ms;
    targets['rps >= 1.5x the original'] = ours.requestsPerSecond >= 1.5 * orig.requestsPerSecond;
    targets['CPU/request <= 2/3 of the original'] =
      (ours.cpuMicrosPerRequest ?? Infinity) <= ((orig.cpuMicrosPerRequest ?? 0) * 2) / 3;
  }
  for (const rate of rates) {
    const o = at(1, `${rate}/s`);
    const p = at(2, `${rate}/s`);
    if (o && p) targets[`p99 at ${rate}/s <= the original's`] = o.p99Ms <= p.p99Ms;
  }
  log(
    `  at full speed: ours ${ours?.requestsPerSecond ?? '?'} req/s, baseline ${base?.requestsPerSecond ?? '?'}, original ${orig?.requestsPerSecond ?? '?'}`,
  );
  return { rows, targets };
}

interface Measured {
  readonly perSecond: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  /** Requests the CPU figure is divided by (everything the server answered while it was counted). */
  readonly counted: number;
}

function fromCannon(r: Awaited<ReturnType<typeof cannon>>): Measured {
  return {
    perSecond: Math.round(r.requests.average),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    counted: Math.max(1, r['2xx'] + r.non2xx),
  };
}

function fromOpenLoop(r: OpenLoopResult, rate: number): Measured {
  return {
    perSecond: r.achievedPerSecond,
    p50: r.p50Ms,
    p90: r.p90Ms,
    p99: r.p99Ms,
    ok2xx: r.ok2xx,
    non2xx: r.non2xx + r.errors,
    // The child's 2 s warm-up at the same rate runs while the CPU is counted.
    counted: Math.max(1, r.requests + rate * 2),
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function importable(module: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchGatewayPeers();
  console.table(result.rows);
  console.log(result.targets);
}
