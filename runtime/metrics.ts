/**
 * Prometheus metrics of the runtime. One `BloodbankMetrics` per prom-client registry; pass the same
 * instance to the publisher, consumer and tracker so `/metrics` shows them together.
 */
import { Counter, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';

export interface BloodbankMetrics {
  readonly registry: PromRegistry;
  readonly published: Counter<'event_type'>;
  readonly confirmed: Counter<'event_type'>;
  readonly returned: Counter<'event_type'>;
  readonly nacked: Counter<'event_type'>;
  readonly buffered: Gauge;
  readonly inFlight: Gauge;
  readonly republished: Counter;
  readonly confirmLatency: Histogram;
  readonly consumed: Counter<'event_type' | 'outcome'>;
  readonly retried: Counter<'event_type'>;
  readonly deadLettered: Counter<'event_type' | 'reason'>;
  readonly validationFailures: Counter<'event_type' | 'stage'>;
  readonly trackerFailures: Counter<'operation'>;
  readonly deduplicated: Counter<'service'>;
  readonly idempotencyFallback: Counter<'service'>;
  /** Publishes of events marked deprecated (runtime/deprecation.ts). Optional for metrics built by hand. */
  readonly deprecatedPublished?: Counter<'event_type'>;
}

export function createMetrics(registry: PromRegistry = new PromRegistry()): BloodbankMetrics {
  const r = [registry];
  return {
    registry,
    published: new Counter({
      name: 'bloodbank_published_total',
      help: 'Messages sent to the broker',
      labelNames: ['event_type'],
      registers: r,
    }),
    confirmed: new Counter({
      name: 'bloodbank_confirmed_total',
      help: 'Messages confirmed by the broker',
      labelNames: ['event_type'],
      registers: r,
    }),
    returned: new Counter({
      name: 'bloodbank_returned_total',
      help: 'Unroutable messages returned by the broker',
      labelNames: ['event_type'],
      registers: r,
    }),
    nacked: new Counter({
      name: 'bloodbank_nacked_total',
      help: 'Messages nacked by the broker',
      labelNames: ['event_type'],
      registers: r,
    }),
    buffered: new Gauge({
      name: 'bloodbank_publish_buffered',
      help: 'Publishes held while disconnected',
      registers: r,
    }),
    inFlight: new Gauge({
      name: 'bloodbank_publish_in_flight',
      help: 'Messages sent and not yet confirmed',
      registers: r,
    }),
    republished: new Counter({
      name: 'bloodbank_republished_total',
      help: 'Unconfirmed messages republished after a reconnect',
      registers: r,
    }),
    confirmLatency: new Histogram({
      name: 'bloodbank_confirm_latency_seconds',
      help: 'Time from send to broker confirm',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    consumed: new Counter({
      name: 'bloodbank_consumed_total',
      help: 'Deliveries handled',
      labelNames: ['event_type', 'outcome'],
      registers: r,
    }),
    retried: new Counter({
      name: 'bloodbank_retried_total',
      help: 'Deliveries sent to a retry queue',
      labelNames: ['event_type'],
      registers: r,
    }),
    deadLettered: new Counter({
      name: 'bloodbank_dead_lettered_total',
      help: 'Messages sent to a dead-letter queue',
      labelNames: ['event_type', 'reason'],
      registers: r,
    }),
    deprecatedPublished: new Counter({
      name: 'bloodbank_deprecated_published_total',
      help: 'Publishes of events marked deprecated (a newer version supersedes them)',
      labelNames: ['event_type'],
      registers: r,
    }),
    validationFailures: new Counter({
      name: 'bloodbank_validation_failures_total',
      help: 'Payloads rejected by a schema',
      labelNames: ['event_type', 'stage'],
      registers: r,
    }),
    trackerFailures: new Counter({
      name: 'bloodbank_tracker_failures_total',
      help: 'Correlation tracker operations that failed (Redis down)',
      labelNames: ['operation'],
      registers: r,
    }),
    deduplicated: new Counter({
      name: 'bloodbank_deduplicated_total',
      help: 'Deliveries skipped as already handled',
      labelNames: ['service'],
      registers: r,
    }),
    idempotencyFallback: new Counter({
      name: 'bloodbank_idempotency_fallback_total',
      help: 'Idempotency checks served by the in-process map of recent ids because Redis was down',
      labelNames: ['service'],
      registers: r,
    }),
  };
}
