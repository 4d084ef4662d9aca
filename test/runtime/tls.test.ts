/**
 * TLS proven against real listeners (issue 18): a private RabbitMQ node with a TLS listener and a private
 * redis-server with `--tls-port`, certificates made here with openssl (a CA and a server certificate for
 * localhost). The runtime, the gateway and `bb` connect over amqps:// and rediss:// with verification on,
 * trusting the private CA through BLOODBANK_TLS_CA; without it, connecting fails naming the host. The
 * Redis user is an ACL user restricted to Bloodbank's key prefixes (the README's line).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGateway } from '../../apps/gateway/gateway.js';
import { createConnection } from '../../runtime/amqp/connection.js';
import { createSubscriber } from '../../runtime/amqp/consumer.js';
import { createPublisher } from '../../runtime/amqp/publisher.js';
import { CorrelationTracker } from '../../runtime/redis/correlation-tracker.js';
import { trustedCas } from '../../runtime/tls.js';
import { appRegistry, example } from '../apps/gateway/helpers.js';
import { ensureBuild } from '../support/build.js';
import {
  createAdmin,
  freePort,
  startPrivateRabbit,
  uniqueName,
  type Admin,
  type PrivateRabbit,
} from '../support/private-rabbit.js';
import { createTestRegistry, type TestCatalog } from '../support/test-registry.js';

const REDIS_PASSWORD = 'tls-test-password';
/** The README's ACL line: Bloodbank's key prefixes, data and scripting commands, nothing dangerous. */
const ACL = `bloodbank on >${REDIS_PASSWORD} ~bloodbank:* resetchannels -@all +@read +@write +@scripting +@connection -@dangerous +info`;

const dir = mkdtempSync(join(tmpdir(), 'bbtest-tls-'));
const file = (name: string) => join(dir, name);
const registry = createTestRegistry();
const source = { host: 'tls-test', type: 'manual' as const, app: 'tls-test' };

let rabbit: PrivateRabbit;
let admin: Admin;
let redis: ChildProcess;
let amqpsPort: number;
let redisPort: number;
const amqpsUrl = () => `amqps://guest:guest@localhost:${amqpsPort}`;
const redissUrl = () => `rediss://bloodbank:${REDIS_PASSWORD}@localhost:${redisPort}/0`;

