/**
 * What the gateway does around every route: answer errors and unknown routes as JSON (`{error, message}`),
 * identify the caller and require a key on protected routes, and allow the configured CORS origins.
 */
import cors from '@fastify/cors';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { presentedKey, type KeyStore } from './auth.js';
import type { AuthMode } from './context.js';
import type { Credentials } from './credentials.js';
import { isHttpError, type HttpError } from './http-error.js';

/** `HttpError`s as they say; other 4xx with Fastify's code; anything else a logged 500 naming the request. */
export function answerErrors(app: FastifyInstance, bodyLimit: number, logger: Logger): void {
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
}

/**
 * Identifies the key first (rate limiting is per key), then requires it on routes with `config.auth`.
 * Callback-style: an async hook costs a promise and a microtask per request.
 */
export function authenticateRequests(
  app: FastifyInstance,
  auth: { readonly authMode: AuthMode; readonly keys: KeyStore; readonly credentials: Credentials },
): void {
  const { authMode, keys, credentials } = auth;
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
}

/** Allowed CORS origins: `true`/`'*'` any, a list (or comma-separated string), `false`/absent none. */
export type CorsOrigins = boolean | string | readonly string[] | undefined;

export async function allowCors(app: FastifyInstance, origins: CorsOrigins): Promise<void> {
  const origin = corsOrigin(origins);
  if (origin === false) return;
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
}

function corsOrigin(value: CorsOrigins): boolean | string[] {
  if (value === undefined || value === false) return false;
  if (value === true || value === '*') return true;
  const list = typeof value === 'string' ? value.split(',') : [...value];
  const origins = list.map((s) => s.trim()).filter((s) => s !== '');
  return origins.includes('*') ? true : origins;
}
