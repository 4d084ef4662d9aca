/**
 * The command processor service (`bb serve commands`): runs the command handlers of apps/handlers on
 * RabbitMQ with the outcome rules of runtime/commands.
 *
 * - One quorum queue per command it has a handler for (`${EXCHANGE_NAME}.commands.<key>`), bound to that
 *   key only; declared commands without a handler are listed at start-up and never consumed here.
 * - `concurrency` commands run at once per key (default 1), prefetch alike, so several processors share
 *   the load; a command waits durably in its queue while every processor is down.
 * - Idempotent by command event_id: a redelivered command whose run completed is acked without running;
 *   one interrupted by a crash runs again once its lease (`leaseMs`, default 60 s) expired.
 * - `/healthz` and `/metrics` on `port` when given.
 * - Graceful shutdown: on `signal` abort (or SIGINT/SIGTERM when no signal is given) the queues stop
 *   delivering, running commands finish and are acked, then the connections close.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { BloodbankCatalog } from '../../generated/index.js';
import {
  IdempotencyStore,
  connectBloodbank,
  createCommandManager,
  createConnection,
  createLogger,
  createMetrics,
  createReplySender,
  createSubscriber,
  loadConfig,
  redisTarget,
  storedReplies,
  subscribeCommands,
  type AmqpSubscription,
  type BloodbankConfig,
  type Logger,
  type RetryOptions,
  type SourceInput,
} from 'bloodbank';
import { registerHandlers } from '../handlers/index.js';
import { createProviders, type ProviderSet } from '../handlers/providers/index.js';
import { loadRegistry } from '../shared/registry.js';

export interface ServeCommandsOptions {
  /** Declare the history stream at start, as `bb setup` (`bb serve commands` does; default false). */
  readonly history?: boolean;
  /** Module exporting the registry (default: `BLOODBANK_REGISTRY`, else this repository's generated one). */
  readonly registryModule?: string;
  /** Commands run at once per command key (default 1). */
  readonly concurrency?: number;
  /** Serve `/healthz` and `/metrics` on this port (0: any free port); no HTTP server when absent. */
  readonly port?: number;
  /** Address of the HTTP server (default `HTTP_HOST`). */
  readonly host?: string;
  /** Providers replacing or added to echo, anthropic and openai (configured from the environment). */
  readonly providers?: ProviderSet;
  /** Provider used when a command names `default` (default `echo`). */
  readonly defaultProvider?: string;
  /** Shut down when aborted. Without it, SIGINT and SIGTERM shut the processor down. */
  readonly signal?: AbortSignal;
  /** Overrides of the environment's configuration. */
  readonly config?: Partial<BloodbankConfig>;
  readonly logger?: Logger;
  /** Retry policy of the command queues (default: 5 attempts; 1 s, 5 s, 30 s, 120 s). */
  readonly retry?: RetryOptions;
  /** How long a running command is protected from a duplicate run (default 60,000 ms). */
  readonly leaseMs?: number;
  /** Connection names and `source.app` (default `bloodbank-command-processor`). */
  readonly name?: string;
}

export interface CommandProcessor {
  /** Command keys consumed here. */
  readonly handled: readonly string[];
  /** Declared commands without a handler here (not consumed). */
  readonly unhandled: readonly string[];
  /** Port of `/healthz` and `/metrics`, or null. */
  readonly port: number | null;
  /** Resolves once the processor is closed (by `close()`, the signal, or SIGINT/SIGTERM). */
  readonly closed: Promise<void>;
  /** Stop consuming, finish running commands, close everything. Idempotent. */
  close(): Promise<void>;
}

