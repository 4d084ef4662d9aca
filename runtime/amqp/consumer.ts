/**
 * The typed AMQP consumer: one quorum queue per service, validation before dispatch, retry with backoff
 * through TTL retry queues, at-least-once dead-lettering, optional idempotency, re-subscription after a
 * reconnect and a graceful close. What happens to each delivery is the shared pipeline's
 * (delivery/pipeline.ts); this module supplies the queues (amqp/queues.ts) and settles deliveries on them.
 */
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { pino, type Logger } from 'pino';
import type {
  AcceptOlder,
  AcceptOlderOption,
  EventSubscriber,
  Handler,
  MessageContext,
  ReplyQueue,
  ReplyQueues,
  SubscribeOptions,
  Subscription,
} from '../bus.js';
import type { Envelope } from '../envelope.js';
import { BloodbankError } from '../errors/bloodbank-error.js';
import {
  AccessRefusedError,
  parseAccessRefusal,
  type AccessRefusal,
} from '../errors/access-refused-error.js';
import type { BloodbankMetrics } from '../metrics.js';
import type { Catalog, KeysMatching, Registry, Upcaster } from '../registry.js';
import { assertTopicPattern, compileTopicPatterns } from '../delivery/topic.js';
import { deliver, olderVersions, type InboundMessage, type PipelineSettings } from '../delivery/pipeline.js';
import {
  HEADERS,
  backoffDelay,
  createMemoryIdempotency,
  queueNames,
  queueNamesOf,
  assertOneBindingSet,
  resolveRetryPolicy,
  type IdempotencyGate,
  type QueueNames,
  type RetryOptions,
  type RetryPolicy,
} from '../delivery/rules.js';
import { DEFAULT_DELIVERY_LIMIT, dlqArguments, mainQueueArguments, retryQueueArguments } from './queues.js';
import { createExchangeRouter, ensureEventExchange, type QueueBinding } from './topology.js';
import { isBare, type BareSubscription } from '../delivery/bare.js';
import { checkPinned } from '../delivery/address.js';
import { openReplyQueue } from './reply-queue.js';

/**
 * What the consumer needs from a connection. `createConnection()` (connection.ts) provides it: channel
 * factories that wait while disconnected, and a `reconnected` event after each recovery.
 */
export interface ConsumerConnection {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  on(event: 'reconnected', listener: () => void): unknown;
  off(event: 'reconnected', listener: () => void): unknown;
  close(): Promise<void>;
}

export interface SubscriberOptions<M extends Catalog = Catalog> {
  readonly registry: Registry<M>;
  /** A shared connection (not closed by `close()`). Either this or `url`. */
  readonly connection?: ConsumerConnection;
  /** Opens an own recovering connection (closed by `close()`). */
  readonly url?: string;
  /** `connection_name` of the own connection (default `bloodbank-consumer`). */
  readonly connectionName?: string;
  /**
   * When set, queues are bound on this exchange only, and it names them (`${exchange}.${service}.q`).
   * Unset: each pattern is bound on the exchanges the matching events' AMQP bindings name (registry
   * `exchange`), else on `bloodbank.events.v1`, which also names the queues (see amqp/topology.ts).
   */
  readonly exchange?: string;
  readonly logger?: Logger;
  readonly metrics?: BloodbankMetrics;
  /** Store for `idempotent: true` subscriptions (runtime/redis IdempotencyStore). */
  readonly idempotency?: IdempotencyGate;
  /** Defaults: 5 attempts; delays 1 s, 5 s, 30 s, 120 s. */
  readonly retry?: RetryOptions;
  /** Broker-side `x-delivery-limit` of the main queue (default 20). Changing it needs a new queue. */
  readonly deliveryLimit?: number;
  /** How long `close()` waits for handlers before aborting their signal (default 30 s). */
  readonly closeTimeoutMs?: number;
}

export interface QueueStats {
  readonly queue: string;
  /** Messages ready for delivery (unacked ones are not counted by the broker). */
  readonly messageCount: number;
  readonly consumerCount: number;
}

export interface SubscriptionHealth {
  readonly queue: string;
  readonly state: SubscriptionState;
  readonly healthy: boolean;
  readonly consumerTag: string | null;
  /** How many times `basic.consume` was issued: 1, plus one per recovery. */
  readonly consumeCount: number;
  readonly inFlight: number;
  readonly buffered: number;
  /** From a passive declare; null when the broker could not be asked. */
  readonly stats: QueueStats | null;
}

