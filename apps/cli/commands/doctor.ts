/**
 * `bb doctor`: one line per check — configuration, RabbitMQ, the exchange, Redis, the command queues
 * (depth, consumers, dead letters), the queues of services named with --service or found with a
 * dead-letter queue through the management API, and generated/ in step with asyncapi.yaml and schemas/.
 * `fail` makes the exit status 8; `warn` does not.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BloodbankConnection } from 'bloodbank/amqp/connection.js';
import { registryFromEnv, type BloodbankConfig } from 'bloodbank/config.js';
import { getConfig, getRegistry, openConnection, type GlobalOptions } from '../support/context.js';
import { EXIT } from '../support/errors.js';
import { out, printJson } from '../support/output.js';
import { queuesWithDeadLetters, resolveTarget, serviceOf } from './dlq.js';

export interface Check {
  readonly check: string;
  readonly status: 'ok' | 'warn' | 'fail' | 'skip';
  readonly detail: string;
}

const MARK: Record<Check['status'], string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

export async function doctor(
  globals: GlobalOptions,
  options: { service?: string[]; json?: boolean },
): Promise<number> {
  const checks: Check[] = [];
  const add = (check: Check) => {
    checks.push(check);
    if (!options.json) out(`${MARK[check.status]} ${check.check}: ${check.detail}`);
  };

  let config: BloodbankConfig | null = null;
  try {
    config = await getConfig();
    add({ check: 'configuration', status: 'ok', detail: `exchange ${config.exchangeName}` });
  } catch (error) {
    add({ check: 'configuration', status: 'fail', detail: (error as Error).message });
  }

  if (config) {
    const { redactUrl } = await import('bloodbank/amqp/connection.js');
    let connection: BloodbankConnection | null = null;
    const started = Date.now();
    try {
      connection = await openConnection(config, 'doctor');
      add({
        check: 'RabbitMQ',
        status: 'ok',
        detail: `${redactUrl(config.rabbitUrl)} reachable (${Date.now() - started} ms)`,
      });
    } catch (error) {
      add({ check: 'RabbitMQ', status: 'fail', detail: (error as Error).message });
    }
    if (connection) {
      try {
        await amqpChecks(connection, config, globals, options.service ?? [], add);
      } finally {
        await connection.close();
      }
    }
    add(await redisCheck(config.redisUrl, redactUrl(config.redisUrl)));
  }

  add(await generatedCheck(globals));

  if (options.json) printJson(checks);
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  if (!options.json)
    out(
      `\n${failed ? `${failed} failed` : 'all good'}${warned ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}`,
    );
  return failed ? EXIT.unhealthy : EXIT.ok;
}

async function amqpChecks(
  connection: BloodbankConnection,
  config: BloodbankConfig,
  globals: GlobalOptions,
  services: readonly string[],
  add: (check: Check) => void,
): Promise<void> {
  const exchange = config.exchangeName;
  const ch = await connection.createChannel();
  ch.on('error', () => {});
  try {
    await ch.checkExchange(exchange);
    add({ check: 'exchange', status: 'ok', detail: `${exchange} exists` });
  } catch {
    add({
      check: 'exchange',
      status: 'warn',
      detail: `${exchange} does not exist yet: the first publisher or consumer declares it (bb publish, bb serve)`,
    });
  } finally {
    await ch.close().catch(() => {});
  }

  let registry;
  try {
    registry = await getRegistry(globals);
  } catch (error) {
    add({ check: 'registry', status: 'fail', detail: (error as Error).message });
    return;
  }
  const { createDlqAdmin } = await import('bloodbank/amqp/dlq.js');
  const admin = createDlqAdmin({ connection, exchange });
  const targets = [
    ...registry
      .listCommands()
      .map((c) => ({ name: `command ${c.key}`, ...resolveTarget(c.key, exchange, registry) })),
    ...services.map((s) => ({ name: `service ${s}`, ...resolveTarget(s, exchange, registry) })),
  ];
  // Services the management API finds with a dead-letter queue are checked too.
  const found = await queuesWithDeadLetters(config);
  if ('error' in found)
    add({
      check: 'management API',
      status: 'skip',
      detail: `${found.error.message}; only the command queues and --service are checked (set BLOODBANK_MANAGEMENT_URL)`,
    });
  else {
    add({
      check: 'management API',
      status: 'ok',
      detail: `${found.queues.length} queue${found.queues.length === 1 ? '' : 's'} with a dead-letter queue on ${exchange}`,
    });
    const known = new Set(targets.map((t) => t.label));
    for (const queue of found.queues)
      if (!known.has(queue))
        targets.push({ name: `service ${serviceOf(queue, exchange)}`, target: { queue }, label: queue });
  }
  for (const t of targets) {
    const queues = await admin.list(t.target);
    const main = queues.find((q) => q.role === 'main');
    const dlq = queues.find((q) => q.role === 'dlq');
    if (!main) {
      add({
        check: t.name,
        status: 'warn',
        detail: `queue ${t.label} does not exist: ${t.name.startsWith('command') ? 'no command processor has run (bb serve commands)' : 'the service has not subscribed yet'}`,
      });
      continue;
    }
    const parts = [
      `${main.messageCount} waiting`,
      `${main.consumerCount} consumer${main.consumerCount === 1 ? '' : 's'}`,
    ];
    if (dlq) parts.push(`${dlq.messageCount} dead letter${dlq.messageCount === 1 ? '' : 's'}`);
    const warnings: string[] = [];
    if (main.consumerCount === 0) warnings.push('nothing consumes it');
    if (dlq && dlq.messageCount > 0)
      warnings.push(`inspect with bb dlq peek ${t.name.slice(t.name.indexOf(' ') + 1)}`);
    add({
      check: t.name,
      status: warnings.length ? 'warn' : 'ok',
      detail: `${t.label}: ${parts.join(', ')}${warnings.length ? ` — ${warnings.join('; ')}` : ''}`,
    });
  }
}

async function redisCheck(url: string, safeUrl: string): Promise<Check> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    ...(url.startsWith('rediss:') ? { tls: (await import('bloodbank/tls.js')).trustedCas() } : {}),
  });
  redis.on('error', () => {});
  const started = Date.now();
  try {
    await redis.connect();
    await redis.ping();
    const server = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(server)?.[1] ?? '?';
    return {
      check: 'Redis',
      status: 'ok',
      detail: `${safeUrl} reachable, version ${version} (${Date.now() - started} ms)`,
    };
  } catch (error) {
    return {
      check: 'Redis',
      status: 'fail',
      detail:
        (await import('bloodbank/tls.js')).describeTlsFailure(error, safeUrl) ??
        `cannot reach ${safeUrl} (${(error as Error).message}): correlation tracking and bb trace need it; set REDIS_URL`,
    };
  } finally {
    redis.disconnect();
  }
}

/** The repository root of this `bb` (where package.json names `bloodbank-catalogue`), or null. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'bloodbank-catalogue')
          return dir;
      } catch {
        return null;
      }
    }
    dir = dirname(dir);
  }
  return null;
}

async function generatedCheck(globals: GlobalOptions): Promise<Check> {
  const check = 'generated/';
  if (globals.registry || registryFromEnv())
    return { check, status: 'skip', detail: 'a registry module was given; run its own codegen --check' };
  const root = packageRoot();
  const cli = root ? join(root, 'codegen', 'dist', 'cli.js') : null;
  if (!root || !cli || !existsSync(join(root, 'asyncapi.yaml')) || !existsSync(cli))
    return { check, status: 'skip', detail: 'no asyncapi.yaml or built codegen beside this bb' };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, '--check', '--input', join(root, 'asyncapi.yaml'), '--out', join(root, 'generated')],
      { cwd: root, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (!error)
          resolve({
            check,
            status: 'ok',
            detail: `in step with asyncapi.yaml and schemas/ (${stdout.trim().replace(/^codegen --check: /, '')})`,
          });
        else
          resolve({
            check,
            status: 'fail',
            detail: `${(stderr || stdout || error.message).trim().replace(/\n\s*/g, ' ')} (run npm run codegen, then npm run build)`,
          });
      },
    );
  });
}