function makeCertificates(): void {
  const openssl = (line: string) => execFileSync('openssl', line.split(' '), { cwd: dir, stdio: 'pipe' });
  openssl('req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=bloodbank-test-ca');
  openssl('req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost');
  writeFileSync(
    file('ext.cnf'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    'x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf',
  );
}

async function waitForRedis(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const client = new Redis({
      host: 'localhost',
      port,
      username: 'bloodbank',
      password: REDIS_PASSWORD,
      tls: trustedCas(file('ca.pem')),
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`private redis-server with TLS on ${port} did not answer`);
}

beforeAll(async () => {
  makeCertificates();
  amqpsPort = await freePort();
  rabbit = await startPrivateRabbit({
    config: [
      `listeners.ssl.1 = 127.0.0.1:${amqpsPort}`,
      `ssl_options.cacertfile = ${file('ca.pem')}`,
      `ssl_options.certfile = ${file('server.pem')}`,
      `ssl_options.keyfile = ${file('server.key')}`,
      'ssl_options.verify = verify_none',
      'ssl_options.fail_if_no_peer_cert = false',
    ].join('\n'),
  });
  admin = await createAdmin(rabbit.url);
  redisPort = await freePort();
  redis = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--tls-port',
      String(redisPort),
      '--tls-cert-file',
      file('server.pem'),
      '--tls-key-file',
      file('server.key'),
      '--tls-ca-cert-file',
      file('ca.pem'),
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--user',
      ...ACL.split(' '),
    ],
    { stdio: 'ignore' },
  );
  await waitForRedis(redisPort);
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  redis?.kill('SIGKILL');
  await admin?.cleanup().catch(() => undefined);
  await admin?.close();
  await rabbit?.dispose();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('an untrusted certificate (no BLOODBANK_TLS_CA)', () => {
  it('AMQP: connecting fails with an error naming the host and the setting', async () => {
    const connection = await createConnection({
      url: amqpsUrl(),
      name: 'tls-untrusted',
      initialMaxRetries: 0,
    });
    try {
      await expect(connection.waitForConnect()).rejects.toThrow(
        new RegExp(`TLS: the certificate of localhost:${amqpsPort} cannot be verified .*BLOODBANK_TLS_CA`),
      );
    } finally {
      await connection.close();
    }
  });

  it('Redis: the outage warning names the host and the setting', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const tracker = new CorrelationTracker({ url: redissUrl(), ttlDays: 1, logger, connectTimeoutMs: 2_000 });
    await tracker.start();
    expect(tracker.degraded).toBe(true);
    expect(lines.join('\n')).toMatch(
      new RegExp(`TLS: the certificate of localhost:${redisPort} cannot be verified .*BLOODBANK_TLS_CA`),
    );
    await tracker.close();
  });

  it('bb: exits 5 naming the host', async () => {
    ensureBuild();
    const result = await bb(['publish', 'llm.prompt', '--mock'], { BLOODBANK_TLS_CA: '' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(
      new RegExp(`TLS: the certificate of localhost:${amqpsPort} cannot be verified`),
    );
  });
});

describe('trusting the private CA with BLOODBANK_TLS_CA', () => {
  beforeAll(() => {
    vi.stubEnv('BLOODBANK_TLS_CA', file('ca.pem'));
  });

  it('the runtime publishes and consumes over amqps://, and tracks correlation over rediss:// as an ACL user', async () => {
    const exchange = uniqueName('tls');
    const publisher = createPublisher<TestCatalog>({ registry, url: amqpsUrl(), exchange, source });
    const connection = await createConnection({ url: amqpsUrl(), name: 'tls-subscriber' });
    const subscriber = await createSubscriber<TestCatalog>({ registry, connection, exchange });
    const got: string[] = [];
    await subscriber.subscribe('test.ping', (e) => void got.push(e.event_id), { service: 'tls' });
    const receipt = await publisher.publish('test.ping', { n: 1 });
    await vi.waitFor(() => expect(got).toEqual([receipt.eventId]), { timeout: 10_000 });
    await subscriber.close();
    await publisher.close();
    await connection.close();

    const tracker = new CorrelationTracker({
      url: redissUrl(),
      ttlDays: 1,
      keyPrefix: 'bloodbank:correlation:tls',
    });
    await tracker.start();
    expect(tracker.degraded).toBe(false);
    const parent = '0b7e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b';
    const child = '1c8f5d2b-3a4e-4f6a-9bac-1d2e3f4a5b6c';
    expect(await tracker.addCorrelation(child, [parent], undefined, parent)).toBe(true);
    expect(await tracker.getWorkflowId(child)).toBe(parent);
    await tracker.close();
  });

  it('the ACL user is confined to the bloodbank: prefixes', async () => {
    const client = new Redis(redissUrl(), { tls: trustedCas(), maxRetriesPerRequest: 0 });
    try {
      await client.set('bloodbank:probe', '1');
      await expect(client.set('other:key', '1')).rejects.toThrow(/NOPERM/);
      await expect(client.flushall()).rejects.toThrow(/NOPERM/);
    } finally {
      client.disconnect();
    }
  });

  it('the gateway publishes over amqps:// and tracks over rediss://', async () => {
    const exchange = uniqueName('tlsgw');
    await admin.declare(exchange, `${exchange}.q`, '#');
    const gateway = await createGateway({
      registry: appRegistry,
      rabbitUrl: amqpsUrl(),
      exchange,
      redisUrl: redissUrl(),
      correlationKeyPrefix: 'bloodbank:correlation:tlsgw',
      rateLimit: false,
    });
    try {
      expect(await gateway.waitForBroker(10_000)).toBe(true);
      const res = await gateway.app.inject({
        method: 'POST',
        url: '/events/llm/prompt',
        payload: example('llm.prompt'),
      });
      expect(res.statusCode).toBe(202);
      expect(await admin.drain(`${exchange}.q`, 1)).toHaveLength(1);
      const ready = await gateway.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.json()).toMatchObject({ ok: true, rabbitmq: { status: 'up' }, redis: { status: 'up' } });
    } finally {
      await gateway.close();
    }
  });

  it('bb publishes over amqps://', async () => {
    const exchange = uniqueName('tlsbb');
    await admin.declare(exchange, `${exchange}.q`, '#');
    const result = await bb(['publish', 'llm.prompt', '--mock'], {
      BLOODBANK_TLS_CA: file('ca.pem'),
      EXCHANGE_NAME: exchange,
    });
    expect(result.stderr).toMatch(/published llm\.prompt/);
    expect(result.code).toBe(0);
    expect(await admin.drain(`${exchange}.q`, 1)).toHaveLength(1);
  });
});

function bb(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['apps/dist/apps/cli/main.js', ...args],
      {
        env: {
          ...process.env,
          RABBIT_URL: amqpsUrl(),
          REDIS_URL: redissUrl(),
          BLOODBANK_LOG_LEVEL: 'silent',
          ...env,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
