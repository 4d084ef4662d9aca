/**
 * The gateway's own Prometheus metrics (beside the runtime's): requests and their duration per route,
 * WebSocket clients, webhooks, timeouts and refused connections; and the hook that counts every answer.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { BloodbankMetrics } from 'bloodbank/metrics.js';
import type { GatewayMetrics } from './context.js';

export function gatewayMetrics(metrics: BloodbankMetrics): GatewayMetrics {
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

/**
 * Counts every answer by method, route and status, and observes its duration by route. One labelled child
 * per route and status, found by a string key (prom-client hashes label objects). Callback-style: an
 * async hook costs a promise and a microtask per request.
 */
export function countRequests(app: FastifyInstance, { requests, duration }: GatewayMetrics): void {
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
}
