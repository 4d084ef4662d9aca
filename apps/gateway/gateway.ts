/**
 * The HTTP gateway (issue 5, DESIGN.md §3): Fastify, every publishing route registered from the
 * registry. `createGateway()` builds the app and its broker side without listening (tests use it with
 * `inject` or `listen({ port: 0 })`); `serveGateway()` (serve.ts) adds configuration and the listening rules.
 *
 * Guarantees: a 2xx from a publishing route means the broker confirmed the message; when the broker is
 * down or blocking, routes answer 503 with `Retry-After` at once (never hang, never 500); invalid input
 * answers 4xx with every failing JSON pointer and rule, and nothing is published.
 */
import cors from '@fastify/cors';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { RedisSentinelAddress } from 'bloodbank/config.js';
import { silentLogger } from 'bloodbank/logger.js';
import { createMetrics, type BloodbankMetrics } from 'bloodbank/metrics.js';
import { CorrelationTracker } from 'bloodbank/redis/correlation-tracker.js';
import type { Registry } from 'bloodbank/registry.js';
import { parseApiKeys, presentedKey, type KeyStore } from './auth.js';
import { createBroker, type Broker } from './broker.js';
import { createCredentials } from './credentials.js';
import { loadRequester, type CommandRequester } from './commands.js';
import type { AuthMode, GatewayContext, GatewayMetrics } from './context.js';
import { isHttpError, type HttpError } from './http-error.js';
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
  readonly corsOrigins?: boolean | string | readonly string[];
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

