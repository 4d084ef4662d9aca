/**
 * The HTTP gateway (issue 5, DESIGN.md §3): Fastify, every publishing route registered from the
 * registry. `createGateway()` builds the app and its broker side without listening (tests use it with
 * `inject` or `listen({ port: 0 })`); `serveGateway()` (serve.ts) adds configuration and the listening rules.
 *
 * Guarantees: a 2xx from a publishing route means the broker confirmed the message; when the broker is
 * down or blocking, routes answer 503 with `Retry-After` at once (never hang, never 500); invalid input
 * answers 4xx with every failing JSON pointer and rule, and nothing is published.
 */
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RedisSentinelAddress } from 'bloodbank/config.js';
import { silentLogger } from 'bloodbank/logger.js';
import { createMetrics, type BloodbankMetrics } from 'bloodbank/metrics.js';
import { CorrelationTracker } from 'bloodbank/redis/correlation-tracker.js';
import type { Registry } from 'bloodbank/registry.js';
import { parseApiKeys, type KeyStore } from './auth.js';
import { createBroker, type Broker } from './broker.js';
import { createCredentials, type Credentials } from './credentials.js';
import { loadRequester, type CommandRequester } from './commands.js';
import type { AuthMode, GatewayContext } from './context.js';
import { countRequests, gatewayMetrics } from './gateway-metrics.js';
import { allowCors, answerErrors, authenticateRequests, type CorsOrigins } from './hooks.js';
import { createTokenVerifier, type JwtOptions, type TokenVerifier } from './jwt.js';
import { LiveStream } from './live-stream.js';
import { registerRateLimit } from './rate-limit.js';
import { createGatewayHistory, registerHistoryRoutes } from './routes-history.js';
import { registerPublishRoutes } from './routes-publish.js';
import { registerReadRoutes } from './routes-read.js';
import { registerWebhookRoutes } from './routes-webhook.js';
import { registerWsRoutes } from './routes-ws.js';
import { capConnections, clientErrorHandler, timeoutServerOptions } from './timeouts.js';
import type { HistoryRetention } from 'bloodbank/amqp/history.js';

export interface GatewayOptions {
  readonly registry: Registry;
  readonly rabbitUrl: string;
  readonly exchange: string;
  /** Redis for correlation tracking; `null` disables tracking (the debug routes answer 404). */
  readonly redisUrl: string | null;
  /** `REDIS_SENTINELS` / `REDIS_SENTINEL_NAME`: ask these Sentinels for the master (the URL gives password and db). */
  readonly redisSentinels?: readonly RedisSentinelAddress[];
  readonly redisSentinelName?: string;
  readonly correlationTtlDays?: number;
  /** Key prefix of the correlation records (tests isolate themselves with it). */
  readonly correlationKeyPrefix?: string;
  /** SERVICE_NAME: `/healthz`, logs, connection names (`<name>-publish`, `<name>-stream`). */
  readonly name?: string;
  readonly logger?: Logger;
  readonly metrics?: BloodbankMetrics;
  /** `BLOODBANK_API_KEYS` (spec or keys file) or a parsed store. Empty: no keys. */
  readonly apiKeys?: string | KeyStore;
  /** Bearer JWTs from an identity provider (`BLOODBANK_JWKS_URL`, …), beside the API keys. */
  readonly jwt?: JwtOptions | TokenVerifier;
  /** `BLOODBANK_AUTH`: `off` disables authentication entirely. */
  readonly auth?: 'on' | 'off';
  /** Largest body in bytes (default 16 MiB). */
  readonly bodyLimit?: number;
  /** Requests per key (or client address) per window; `false` disables (default 6,000 per minute). */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number } | false;
  /** Allowed CORS origins: `true`/`'*'` any, a list, or `false` (default: no CORS headers). */
  readonly corsOrigins?: CorsOrigins;
  readonly firefliesWebhookSecret?: string;
  /** Longest wait for a broker confirm before answering 503 (default 5,000 ms). */
  readonly publishTimeoutMs?: number;
  readonly retryAfterSeconds?: number;
  /** `?wait=true`: default and largest `timeout_ms` (30,000 and 300,000). */
  readonly commandTimeout?: { readonly defaultMs?: number; readonly maxMs?: number };
  /** WebSocket keepalive ping interval (30,000 ms) and unsent bytes before a client is dropped (1 MiB). */
  readonly ws?: {
    readonly keepaliveMs?: number;
    readonly maxBufferedBytes?: number;
    readonly maxQueued?: number;
  };
  /** Replaces the requester of `?wait=true` (tests). */
  readonly requester?: CommandRequester;
  /** Trust `X-Forwarded-For` for the client address (behind a proxy). Default false. */
  readonly trustProxy?: boolean;
  /** Declare the history stream at start (what `bb setup` does) with this retention; default: only read it. */
  readonly history?: HistoryRetention | false;
  /** `BLOODBANK_REQUEST_TIMEOUT_MS`: longest time to receive a request, headers and body (default 30,000). */
  readonly requestTimeoutMs?: number;
  /** `BLOODBANK_MAX_CONNECTIONS`: open connections at once (default 10,000; 0: no cap). */
  readonly maxConnections?: number;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly broker: Broker;
  readonly authMode: AuthMode;
  readonly metrics: BloodbankMetrics;
  /** Resolves once the broker channel is open (never rejects; bounded by `timeoutMs`). */
  waitForBroker(timeoutMs?: number): Promise<boolean>;
  /** Stops accepting, closes WebSockets, waits for in-flight confirms, closes connections and Redis. */
  close(): Promise<void>;
}