export type SubscriptionState = 'starting' | 'consuming' | 'recovering' | 'closing' | 'closed';

export interface AmqpSubscription extends Subscription {
  readonly service: string;
  readonly state: SubscriptionState;
  health(): Promise<SubscriptionHealth>;
}

/** The AMQP transport takes the shared options as they are (kept as a name for existing callers). */
export type AmqpSubscribeOptions = SubscribeOptions;

/**
 * Subscribes typed handlers to queues on RabbitMQ.
 *
 * Contract of `subscribe(patterns, handler, options)`:
 * - the queue `${exchange}.${service}.q` (quorum) is declared and bound with each pattern (on the exchanges
 *   amqp/topology.ts chooses); services with
 *   the same name compete for its messages, different services each get a copy;
 * - every delivery is parsed and validated with the consume validator before the handler sees it;
 *   unparsable, unknown (unless `allowUnknown`) and invalid messages go to `….dlq` with the reason in
 *   `bb-dead-letter-reason` / `bb-error` / `bb-validation-issues`, and consumption goes on;
 * - so does an event whose type matches none of the subscription's patterns (`not-subscribed`: a binding
 *   left on the queue by an earlier version, or another instance subscribing to more); a second open
 *   subscription of the same queue for other patterns is refused (it would share the messages);
 * - the handler resolving acks the message; throwing sends it to a retry queue (backoff) and, once
 *   `maxAttempts` deliveries failed, to the DLQ with `bb-error` (≤ 4 KiB), `bb-attempts`,
 *   `bb-first-failure-at`, `bb-last-failure-at`. Moving a message (retry or DLQ) is confirmed by the
 *   broker before the original is acked: at-least-once, never lost, possibly duplicated;
 * - delivery is at-least-once: a handler may see an event again (after a crash, a reconnect, a
 *   republish); `idempotent: true` skips event_ids already handled by the service;
 * - ordering: with one consumer on the queue, `concurrency: 1` and no retries, events are handled in
 *   the order they were published; retries, competing consumers or `concurrency > 1` reorder;
 * - after a lost connection the subscription re-subscribes exactly once when the connection is back;
 * - `Subscription.close()` cancels the consumer, finishes and acks what was already delivered, then
 *   closes its channel; nothing is dead-lettered or retried because of a shutdown.
 */

export interface AmqpSubscriber<M extends Catalog = Catalog> extends EventSubscriber<M>, ReplyQueues {
  subscribe<P extends string>(
    patterns: P | readonly P[],
    handler: Handler<M, KeysMatching<P, keyof M & string>>,
    options: AmqpSubscribeOptions & AcceptOlderOption<M, KeysMatching<P, keyof M & string>>,
  ): Promise<AmqpSubscription>;
  /** Depth and consumer count of any queue (passive declare); null when it does not exist. */
  queueStats(queue: string): Promise<QueueStats | null>;
  readonly exchange: string;
  /** Closes every subscription (see `Subscription.close`), then the own connection if any. */
  close(): Promise<void>;
}