function gatewayMetrics(metrics: BloodbankMetrics): GatewayMetrics {
  const registers = [metrics.registry];
  return {
    requests: new Counter({
      name: 'bloodbank_gateway_requests_total',
      help: 'HTTP requests answered by the gateway',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    duration: new Histogram({
      name: 'bloodbank_gateway_request_duration_seconds',
      help: 'Time to answer an HTTP request (publishing routes include the broker confirm)',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    wsClients: new Gauge({
      name: 'bloodbank_gateway_ws_clients',
      help: 'Open /ws/events sockets',
      registers,
    }),
    wsDropped: new Counter({
      name: 'bloodbank_gateway_ws_dropped_total',
      help: 'WebSocket clients dropped (slow, keepalive, broker)',
      labelNames: ['reason'],
      registers,
    }),
    webhooks: new Counter({
      name: 'bloodbank_gateway_webhooks_total',
      help: 'Fireflies webhooks by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    requestTimeouts: new Counter({
      name: 'bloodbank_gateway_request_timeouts_total',
      help: 'Requests answered 408 because they were not received within BLOODBANK_REQUEST_TIMEOUT_MS',
      registers,
    }),
    connectionsDropped: new Counter({
      name: 'bloodbank_gateway_connections_dropped_total',
      help: 'Connections refused because BLOODBANK_MAX_CONNECTIONS were open',
      registers,
    }),
  };
}

function corsOrigin(value: GatewayOptions['corsOrigins']): boolean | string[] {
  if (value === undefined || value === false) return false;
  if (value === true || value === '*') return true;
  const list = typeof value === 'string' ? value.split(',') : [...value];
  const origins = list.map((s) => s.trim()).filter((s) => s !== '');
  return origins.includes('*') ? true : origins;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const name = options.name ?? 'bloodbank-gateway';
  const logger = (options.logger ?? silentLogger).child({ component: 'gateway' });
  const metrics = options.metrics ?? createMetrics();
  const keys = typeof options.apiKeys === 'object' ? options.apiKeys : parseApiKeys(options.apiKeys);
  const tokens =
    options.jwt === undefined
      ? null
      : 'verify' in options.jwt
        ? options.jwt
        : createTokenVerifier(options.jwt);
  const credentials = createCredentials(keys, tokens);
  const authMode: AuthMode = options.auth === 'off' ? 'off' : credentials.configured ? 'keys' : 'open';
  const bodyLimit = options.bodyLimit ?? 16 * 1024 * 1024;
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;

  const tracker =
    options.redisUrl === null
      ? null
      : new CorrelationTracker({
          url: options.redisUrl,
          ...(options.redisSentinels ? { sentinels: options.redisSentinels } : {}),
          ...(options.redisSentinelName ? { sentinelName: options.redisSentinelName } : {}),
          ttlDays: options.correlationTtlDays ?? 30,
          logger,
          metrics,
          ...(options.correlationKeyPrefix ? { keyPrefix: options.correlationKeyPrefix } : {}),
        });
  if (tracker) await tracker.start();
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
  let requester: Promise<CommandRequester | null> | null = options.requester
    ? Promise.resolve(options.requester)
    : null;

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
    requester() {
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
  };

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
  const history = createGatewayHistory({
    url: options.rabbitUrl,
    exchange: options.exchange,
    name,
    logger,
    retention: options.history ?? false,
  });
  app.decorateRequest('principal', null);
  // Bodies are JSON (the webhook route reads raw bytes in its own scope): anything else is 415.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (isHttpError(error)) {
      void reply.headers(error.headers).code(error.statusCode).send(error.body());
      return;
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'body_too_large'
          : (error.code?.toLowerCase() ?? 'bad_request');
      const message =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `the body is larger than BLOODBANK_BODY_LIMIT (${bodyLimit} bytes)`
          : error.message;
      void reply.code(status).send({ error: code, message });
      return;
    }
    logger.error({ err: error, method: request.method, url: request.url }, 'unexpected error');
    void reply
      .code(500)
      .send({ error: 'internal', message: `internal error (request ${request.id}); see the gateway log` });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` });
  });

  // Identify the key first (rate limiting is per key), then require it on protected routes.
  // Hooks on every request are callback-style: an async hook costs a promise and a microtask per request.
  app.addHook('onRequest', (request, _reply, done) => {
    if (authMode !== 'keys') return done();
    const presented = presentedKey(request.headers);
    if (request.routeOptions.config.auth !== true) {
      if (presented !== undefined) request.principal = keys.lookup(presented) ?? null;
      return done();
    }
    let principal: ReturnType<typeof credentials.authenticate>;
    try {
      principal = credentials.authenticate(presented);
    } catch (error) {
      return done(error as HttpError);
    }
    if (!(principal instanceof Promise)) {
      request.principal = principal;
      return done();
    }
    principal.then((p) => {
      request.principal = p;
      done();
    }, done);
  });

  // One labelled child per route and status, found by a string key (prom-client hashes label objects).
  const { requests, duration } = ctx.gatewayMetrics;
  const requestCounters = new Map<string, { inc(): void }>();
  const durationHistograms = new Map<string, { observe(value: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const key = `${request.method} ${status} ${route}`;
    let counter = requestCounters.get(key);
    if (!counter) {
      counter = requests.labels({ method: request.method, route, status: String(status) });
      requestCounters.set(key, counter);
    }
    counter.inc();
    let histogram = durationHistograms.get(route);
    if (!histogram) {
      histogram = duration.labels({ route });
      durationHistograms.set(route, histogram);
    }
    histogram.observe(reply.elapsedTime / 1000);
    done();
  });

  const origin = corsOrigin(options.corsOrigins);
  if (origin !== false)
    await app.register(cors, {
      origin,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'X-API-Key',
        'X-Bloodbank-App',
        'X-Bloodbank-Parent-Ids',
        'X-Bloodbank-Idempotency-Key',
        'X-Bloodbank-Agent-Context',
      ],
      exposedHeaders: ['Retry-After', 'X-RateLimit-Limit'],
      maxAge: 600,
    });
  if (options.rateLimit !== false)
    registerRateLimit(app, options.rateLimit ?? { max: 6_000, timeWindowMs: 60_000 });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  registerReadRoutes(app, ctx);
  registerHistoryRoutes(app, ctx, history);
  registerPublishRoutes(app, ctx);
  registerWebhookRoutes(app, ctx, bodyLimit);
  registerWsRoutes(app, ctx);
  await app.ready();

  if (authMode === 'off')
    logger.warn('BLOODBANK_AUTH=off: the gateway accepts every request without an API key');

  let closing: Promise<void> | null = null;
  return {
    app,
    broker,
    authMode,
    metrics,
    async waitForBroker(timeoutMs = 10_000) {
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
    },
    close() {
      closing ??= (async () => {
        await app.close();
        const r = await requester?.catch(() => null);
        await Promise.allSettled([
          r && !options.requester ? r.close() : undefined,
          stream.close(),
          history.close(),
        ]);
        await broker.close();
        await tracker?.close();
      })();
      return closing;
    },
  };
}
