/**
 * Slow clients cannot hold the gateway (issue 14): one `BLOODBANK_REQUEST_TIMEOUT_MS` bounds receiving a
 * request — headers and body together — and a connection cap bounds how many sockets may be open.
 *
 * Node's HTTP server checks request deadlines every `connectionsCheckingInterval` (30 s by default, which
 * let a body trickling a byte at a time live for minutes); we check every second (or a quarter of the
 * timeout when shorter), so a slow request is answered `408` and closed within the timeout plus that
 * interval. Keep-alive connections idle between requests are closed after `min(timeout, 5 s)`. Responses
 * that take long to produce (`?wait=true`, WebSockets) are not cut: only receiving the request is timed.
 * Every 408 is counted in `bloodbank_gateway_request_timeouts_total`; connections refused by the cap in
 * `bloodbank_gateway_connections_dropped_total`.
 */
import { STATUS_CODES, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Counter } from 'prom-client';

export interface ClientLimits {
  /** Longest time to receive a whole request (headers and body), in ms. */
  readonly requestTimeoutMs: number;
  /** Open connections at once; 0: no cap. */
  readonly maxConnections: number;
}

/** The Fastify (and Node HTTP server) options that enforce `limits`. */
export function timeoutServerOptions(limits: ClientLimits): {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  const t = limits.requestTimeoutMs;
  return {
    requestTimeout: t,
    keepAliveTimeout: Math.min(t, 5_000),
    http: {
      headersTimeout: t,
      requestTimeout: t,
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(t / 4))),
    },
  };
}

/** What the client-error handler answers, as Fastify's default does, counting timeouts. */
export function clientErrorHandler(timeouts: Counter) {
  return function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    if (status === 408) timeouts.inc();
    const message =
      status === 408
        ? 'the request was not received in time (BLOODBANK_REQUEST_TIMEOUT_MS)'
        : status === 431
          ? 'request headers too large'
          : 'malformed request';
    const body = JSON.stringify({ error: STATUS_CODES[status]?.toLowerCase().replace(/ /g, '_'), message });
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Content-Type: application/json\r\n\r\n${body}`,
      );
    socket.destroy();
  };
}

/** Caps open connections on the app's server, counting the ones refused. */
export function capConnections(app: FastifyInstance, limits: ClientLimits, dropped: Counter): void {
  if (limits.maxConnections > 0) app.server.maxConnections = limits.maxConnections;
  app.server.on('drop', () => dropped.inc());
}