/** Keys, bearer tokens and the mode they give: `off` (BLOODBANK_AUTH=off), `keys`, or `open` (none configured). */
function gatewayAuth(options: GatewayOptions): {
  keys: KeyStore;
  credentials: Credentials;
  authMode: AuthMode;
} {
  const keys = typeof options.apiKeys === 'object' ? options.apiKeys : parseApiKeys(options.apiKeys);
  const tokens =
    options.jwt === undefined
      ? null
      : 'verify' in options.jwt
        ? options.jwt
        : createTokenVerifier(options.jwt);
  const credentials = createCredentials(keys, tokens);
  const authMode: AuthMode = options.auth === 'off' ? 'off' : credentials.configured ? 'keys' : 'open';
  return { keys, credentials, authMode };
}

/** Correlation tracking in Redis, started; null when `redisUrl` is null (the debug routes answer 404). */
async function startTracker(
  options: GatewayOptions,
  logger: Logger,
  metrics: BloodbankMetrics,
): Promise<CorrelationTracker | null> {
  if (options.redisUrl === null) return null;
  const tracker = new CorrelationTracker({
    url: options.redisUrl,
    ...(options.redisSentinels ? { sentinels: options.redisSentinels } : {}),
    ...(options.redisSentinelName ? { sentinelName: options.redisSentinelName } : {}),
    ttlDays: options.correlationTtlDays ?? 30,
    logger,
    metrics,
    ...(options.correlationKeyPrefix ? { keyPrefix: options.correlationKeyPrefix } : {}),
  });
  await tracker.start();
  return tracker;
}

/** The `?wait=true` requester, loaded on first use (a failed load answers 503 and is retried next time). */
function lazyRequester(
  options: GatewayOptions,
  broker: Broker,
  logger: Logger,
  metrics: BloodbankMetrics,
): { get(): Promise<CommandRequester | null>; close(): Promise<void> } {
  let requester: Promise<CommandRequester | null> | null = options.requester
    ? Promise.resolve(options.requester)
    : null;
  return {
    get() {
      requester ??= loadRequester({
        registry: options.registry,
        publisher: broker.publisher,
        exchange: options.exchange,
        logger,
        metrics,
      }).catch((error: unknown) => {
        logger.error({ err: error }, 'the command requester cannot be loaded: ?wait=true answers 503');
        requester = null;
        return null;
      });
      return requester;
    },
    async close() {
      const r = await requester?.catch(() => null);
      // A requester passed in (tests) belongs to the caller.
      if (r && !options.requester) await r.close();
    },
  };
}