export async function createSubscriber<M extends Catalog>(
  options: SubscriberOptions<M>,
): Promise<AmqpSubscriber<M>> {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'amqp-consumer' });
  const router = createExchangeRouter(options.registry, options.exchange);
  const exchange = router.fallback.name;
  const policy = resolveRetryPolicy(options.retry);
  const deliveryLimit = options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
  let connection: ConsumerConnection;
  let ownsConnection = false;
  if (options.connection) connection = options.connection;
  else if (options.url) {
    const { createConnection } = await import('./connection.js');
    connection = await createConnection({
      url: options.url,
      name: options.connectionName ?? 'bloodbank-consumer',
      logger: options.logger ?? pino({ level: 'silent' }),
    });
    ownsConnection = true;
  } else throw new BloodbankError('createSubscriber needs `connection` or `url`');

  let fallbackGate: IdempotencyGate | null = null;
  const subscriptions = new Set<SubscriptionImpl>();
  const replyQueues = new Set<ReplyQueue>();
  let closed = false;

  const subscriber: AmqpSubscriber<M> = {
    exchange,
    async subscribe(patterns, handler, subscribeOptions) {
      if (closed) throw new BloodbankError('subscriber is closed');
      const list: readonly string[] = typeof patterns === 'string' ? [patterns] : [...patterns];
      if (list.length === 0) throw new RangeError('subscribe needs at least one pattern');
      for (const p of list) assertTopicPattern(p);
      let gate: IdempotencyGate | null = null;
      if (subscribeOptions.idempotent) {
        gate = options.idempotency ?? null;
        if (!gate) {
          logger.warn(
            { service: subscribeOptions.service },
            'idempotent subscription without an idempotency store: using an in-process one',
          );
          gate = fallbackGate ??= createMemoryIdempotency();
        }
      }
      const registry = options.registry as unknown as Registry;
      const older = olderVersions(registry, list, (subscribeOptions as AcceptOlder).acceptOlder);
      const patternsWithOlder = [...list, ...older.bindings];
      const pinned = subscribeOptions.parameters ?? {};
      checkPinned(
        registry.list().filter((d) => compileTopicPatterns(patternsWithOlder)(d.key)),
        subscribeOptions.parameters,
      );
      const topology = router.topologyFor(patternsWithOlder, pinned);
      // A channel bound as a queue (`is: queue`) is consumed from that queue, declared as its binding says.
      const names = topology.queue
        ? queueNamesOf(topology.queue.name)
        : subscribeOptions.queue
          ? queueNamesOf(subscribeOptions.queue)
          : queueNames(exchange, subscribeOptions.service);
      assertOneBindingSet(
        [...subscriptions].map((s) => ({ queue: s.queue, patterns: s.patterns })),
        names.main,
        list,
      );
      const maxAttempts = subscribeOptions.maxAttempts ?? policy.maxAttempts;
      const sub = new SubscriptionImpl({
        connection,
        registry,
        bindings: topology.bindings,
        mainQueue: topology.queue,
        bare: isBare(registry)
          ? {
              registry,
              subscribed: compileTopicPatterns(patternsWithOlder),
              pinned,
              filter: topology.filter,
            }
          : null,
        names,
        service: subscribeOptions.service,
        patterns: patternsWithOlder,
        upcasts: older.upcasts,
        handler: handler as unknown as RawHandler,
        policy: resolveRetryPolicy({ maxAttempts, delaysMs: policy.delaysMs }),
        deliveryLimit,
        prefetch: subscribeOptions.prefetch ?? 10,
        concurrency: subscribeOptions.concurrency ?? 1,
        allowUnknown: subscribeOptions.allowUnknown ?? false,
        gate,
        onDuplicate: subscribeOptions.onDuplicate ?? null,
        logger: logger.child({ service: subscribeOptions.service }),
        metrics: options.metrics ?? null,
        closeTimeoutMs: options.closeTimeoutMs ?? 30_000,
        onClosed: (s) => subscriptions.delete(s),
      });
      subscriptions.add(sub);
      try {
        await sub.start();
      } catch (error) {
        subscriptions.delete(sub);
        await sub.close();
        throw error;
      }
      return sub;
    },
    queueStats: (queue) => passiveQueueStats(connection, queue),
    async openReplyQueue(onMessage) {
      if (closed) throw new BloodbankError('subscriber is closed');
      const queue = await openReplyQueue(connection, onMessage, logger);
      replyQueues.add(queue);
      return {
        name: queue.name,
        close: async () => {
          replyQueues.delete(queue);
          await queue.close();
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await Promise.all([...replyQueues].map((q) => q.close()));
      if (ownsConnection) await connection.close();
    },
  };
  return subscriber;
}

/** Depth and consumers of a queue through a passive declare on a short-lived channel. */
export async function passiveQueueStats(
  connection: Pick<ConsumerConnection, 'createChannel'>,
  queue: string,
): Promise<QueueStats | null> {
  const ch = await connection.createChannel();
  ch.on('error', () => {});
  try {
    const r = await ch.checkQueue(queue);
    return { queue, messageCount: r.messageCount, consumerCount: r.consumerCount };
  } catch (error) {
    if ((error as { code?: number }).code === 404) return null;
    throw error;
  } finally {
    await ch.close().catch(() => {});
  }
}

type RawHandler = (event: Envelope, context: MessageContext) => void | Promise<void>;

interface SubscriptionConfig {
  readonly connection: ConsumerConnection;
  readonly registry: Registry;
  /** Exchanges the main queue is bound on, with their keys. */
  readonly bindings: readonly QueueBinding[];
  /** A queue a channel's binding names (`is: queue`): declared as it says instead of our quorum queue. */
  readonly mainQueue: {
    readonly durable: boolean;
    readonly exclusive: boolean;
    readonly autoDelete: boolean;
  } | null;
  readonly bare: BareSubscription | null;
  readonly names: QueueNames;
  readonly service: string;
  readonly patterns: readonly string[];
  readonly upcasts: ReadonlyMap<string, Upcaster>;
  readonly handler: RawHandler;
  readonly policy: RetryPolicy;
  readonly deliveryLimit: number;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly allowUnknown: boolean;
  readonly gate: IdempotencyGate | null;
  readonly onDuplicate: SubscribeOptions['onDuplicate'] | null;
  readonly logger: Logger;
  readonly metrics: BloodbankMetrics | null;
  readonly closeTimeoutMs: number;
  readonly onClosed: (s: SubscriptionImpl) => void;
}

interface Delivery {
  readonly msg: ConsumeMessage;
  readonly channel: ConfirmChannel;
}

class SubscriptionImpl implements AmqpSubscription {
  readonly queue: string;
  readonly service: string;
  readonly patterns: readonly string[];
  readonly #pipeline: PipelineSettings;
  #state: SubscriptionState = 'starting';
  #channel: ConfirmChannel | null = null;
  #consumerTag: string | null = null;
  #consumeCount = 0;
  #recovering: Promise<void> | null = null;
  #buffer: Delivery[] = [];
  #running = 0;
  #idleWaiters: Array<() => void> = [];
  #wake: (() => void) | null = null;
  readonly #abort = new AbortController();
  readonly #cfg: SubscriptionConfig;
  readonly #onReconnected = () => {
    this.#wake?.();
    if (this.#state === 'recovering' && !this.#channel) this.#recover();
  };
  #closing: Promise<void> | null = null;

  constructor(cfg: SubscriptionConfig) {
    this.#cfg = cfg;
    this.queue = cfg.names.main;
    this.service = cfg.service;
    this.patterns = cfg.patterns;
    this.#pipeline = {
      registry: cfg.registry,
      allowUnknown: cfg.allowUnknown,
      queue: cfg.names.main,
      service: cfg.service,
      patterns: cfg.patterns,
      subscribed: compileTopicPatterns(cfg.patterns),
      upcasts: cfg.upcasts,
      bare: cfg.bare,
      policy: cfg.policy,
      gate: cfg.gate,
      onDuplicate: cfg.onDuplicate ?? null,
      handler: cfg.handler,
      logger: cfg.logger,
      metrics: cfg.metrics,
      signal: this.#abort.signal,
      now: () => new Date(),
    };
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  async start(): Promise<void> {
    this.#cfg.connection.on('reconnected', this.#onReconnected);
    await this.#open();
    this.#state = 'consuming';
  }

  /** Retry delays a message of this subscription can be sent to (a queue each). */
  #retryDelays(): number[] {
    const delays = new Set<number>();
    for (let n = 1; n < this.#cfg.policy.maxAttempts; n += 1) delays.add(backoffDelay(this.#cfg.policy, n));
    if (this.#cfg.gate) delays.add(backoffDelay(this.#cfg.policy, 1));
    return [...delays];
  }

  async #open(): Promise<void> {
    const { connection, names, bindings } = this.#cfg;
    for (const b of bindings) await ensureEventExchange(connection, b.exchange);
    const ch = await connection.createConfirmChannel();
    ch.on('error', (error: Error) => this.#cfg.logger.warn({ err: error }, 'channel error'));
    ch.on('close', () => this.#onChannelClosed(ch));
    try {
      await ch.assertQueue(names.dlq, { durable: true, arguments: dlqArguments() });
      for (const delay of this.#retryDelays())
        await ch.assertQueue(names.retry(delay), {
          durable: true,
          arguments: retryQueueArguments(names, delay),
        });
      const own = this.#cfg.mainQueue;
      await ch.assertQueue(
        names.main,
        own
          ? { durable: own.durable, exclusive: own.exclusive, autoDelete: own.autoDelete }
          : { durable: true, arguments: mainQueueArguments(names, this.#cfg.deliveryLimit) },
      );
      for (const b of bindings)
        for (const key of b.keys) await ch.bindQueue(names.main, b.exchange.name, key);
      await ch.prefetch(this.#cfg.prefetch);
      if (this.#state === 'closing' || this.#state === 'closed') {
        await ch.close().catch(() => {});
        return;
      }
      const { consumerTag } = await ch.consume(names.main, (msg) => this.#onMessage(ch, msg), {
        noAck: false,
      });
      this.#channel = ch;
      this.#consumerTag = consumerTag;
      this.#consumeCount += 1;
      this.#cfg.logger.info(
        { queue: names.main, consumerTag, consumeCount: this.#consumeCount },
        this.#consumeCount === 1 ? 'subscribed' : 're-subscribed',
      );
    } catch (error) {
      await ch.close().catch(() => {});
      const code = (error as { code?: number }).code;
      const refusal = code === 403 ? parseAccessRefusal(error) : undefined;
      if (refusal) throw subscribeRefused(this.service, names.main, refusal, error);
      if (code === 406)
        throw new BloodbankError(
          `cannot declare the queues of service ${this.service}: a queue exists with other arguments (${(error as Error).message}); ` +
            'delete it or migrate its messages (see runtime/amqp/queues.ts)',
          { cause: error },
        );
      throw error;
    }
  }

  #onChannelClosed(ch: ConfirmChannel): void {
    if (ch !== this.#channel) return;
    this.#channel = null;
    this.#consumerTag = null;
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'recovering';
    this.#cfg.logger.warn({ queue: this.queue }, 'channel closed; re-subscribing when possible');
    this.#recover();
  }

  /** Single-flight: however many triggers (channel close, `reconnected`), one `basic.consume` per loss. */
  #recover(): void {
    if (this.#recovering) return;
    this.#recovering = (async () => {
      let delay = 100;
      while (this.#state === 'recovering' && !this.#channel) {
        try {
          await this.#open();
          if (this.#channel) this.#state = 'consuming';
          return;
        } catch (error) {
          this.#cfg.logger.warn({ err: error, delayMs: delay }, 're-subscribe failed; retrying');
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, delay);
            this.#wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          this.#wake = null;
          delay = Math.min(delay * 2, 5_000);
        }
      }
    })().finally(() => {
      this.#recovering = null;
    });
  }

  #onMessage(ch: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted): re-open, which re-declares the queue.
      this.#cfg.logger.warn({ queue: this.queue }, 'consumer cancelled by the broker');
      if (ch === this.#channel) void ch.close().catch(() => {});
      return;
    }
    this.#buffer.push({ msg, channel: ch });
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#cfg.concurrency && this.#buffer.length > 0) {
      const d = this.#buffer.shift() as Delivery;
      this.#running += 1;
      void this.#handle(d)
        .catch((error: unknown) => this.#cfg.logger.error({ err: error }, 'delivery handling failed'))
        .finally(() => {
          this.#running -= 1;
          this.#pump();
          if (this.#running === 0 && this.#buffer.length === 0)
            for (const w of this.#idleWaiters.splice(0)) w();
        });
    }
  }

  /** One delivery through the shared pipeline (delivery/pipeline.ts); AMQP only says how to settle it. */
  #handle(d: Delivery): Promise<void> {
    const { msg } = d;
    const { names } = this.#cfg;
    const message: InboundMessage = {
      body: msg.content,
      headers: (msg.properties.headers ?? {}) as Record<string, unknown>,
      redelivered: msg.fields.redelivered,
      routingKey: originalRoutingKey(msg),
      messageId: msg.properties.messageId,
      ...(typeof msg.properties.replyTo === 'string' ? { replyTo: msg.properties.replyTo } : {}),
      ...(typeof msg.properties.correlationId === 'string'
        ? { correlationId: msg.properties.correlationId }
        : {}),
      type: msg.properties.type,
      timestamp: msg.properties.timestamp,
      appId: msg.properties.appId,
    };
    return deliver(
      message,
      {
        ack: () => this.#ack(d),
        giveBack: () => this.#nack(d, true),
        retryLater: (headers, delayMs) => this.#republish(d, names.retry(delayMs), headers),
        deadLetter: (headers) => this.#republish(d, names.dlq, headers),
      },
      this.#pipeline,
    );
  }

  /** Send a copy to `queue`, wait for the broker's confirm, then ack the original. False if not moved. */
  async #republish(d: Delivery, queue: string, headers: Record<string, unknown>): Promise<boolean> {
    try {
      await new Promise<void>((resolve, reject) => {
        d.channel.sendToQueue(queue, d.msg.content, copyProperties(d.msg, headers), (err: unknown) =>
          err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
        );
      });
    } catch (error) {
      // Not confirmed: leave the original to the broker (requeued now, or redelivered after a reconnect).
      this.#cfg.logger.warn({ err: error, queue }, 'republish not confirmed; requeueing the original');
      this.#nack(d, true);
      return false;
    }
    this.#ack(d);
    return true;
  }

  #ack(d: Delivery): void {
    try {
      d.channel.ack(d.msg);
    } catch (error) {
      // The channel died: the broker redelivers the message (at-least-once).
      this.#cfg.logger.debug({ err: error }, 'ack on a closed channel');
    }
  }

  #nack(d: Delivery, requeue: boolean): void {
    try {
      d.channel.nack(d.msg, false, requeue);
    } catch (error) {
      this.#cfg.logger.debug({ err: error }, 'nack on a closed channel');
    }
  }

  #idle(): Promise<void> {
    if (this.#running === 0 && this.#buffer.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    this.#cfg.connection.off('reconnected', this.#onReconnected);
    this.#wake?.();
    const ch = this.#channel;
    if (ch && this.#consumerTag) await ch.cancel(this.#consumerTag).catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.#idle().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#cfg.closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#cfg.logger.warn({ inFlight: this.#running }, 'close timed out; aborting handlers');
      this.#abort.abort();
      await Promise.race([this.#idle(), new Promise((r) => setTimeout(r, 1_000))]);
    }
    this.#state = 'closed';
    this.#channel = null;
    if (ch) await ch.close().catch(() => {});
    this.#cfg.onClosed(this);
  }

  async health(): Promise<SubscriptionHealth> {
    let stats: QueueStats | null = null;
    try {
      stats = await passiveQueueStats(this.#cfg.connection, this.queue);
    } catch {
      stats = null;
    }
    return {
      queue: this.queue,
      state: this.#state,
      healthy: this.#state === 'consuming' && stats !== null,
      consumerTag: this.#consumerTag,
      consumeCount: this.#consumeCount,
      inFlight: this.#running,
      buffered: this.#buffer.length,
      stats,
    };
  }
}

function originalRoutingKey(msg: ConsumeMessage): string {
  const h = msg.properties.headers?.[HEADERS.originalRoutingKey];
  return typeof h === 'string' ? h : msg.fields.routingKey;
}

/** The original's properties, with new headers. */
export function copyProperties(
  msg: Pick<ConsumeMessage, 'properties'>,
  headers: Record<string, unknown>,
): Options.Publish {
  const p = msg.properties;
  const out: Options.Publish = { persistent: true, headers };
  if (p.contentType !== undefined) out.contentType = p.contentType as string;
  if (p.contentEncoding !== undefined) out.contentEncoding = p.contentEncoding as string;
  if (p.messageId !== undefined) out.messageId = p.messageId as string;
  if (p.type !== undefined) out.type = p.type as string;
  if (p.timestamp !== undefined) out.timestamp = p.timestamp as number;
  if (p.appId !== undefined) out.appId = p.appId as string;
  if (p.correlationId !== undefined) out.correlationId = p.correlationId as string;
  if (p.replyTo !== undefined) out.replyTo = p.replyTo as string;
  return out;
}

/** A clear error for a subscription the broker's permissions refuse (403 while declaring or binding). */
function subscribeRefused(
  service: string,
  queue: string,
  refusal: AccessRefusal,
  cause: unknown,
): AccessRefusedError {
  const what =
    refusal.kind === 'topic'
      ? `binding pattern ${refusal.resource} is outside the read topic permissions of user ${refusal.user} on exchange ${refusal.exchange ?? '?'}`
      : `user ${refusal.user} may not ${refusal.access ?? 'access'} ${refusal.kind} ${refusal.resource}`;
  return new AccessRefusedError(
    `cannot subscribe service ${service} (queue ${queue}): ${what} (403 ACCESS_REFUSED); ` +
      "change the service's policy and re-apply the broker definitions, or subscribe to less",
    refusal,
    { cause },
  );
}
