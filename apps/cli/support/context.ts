/**
 * What the commands share: the registry (`--registry` / `BLOODBANK_REGISTRY`), the configuration, and
 * connections that fail fast with a clear message instead of retrying forever as a service would.
 * Every import of the runtime here is dynamic, so `bb --help` loads none of it.
 */
import { hostname } from 'node:os';
import type { BloodbankConnection } from 'bloodbank/amqp/connection.js';
import type { Publisher } from 'bloodbank/amqp/publisher.js';
import type { BloodbankConfig } from 'bloodbank/config.js';
import type { SourceInput } from 'bloodbank/envelope.js';
import type { CorrelationTracker } from 'bloodbank/redis/correlation-tracker.js';
import type { AppRegistry } from '../../shared/registry.js';
import { CliError, EXIT, toCliError } from './errors.js';

export interface GlobalOptions {
  readonly registry?: string;
}

export const CLI_APP = 'bloodbank-cli';

export function cliSource(app = CLI_APP): SourceInput {
  return { host: hostname(), type: 'manual', app };
}

let registryPromise: Promise<AppRegistry> | undefined;

export function getRegistry(options: GlobalOptions): Promise<AppRegistry> {
  registryPromise ??= import('../../shared/registry.js')
    .then((m) => m.loadRegistry(options.registry))
    .catch((error: unknown) => {
      throw new CliError((error as Error).message, EXIT.usage, { cause: error });
    });
  return registryPromise;
}

export async function getConfig(): Promise<BloodbankConfig> {
  const { loadConfig } = await import('bloodbank/config.js');
  try {
    return loadConfig();
  } catch (error) {
    throw toCliError(error);
  }
}

/** One AMQP connection that gives up after a few quick attempts (about half a second). */
export async function openConnection(config: BloodbankConfig, name: string): Promise<BloodbankConnection> {
  const { createConnection, redactUrl } = await import('bloodbank/amqp/connection.js');
  const url = redactUrl(config.rabbitUrl);
  let connection: BloodbankConnection;
  try {
    connection = await createConnection({
      url: config.rabbitUrl,
      name: `bb-${name}@${hostname()}#${process.pid}`,
      initialMaxRetries: 2,
      maxRetries: 5,
      initialDelayMs: 100,
      maxDelayMs: 1_000,
    });
    await connection.waitForConnect();
  } catch (error) {
    const cause = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : '';
    const { describeTlsFailure } = await import('bloodbank/tls.js');
    const tls = describeTlsFailure(error, url);
    if (tls)
      throw new CliError(`cannot reach RabbitMQ at ${url}: ${tls}`, EXIT.unavailable, { cause: error });
    throw new CliError(
      `cannot reach RabbitMQ at ${url}${cause ? ` (${cause})` : ''}: is it running? Set RABBIT_URL to point elsewhere`,
      EXIT.unavailable,
      { cause: error },
    );
  }
  return connection;
}

/** The correlation tracker; with `required`, Redis being away is an error instead of a silent no-op. */
export async function openTracker(config: BloodbankConfig, required: boolean): Promise<CorrelationTracker> {
  const { CorrelationTracker } = await import('bloodbank/redis/correlation-tracker.js');
  const { redisTarget } = await import('bloodbank/redis/link.js');
  const tracker = new CorrelationTracker({
    ...redisTarget(config),
    ttlDays: config.correlationTtlDays,
    connectTimeoutMs: 1_000,
  });
  await tracker.start();
  if (required && tracker.degraded) {
    await tracker.close();
    const { redactUrl } = await import('bloodbank/amqp/connection.js');
    throw new CliError(
      `cannot reach Redis at ${redactUrl(config.redisUrl)}: is it running? Set REDIS_URL to point elsewhere`,
      EXIT.unavailable,
    );
  }
  return tracker;
}

export interface Bus {
  readonly registry: AppRegistry;
  readonly config: BloodbankConfig;
  readonly connection: BloodbankConnection;
  readonly publisher: Publisher;
  readonly tracker: CorrelationTracker;
  close(): Promise<void>;
}

/** A confirmed publisher with correlation tracking (tracking degrades silently when Redis is away). */
export async function openBus(
  options: GlobalOptions,
  name: string,
  overrides: { readonly mandatory?: boolean; readonly source?: SourceInput } = {},
): Promise<Bus> {
  const [registry, config] = await Promise.all([getRegistry(options), getConfig()]);
  const connection = await openConnection(config, name);
  const tracker = await openTracker(config, false);
  const { createPublisher } = await import('bloodbank/amqp/publisher.js');
  const publisher = createPublisher({
    registry,
    connection,
    exchange: config.exchangeName,
    source: overrides.source ?? cliSource(),
    tracker,
    confirmTimeoutMs: 10_000,
    ...(overrides.mandatory === undefined ? {} : { mandatory: overrides.mandatory }),
  }) as unknown as Publisher;
  return {
    registry,
    config,
    connection,
    publisher,
    tracker,
    async close() {
      await publisher.close().catch(() => {});
      await Promise.allSettled([connection.close(), tracker.close()]);
    },
  };
}