/** Fastify with the gateway's limits, hooks and every route, ready. */
async function buildApp(
  options: GatewayOptions,
  ctx: GatewayContext,
  history: ReturnType<typeof createGatewayHistory>,
  bodyLimit: number,
): Promise<FastifyInstance> {
  const limits = {
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    maxConnections: options.maxConnections ?? 10_000,
  };
  const app = Fastify({
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    logger: false,
    return503OnClosing: true,
    ...timeoutServerOptions(limits),
    clientErrorHandler: clientErrorHandler(ctx.gatewayMetrics.requestTimeouts),
  });
  capConnections(app, limits, ctx.gatewayMetrics.connectionsDropped);
  app.decorateRequest('principal', null);
  // Bodies are JSON (the webhook route reads raw bytes in its own scope): anything else is 415.
  app.removeContentTypeParser('text/plain');
  answerErrors(app, bodyLimit, ctx.logger);
  authenticateRequests(app, ctx);
  countRequests(app, ctx.gatewayMetrics);
  await allowCors(app, options.corsOrigins);
  if (options.rateLimit !== false)
    registerRateLimit(app, options.rateLimit ?? { max: 6_000, timeWindowMs: 60_000 });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  registerReadRoutes(app, ctx);
  registerHistoryRoutes(app, ctx, history);
  registerPublishRoutes(app, ctx);
  registerWebhookRoutes(app, ctx, bodyLimit);
  registerWsRoutes(app, ctx);
  await app.ready();
  return app;
}

/** Resolves true once the publisher's channel is open, false after `timeoutMs` or on failure. */
async function brokerReady(broker: Broker, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([
    broker.publisher.ready().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return ok;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const name = options.name ?? 'bloodbank-gateway';
  const logger = (options.logger ?? silentLogger).child({ component: 'gateway' });
  const metrics = options.metrics ?? createMetrics();
  const { keys, credentials, authMode } = gatewayAuth(options);
  const bodyLimit = options.bodyLimit ?? 16 * 1024 * 1024;
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;

  const tracker = await startTracker(options, logger, metrics);
  const broker = createBroker({
    registry: options.registry,
    url: options.rabbitUrl,
    exchange: options.exchange,
    connectionName: `${name}-publish`,
    logger,
    metrics,
    ...(tracker ? { tracker } : {}),
    ...(options.publishTimeoutMs ? { timeoutMs: options.publishTimeoutMs } : {}),
    retryAfterSeconds,
  });
  const stream = new LiveStream({
    url: options.rabbitUrl,
    exchange: options.exchange,
    connectionName: `${name}-stream`,
    logger,
    ...(options.ws?.maxQueued ? { maxQueued: options.ws.maxQueued } : {}),
  });
  const requester = lazyRequester(options, broker, logger, metrics);
  const history = createGatewayHistory({
    url: options.rabbitUrl,
    exchange: options.exchange,
    name,
    logger,
    retention: options.history ?? false,
  });

  const ctx: GatewayContext = {
    name,
    registry: options.registry,
    broker,
    tracker,
    stream,
    logger,
    metrics,
    gatewayMetrics: gatewayMetrics(metrics),
    authMode,
    keys,
    credentials,
    webhookSecret: options.firefliesWebhookSecret,
    retryAfterSeconds,
    commandTimeout: {
      defaultMs: options.commandTimeout?.defaultMs ?? 30_000,
      maxMs: options.commandTimeout?.maxMs ?? 300_000,
    },
    ws: {
      keepaliveMs: options.ws?.keepaliveMs ?? 30_000,
      maxBufferedBytes: options.ws?.maxBufferedBytes ?? 1024 * 1024,
    },
    requester: requester.get,
  };
  const app = await buildApp(options, ctx, history, bodyLimit);

  if (authMode === 'off')
    logger.warn('BLOODBANK_AUTH=off: the gateway accepts every request without an API key');

  let closing: Promise<void> | null = null;
  return {
    app,
    broker,
    authMode,
    metrics,
    waitForBroker: (timeoutMs = 10_000) => brokerReady(broker, timeoutMs),
    close() {
      closing ??= (async () => {
        await app.close();
        await Promise.allSettled([requester.close(), stream.close(), history.close()]);
        await broker.close();
        await tracker?.close();
      })();
      return closing;
    },
  };
}
