/**
 * One call that wires the runtime together for a service: a publishing and a consuming connection, the
 * confirmed publisher, the subscriber, correlation tracking and idempotency over Redis, the DLQ admin,
 * metrics and a logger, all from the configuration of DESIGN.md §9. Composition roots (apps/) use this.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createConnection, type BloodbankConnection } from './amqp/connection.js';
import { createSubscriber, type AmqpSubscriber, type AmqpSubscription } from './amqp/consumer.js';
import { createDlqAdmin, type DlqAdmin } from './amqp/dlq.js';
import {
  readHistory,
  replayHistory,
  setupHistory,
  type HistoryEvent,
  type HistoryQuery,
  type ReplayOptions,
  type ReplayResult,
  type SetupResult,
} from './amqp/history.js';
import { createPublisher, type Publisher } from './amqp/publisher.js';
import type { RetryOptions } from './delivery/rules.js';
import type {
  AcceptOlderOption,
  EventPublisher,
  EventSubscriber,
  Handler,
  PublishOptions,
  PublishReceipt,
  ReplyQueues,
  SubscribeOptions,
} from './bus.js';
import { loadConfig, type BloodbankConfig } from './config.js';
import type { Envelope, SourceInput } from './envelope.js';
import { silentLogger } from './logger.js';
import { createMetrics, type BloodbankMetrics } from './metrics.js';
import { CorrelationTracker } from './redis/correlation-tracker.js';
import { IdempotencyStore } from './redis/idempotency-store.js';
import { redisTarget } from './redis/link.js';
import type { Catalog, KeysMatching, Registry } from './registry.js';

export interface BloodbankOptions<M extends Catalog> {
  readonly registry: Registry<M>;
  /** Overrides of the environment's configuration (`loadConfig()`). */
  readonly config?: Partial<BloodbankConfig>;
  /** Names the connections (`<name>-publish`, `<name>-consume`) and is the default `source.app`. */
  readonly name?: string;
  readonly source?: SourceInput;
  readonly logger?: Logger;
  readonly metrics?: BloodbankMetrics;
  /** Correlation tracking in Redis (default true). Redis being down never stops publishing. */
  readonly tracking?: boolean;
  /** Consumer retry policy. */
  readonly retry?: RetryOptions;
  /** Open the consuming side (default true). */
  readonly consume?: boolean;
}

/** The runtime, wired. `publish` and `subscribe` are the publisher's and subscriber's. */
export interface Bloodbank<M extends Catalog> extends EventPublisher<M>, EventSubscriber<M>, ReplyQueues {
  readonly config: BloodbankConfig;
  readonly registry: Registry<M>;
  readonly publisher: Publisher<M>;
  /** Null when opened with `consume: false`. */
  readonly subscriber: AmqpSubscriber<M> | null;
  readonly tracker: CorrelationTracker | null;
  readonly idempotency: IdempotencyStore;
  readonly dlq: DlqAdmin;
  readonly metrics: BloodbankMetrics;
  readonly logger: Logger;
  /** The consuming connection (null with `consume: false`). */
  readonly connection: BloodbankConnection | null;
  subscribe<P extends string>(
    patterns: P | readonly P[],
    handler: Handler<M, KeysMatching<P, keyof M & string>>,
    options: SubscribeOptions & AcceptOlderOption<M, KeysMatching<P, keyof M & string>>,
  ): Promise<AmqpSubscription>;
  /**
   * Declare the exchange and the history stream `${exchange}.history` (what `bb setup` does; idempotent),
   * with the retention of `BLOODBANK_HISTORY_MAX_AGE` / `BLOODBANK_HISTORY_MAX_BYTES`.
   */
  setup(): Promise<SetupResult>;
  /** Stored events matching `query`, oldest first, up to where the stream ended when the read began. */
  history(query?: HistoryQuery): AsyncGenerator<HistoryEvent, void, undefined>;
  /** Send the matching stored events into one service's queue (see `replayHistory`). */
  replay(options: ReplayOptions): Promise<ReplayResult>;
  /** Close subscriptions (finishing prefetched work), wait for confirms, then close connections and Redis. */
  close(): Promise<void>;
}

export async function connectBloodbank<M extends Catalog>(
  options: BloodbankOptions<M>,
): Promise<Bloodbank<M>> {
  const config: BloodbankConfig = { ...loadConfig(), ...options.config };
  // An exchange the user set (EXCHANGE_NAME, or `config.exchangeName` here) carries every event; otherwise
  // each event takes the exchange its channel's AMQP binding names (amqp/topology.ts).
  const explicitExchange =
    options.config?.exchangeName !== undefined || (options.config?.exchangeNameSet ?? config.exchangeNameSet)
      ? { exchange: config.exchangeName }
      : {};
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? createMetrics();
  const name = options.name ?? config.serviceName;
  const source: SourceInput = options.source ?? { host: hostname(), type: 'manual', app: name };
  const tracker =
    options.tracking === false
      ? null
      : new CorrelationTracker({
          ...redisTarget(config),
          ttlDays: config.correlationTtlDays,
          logger,
          metrics,
        });
  if (tracker) await tracker.start();
  const idempotency = new IdempotencyStore({ ...redisTarget(config), logger, metrics });

  const publishConnection = await createConnection({
    url: config.rabbitUrl,
    name: `${name}-publish`,
    logger,
  });
  const publisher = createPublisher<M>({
    registry: options.registry,
    connection: publishConnection,
    ...explicitExchange,
    source,
    logger,
    metrics,
    ...(tracker ? { tracker } : {}),
  });
  const consumeConnection =
    options.consume === false
      ? null
      : await createConnection({ url: config.rabbitUrl, name: `${name}-consume`, logger });
  const subscriber = consumeConnection
    ? await createSubscriber<M>({
        registry: options.registry,
        connection: consumeConnection,
        ...explicitExchange,
        logger,
        metrics,
        idempotency,
        ...(options.retry ? { retry: options.retry } : {}),
      })
    : null;
  const dlq = createDlqAdmin({
    connection: consumeConnection ?? publishConnection,
    exchange: config.exchangeName,
    logger,
  });

  const reader = {
    connection: consumeConnection ?? publishConnection,
    exchange: config.exchangeName,
    logger,
  };
  return {
    config,
    registry: options.registry,
    publisher,
    subscriber,
    tracker,
    idempotency,
    dlq,
    metrics,
    logger,
    connection: consumeConnection,
    publish: (eventType, payload, opts?: PublishOptions) => publisher.publish(eventType, payload, opts),
    publishEnvelope: (envelope: Envelope, opts?: PublishOptions): Promise<PublishReceipt> =>
      publisher.publishEnvelope(envelope, opts),
    subscribe(patterns, handler, subscribeOptions) {
      if (!subscriber) throw new Error('this Bloodbank was opened with consume: false');
      return subscriber.subscribe(patterns, handler, subscribeOptions);
    },
    openReplyQueue(onMessage) {
      if (!subscriber) throw new Error('this Bloodbank was opened with consume: false');
      return subscriber.openReplyQueue(onMessage);
    },
    setup: () =>
      setupHistory(reader.connection, config.exchangeName, {
        maxAge: config.historyMaxAge,
        maxBytes: config.historyMaxBytes,
      }),
    history: (query?: HistoryQuery) => readHistory(reader, query),
    replay: (replayOptions: ReplayOptions) => replayHistory(reader, replayOptions),
    async close() {
      await subscriber?.close();
      await publisher.close();
      await Promise.allSettled([
        publishConnection.close(),
        consumeConnection?.close(),
        tracker?.close(),
        idempotency.close(),
      ]);
    },
  };
}