export async function serveCommands(options: ServeCommandsOptions = {}): Promise<CommandProcessor> {
  const config: BloodbankConfig = { ...loadConfig(), ...options.config };
  const name = options.name ?? 'bloodbank-command-processor';
  const logger = options.logger ?? createLogger({ name });
  const metrics = createMetrics();
  const registry = await loadRegistry(options.registryModule);
  const source: SourceInput = { host: hostname(), type: 'agent', app: name };

  const bb = await connectBloodbank({ registry, name, config, logger, metrics, source, consume: false });
  const cleanups: Array<() => Promise<unknown>> = [() => bb.close()];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    if (options.history && config.history === 'on')
      await bb.setup().catch((error: unknown) => {
        logger.error({ err: error }, 'cannot set the history stream up; events are not being stored');
      });
    const idempotency = new IdempotencyStore({
      ...redisTarget(config),
      logger,
      metrics,
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    });
    await idempotency.start();
    cleanups.push(() => idempotency.close());
    const replies = createReplySender(await bb.publisher.connection, logger);
    cleanups.push(() => replies.close());
    const maxAttempts = options.retry?.maxAttempts;
    const manager = createCommandManager<BloodbankCatalog>({
      registry,
      publisher: bb.publisher,
      source,
      logger,
      metrics,
      reply: replies,
      replyStore: storedReplies(idempotency),
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    });
    if (registry.get('agent.thread.prompt')?.kind === 'command')
      registerHandlers(manager, {
        providers: createProviders(config, options.providers),
        ...(options.defaultProvider !== undefined ? { defaultProvider: options.defaultProvider } : {}),
      });
    const unhandled = manager.unhandled();
    for (const command of unhandled)
      logger.warn(
        { command },
        `declared command ${command} has no handler here: not consumed by this processor`,
      );

    const consumeConnection = await createConnection({
      url: config.rabbitUrl,
      name: `${name}-consume`,
      logger,
    });
    cleanups.push(() => consumeConnection.close());
    const subscriber = await createSubscriber<BloodbankCatalog>({
      registry,
      connection: consumeConnection,
      exchange: config.exchangeName,
      logger,
      metrics,
      idempotency,
      ...(options.retry ? { retry: options.retry } : {}),
    });
    cleanups.push(() => subscriber.close());
    const subscriptions = await subscribeCommands({
      manager,
      subscriber,
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    });

    let server: Server | null = null;
    if (options.port !== undefined) {
      server = healthServer(subscriptions, metrics.registry, manager.handled(), unhandled);
      server.listen(options.port, options.host ?? config.httpHost);
      await once(server, 'listening');
      const s = server;
      cleanups.push(() => new Promise<void>((resolve) => s.close(() => resolve())));
    }
    const port = server ? (server.address() as AddressInfo).port : null;
    logger.info(
      {
        exchange: config.exchangeName,
        handled: manager.handled(),
        unhandled,
        queues: subscriptions.map((s) => s.queue),
        concurrency: options.concurrency ?? 1,
        port,
      },
      'command processor started',
    );

    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => {
      resolveClosed = resolve;
    });
    let closing: Promise<void> | null = null;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        logger.info('command processor stopping: finishing running commands');
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        options.signal?.removeEventListener('abort', onAbort);
        await cleanup();
        logger.info('command processor stopped');
        resolveClosed();
      })();
      return closing;
    };
    const onSignal = (sig: NodeJS.Signals) => {
      logger.info({ signal: sig }, 'signal received');
      void close();
    };
    const onAbort = () => void close();
    if (options.signal) {
      if (options.signal.aborted) void close();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    } else {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    return { handled: manager.handled(), unhandled, port, closed, close };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function healthServer(
  subscriptions: readonly AmqpSubscription[],
  promRegistry: ReturnType<typeof createMetrics>['registry'],
  handled: readonly string[],
  unhandled: readonly string[],
): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      void Promise.all(subscriptions.map((s) => s.health())).then(
        (health) => {
          const healthy = health.every((h) => h.healthy);
          res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ status: healthy ? 'ok' : 'degraded', handled, unhandled, queues: health }),
          );
        },
        (error: unknown) => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'error', error: String(error) }));
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      void promRegistry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': promRegistry.contentType });
        res.end(text);
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  });
}
