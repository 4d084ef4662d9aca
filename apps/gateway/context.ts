/**
 * The one context object the gateway's routes share, built once by `createGateway()`.
 */
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { BloodbankMetrics } from 'bloodbank/metrics.js';
import type { CorrelationTracker } from 'bloodbank/redis/correlation-tracker.js';
import type { Registry } from 'bloodbank/registry.js';
import type { ApiKey, KeyStore } from './auth.js';
import type { Broker } from './broker.js';
import type { CommandRequester } from './commands.js';
import type { Credentials } from './credentials.js';
import { HttpError } from './http-error.js';
import { isTokenPrincipal } from './jwt.js';
import type { LiveStream } from './live-stream.js';

/** `keys`: credentials (API keys or bearer tokens) required; `open`: no keys configured (loopback only); `off`: BLOODBANK_AUTH=off. */
export type AuthMode = 'keys' | 'open' | 'off';

export interface GatewayMetrics {
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'route'>;
  readonly wsClients: Gauge;
  readonly wsDropped: Counter<'reason'>;
  readonly webhooks: Counter<'outcome'>;
  readonly requestTimeouts: Counter;
  readonly connectionsDropped: Counter;
}

export interface GatewayContext {
  readonly name: string;
  readonly registry: Registry;
  readonly broker: Broker;
  readonly tracker: CorrelationTracker | null;
  readonly stream: LiveStream;
  readonly logger: Logger;
  readonly metrics: BloodbankMetrics;
  readonly gatewayMetrics: GatewayMetrics;
  readonly authMode: AuthMode;
  readonly keys: KeyStore;
  /** API keys and bearer tokens: who the caller is and what it may publish. */
  readonly credentials: Credentials;
  readonly webhookSecret: string | undefined;
  readonly retryAfterSeconds: number;
  readonly commandTimeout: { readonly defaultMs: number; readonly maxMs: number };
  readonly ws: { readonly keepaliveMs: number; readonly maxBufferedBytes: number };
  requester(): Promise<CommandRequester | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key the request presented (null without keys or when none was sent). */
    principal: ApiKey | null;
  }
  interface FastifyContextConfig {
    /** `true`: an API key is required (when keys are configured); `ws`: the WebSocket handler checks it. */
    auth?: boolean | 'ws';
    /** `true`: rate-limited per client address although `auth` is false (the webhook). */
    rateLimit?: boolean;
  }
}

/** 403 unless the request's key may publish `routingKey` (always allowed without keys). */
export function authorize(ctx: GatewayContext, request: FastifyRequest, routingKey: string): void {
  if (ctx.authMode !== 'keys') return;
  const key = request.principal;
  if (!key) throw new HttpError(401, 'unauthorized', 'an API key is required');
  if (!ctx.credentials.allows(key, routingKey))
    throw new HttpError(403, 'forbidden', `${describe(key)} may not publish ${routingKey}`, {
      details: { event_type: routingKey, scopes: key.scopes },
    });
}

function describe(principal: ApiKey): string {
  return isTokenPrincipal(principal) ? `the token of ${principal.subject}` : `the API key ${principal.id}`;
}
