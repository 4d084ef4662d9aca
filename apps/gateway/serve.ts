/**
 * `bb serve gateway`: the gateway from the environment's configuration (DESIGN.md §9).
 *
 * Listening rules: with API keys (`BLOODBANK_API_KEYS`) it listens on HTTP_HOST:HTTP_PORT (default
 * 0.0.0.0:8682). Without keys it serves only on a loopback address, with a warning (the original's clients
 * sent no key): HTTP_HOST left at its default becomes 127.0.0.1, and an explicit non-loopback host is
 * refused — unless `BLOODBANK_AUTH=off`, which disables authentication and is logged loudly.
 */
import { loadConfig, redactUrl } from 'bloodbank/config.js';
import { createLogger } from 'bloodbank/logger.js';
import type { Registry } from 'bloodbank/registry.js';
import { loadRegistry } from '../shared/registry.js';
import { isLoopback, parseApiKeys } from './auth.js';
import { createGateway } from './gateway.js';

export interface ServeGatewayOptions {
  /** Module exporting `registry` (default: `BLOODBANK_REGISTRY`, else this repository's generated one). */
  readonly registryModule?: string;
  readonly host?: string;
  readonly port?: number;
  /** Aborting closes the gateway. */
  readonly signal?: AbortSignal;
}

export interface ServedGateway {
  readonly url: string;
  close(): Promise<void>;
}

export class GatewayStartError extends Error {
  override name = 'GatewayStartError' as const;
}

/** Decide where to listen; throws `GatewayStartError` for a non-loopback host without keys. */
export function listenHost(options: {
  readonly requested: string | undefined;
  readonly configured: string;
  readonly keys: number;
  readonly auth: 'on' | 'off';
}): { host: string; warning: string | null } {
  const host = options.requested ?? options.configured;
  if (options.auth === 'off')
    return {
      host,
      warning: `BLOODBANK_AUTH=off: AUTHENTICATION IS DISABLED; anyone who reaches ${host} can publish any event`,
    };
  if (options.keys > 0 || isLoopback(host)) {
    return {
      host,
      warning:
        options.keys > 0
          ? null
          : 'no API keys configured (BLOODBANK_API_KEYS): serving on loopback only, without authentication',
    };
  }
  if (options.requested !== undefined)
    throw new GatewayStartError(
      `refusing to serve on ${host} without API keys: set BLOODBANK_API_KEYS (e.g. key1=fireflies.#|llm.*), ` +
        'listen on 127.0.0.1, or set BLOODBANK_AUTH=off to run without authentication',
    );
  return {
    host: '127.0.0.1',
    warning: 'no API keys configured (BLOODBANK_API_KEYS): serving on 127.0.0.1 only, without authentication',
  };
}

export async function serveGateway(options: ServeGatewayOptions = {}): Promise<ServedGateway> {
  const config = loadConfig();
  const logger = createLogger({ name: config.serviceName });
  // The app registry is typed by the generated catalogue; the gateway works on any catalogue.
  const registry = (await loadRegistry(options.registryModule ?? config.registry)) as unknown as Registry;
  const keys = parseApiKeys(config.apiKeys);
  const { host, warning } = listenHost({
    requested: options.host ?? config.httpHostSet,
    configured: config.httpHost,
    keys: keys.size + (config.jwt ? 1 : 0),
    auth: config.auth,
  });
  if (warning) (config.auth === 'off' ? logger.error.bind(logger) : logger.warn.bind(logger))(warning);
  const gateway = await createGateway({
    registry,
    name: config.serviceName,
    logger,
    rabbitUrl: config.rabbitUrl,
    exchange: config.exchangeName,
    redisUrl: config.redisUrl,
    ...(config.redisSentinels
      ? { redisSentinels: config.redisSentinels, redisSentinelName: config.redisSentinelName }
      : {}),
    correlationTtlDays: config.correlationTtlDays,
    apiKeys: keys,
    ...(config.jwt ? { jwt: config.jwt } : {}),
    auth: config.auth,
    bodyLimit: config.bodyLimit,
    corsOrigins: config.corsOrigins ?? false,
    rateLimit: config.rateLimit > 0 ? { max: config.rateLimit, timeWindowMs: 60_000 } : false,
    ...(config.firefliesWebhookSecret ? { firefliesWebhookSecret: config.firefliesWebhookSecret } : {}),
    history:
      config.history === 'on' ? { maxAge: config.historyMaxAge, maxBytes: config.historyMaxBytes } : false,
    requestTimeoutMs: config.requestTimeoutMs,
    maxConnections: config.maxConnections,
  });
  const port = options.port ?? config.httpPort;
  let address: string;
  try {
    address = await gateway.app.listen({ host, port });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  logger.info(
    {
      url: address,
      rabbit: redactUrl(config.rabbitUrl),
      exchange: config.exchangeName,
      events: registry.list().length,
      auth: gateway.authMode,
    },
    'gateway listening',
  );
  const close = () => gateway.close();
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  return { url: address, close };
}
