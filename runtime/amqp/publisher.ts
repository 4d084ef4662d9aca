/**
 * The confirmed publisher over an amqplib ConfirmChannel.
 *
 * Contract:
 * - `publish()` validates (defaults applied) before anything is sent, and resolves only once the broker
 *   confirmed the message (`basic.ack`). It rejects with `PayloadValidationError` (nothing sent),
 *   `NackError`, `PublishTimeoutError` (no confirm within `confirmTimeoutMs` of the last send),
 *   `UnroutableError` (a `mandatory` message returned: no queue bound) or `ConnectionError` (held too long
 *   or too many held while disconnected, or the publisher is closed).
 * - At most `maxInFlight` messages are unconfirmed at a time; socket back-pressure (`drain`) is honoured.
 * - Messages go out in the order they were accepted. While disconnected, new publishes are held (at most
 *   `buffer.maxMessages`, each at most `buffer.maxAgeMs`). After a reconnect the exchange is re-declared,
 *   the unconfirmed messages are republished in their original order, then the held ones. A republished
 *   message may reach queues twice (the first copy was routed but its confirm lost): consumers deduplicate
 *   by event_id. Delivery is therefore at least once for every resolved `publish()`. With several nodes
 *   (`url` listing a cluster's nodes) the reconnect lands on another node and the same republish runs.
 * - A `basic.nack` closes the channel and opens a new one (RabbitMQ 3.10.8: a channel whose first publish
 *   to a quorum queue lands during a leader election gets every later publish nacked), and the nacked
 *   message is sent again, at most `nackRetries` times; then `publish()` rejects with `NackError`.
 * - With a tracker, the parent links of a confirmed event are recorded after its confirm (a failed
 *   publish leaves no link); a tracker failure is logged and counted, never fails the publish.
 * - `close()` stops accepting, waits until every accepted publish settled, then closes the channel and
 *   (when the publisher opened it) the connection.
 */
import { hostname } from 'node:os';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { pino, type Logger } from 'pino';
import type { EventPublisher, PublishOptions, PublishReceipt } from '../bus.js';
import { createEnvelope, type CreateEnvelopeOptions, type Envelope, type SourceInput } from '../envelope.js';
import { ConnectionError } from '../errors/connection-error.js';
import { NackError } from '../errors/nack-error.js';
import { PayloadValidationError } from '../errors/payload-validation-error.js';
import { underPayload } from '../validation.js';
import { PublishTimeoutError } from '../errors/publish-timeout-error.js';
import { UnroutableError } from '../errors/unroutable-error.js';
import { parseAccessRefusal, type AccessRefusal } from '../errors/access-refused-error.js';
import { PublishRefusedError } from '../errors/publish-refused-error.js';
import { deterministicId } from '../ids.js';
import { DeprecationNotices } from '../deprecation.js';
import type { BloodbankMetrics } from '../metrics.js';
import type { Catalog, Registry } from '../registry.js';
import type { BareRoute } from '../delivery/bare.js';
import { createConnection, type BloodbankConnection } from './connection.js';
import { createExchangeRouter, ensureEventExchange, type ExchangeRouter } from './topology.js';
import { canSendDirectly, sendConfirmed } from './fast-publish.js';
import { createOutboundEncoder, type OutboundEncoder } from './outbound.js';
import { clearTimer, type Entry } from './publish-entry.js';
import { HeldQueue } from './held-queue.js';
import { ConfirmTracker } from './confirm-tracker.js';
import { WorkflowIds, type PublisherTracker } from './workflow-ids.js';

export type { PublisherTracker } from './workflow-ids.js';

export interface PublisherOptions<M extends Catalog = Catalog> {
  readonly registry: Registry<M>;
  /** Default `amqp://localhost:5672` (pass `loadConfig().rabbitUrl`). */
  readonly url?: string;
  /**
   * When set, every event is published here. Unset: each event goes to the exchange its channel's AMQP
   * binding names (registry `exchange`), else `bloodbank.events.v1` (see amqp/topology.ts).
   */
  readonly exchange?: string;
  /** Default source of published envelopes: this host, type `manual`, no app. */
  readonly source?: SourceInput;
  readonly logger?: Logger;
  readonly metrics?: BloodbankMetrics;
  /** Correlation tracking: links recorded after confirm; workflow ids of parents looked up. */
  readonly tracker?: PublisherTracker;
  /** Bounded wait for a tracker call (ms, default 250). */
  readonly trackerTimeoutMs?: number;
  /** Unconfirmed messages at most (default 1,000). */
  readonly maxInFlight?: number;
  /** Default 10,000 ms, per send. */
  readonly confirmTimeoutMs?: number;
  /** Held while disconnected: count and age bounds (defaults 10,000 and 30,000 ms). */
  readonly buffer?: { readonly maxMessages?: number; readonly maxAgeMs?: number };
  /** Resends of a nacked message, each on a new channel, before `NackError` (default 3). */
  readonly nackRetries?: number;
  /** Default true: unroutable messages reject with `UnroutableError`. */
  readonly mandatory?: boolean;
  /** `connection_name` of the connection the publisher opens. */
  readonly connectionName?: string;
  /** Share an existing connection instead (not closed by `close()`). */
  readonly connection?: BloodbankConnection;
}

export interface PublisherStats {
  /** Sent and not yet confirmed or nacked by the broker. */
  readonly inFlight: number;
  /** Accepted and not yet sent (held while disconnected, or waiting for the window). */
  readonly buffered: number;
  /** `publish()` calls not yet settled. */
  readonly pending: number;
  /** Sends, republishes included. */
  readonly published: number;
  readonly confirmed: number;
  readonly republished: number;
  readonly returned: number;
  readonly nacked: number;
}

export interface PublisherHealth {
  /** `up`: a confirm channel is open; `down`: holding publishes until the broker is back. */
  readonly status: 'up' | 'down' | 'closed';
  readonly connected: boolean;
  readonly inFlight: number;
  readonly buffered: number;
  readonly lastError: string | null;
}

export interface Publisher<M extends Catalog = Catalog> extends EventPublisher<M> {
  stats(): PublisherStats;
  health(): PublisherHealth;
  /** Resolves once a confirm channel is open and the exchange declared. */
  ready(): Promise<void>;
  /** Sends an envelope the caller validated with this registry's validators, as is (see the class). */
  publishValidated(envelope: Envelope, options?: PublishOptions): Promise<PublishReceipt>;
  readonly connection: Promise<BloodbankConnection>;
}

const NACKED = 'message nacked'; // amqplib's error for a basic.nack (anything else: the channel closed)

export function createPublisher<M extends Catalog = Catalog>(options: PublisherOptions<M>): Publisher<M> {
  return new AmqpPublisher<M>(options);
}

class AmqpPublisher<M extends Catalog> implements Publisher<M> {
  readonly connection: Promise<BloodbankConnection>;
  readonly #registry: Registry<M>;
  readonly #exchanges: ExchangeRouter;
  readonly #outbound: OutboundEncoder;
  readonly #source: SourceInput;
  readonly #logger: Logger;
  readonly #metrics: BloodbankMetrics | undefined;
  readonly #deprecations: DeprecationNotices;
  /** Set when tracking: parents' workflow ids and the links recorded after confirm. */
  readonly #workflows: WorkflowIds | null;
  readonly #maxInFlight: number;
  readonly #confirmTimeoutMs: number;
  readonly #maxBuffered: number;
  readonly #maxAgeMs: number;
  readonly #mandatory: boolean;
  readonly #nackRetries: number;
  readonly #ownsConnection: boolean;

  #conn: BloodbankConnection | null = null;
  #channel: ConfirmChannel | null = null;
  readonly #counters = new Map<string, { published: { inc(): void }; confirmed: { inc(): void } }>();
  /** The channel takes pre-built fields (fast-publish.ts); false: plain `channel.publish`. */
  #direct = false;
  #opening = false;
  #draining = false;
  #closing = false;
  #closed = false;
  #lastError: string | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #idleWaiters: Array<() => void> = [];

  /** Accepted, not sent (held while disconnected or waiting for the window), and lost on a closed channel. */
  readonly #held = new HeldQueue();
  /** Sent on the current channel and not yet answered. */
  readonly #confirms = new ConfirmTracker();
  #timeoutTicker: NodeJS.Timeout | null = null;
  /** The 403 refusal a channel was closed with, until its 'close' event settles the refused message. */
  readonly #refusals = new WeakMap<ConfirmChannel, AccessRefusal>();
  #seq = 0;
  #pending = 0;
  #counts = { published: 0, confirmed: 0, republished: 0, returned: 0, nacked: 0 };

  constructor(options: PublisherOptions<M>) {
    this.#registry = options.registry;
    this.#exchanges = createExchangeRouter(options.registry, options.exchange);
    this.#outbound = createOutboundEncoder(options.registry as unknown as Registry, this.#exchanges);
    this.#source = options.source ?? { host: hostname(), type: 'manual' };
    this.#logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'publisher' });
    this.#metrics = options.metrics;
    this.#deprecations = new DeprecationNotices(this.#logger, this.#metrics);
    this.#workflows = options.tracker
      ? new WorkflowIds(options.tracker, options.trackerTimeoutMs ?? 250, this.#logger, this.#metrics)
      : null;
    this.#maxInFlight = positive('maxInFlight', options.maxInFlight ?? 1000);
    this.#confirmTimeoutMs = positive('confirmTimeoutMs', options.confirmTimeoutMs ?? 10_000);
    this.#maxBuffered = positive('buffer.maxMessages', options.buffer?.maxMessages ?? 10_000);
    this.#maxAgeMs = positive('buffer.maxAgeMs', options.buffer?.maxAgeMs ?? 30_000);
    this.#mandatory = options.mandatory ?? true;
    this.#nackRetries = options.nackRetries ?? 3;
    if (!(this.#nackRetries >= 0))
      throw new RangeError(`createPublisher: nackRetries must be >= 0 (got ${this.#nackRetries})`);
    this.#ownsConnection = options.connection === undefined;
    this.connection = options.connection
      ? Promise.resolve(options.connection)
      : createConnection({
          url: options.url ?? 'amqp://localhost:5672',
          name: options.connectionName ?? `bloodbank-publisher@${hostname()}#${process.pid}`,
          logger: this.#logger,
        });
    this.connection.then(
      (conn) => this.#attach(conn),
      (error: unknown) => {
        this.#lastError = String(error);
        this.#logger.error({ err: error }, 'cannot create the connection');
        this.#failAll(new ConnectionError('cannot create the AMQP connection', { cause: error }));
      },
    );
    this.#startSweeper();
  }

  /* ---------- public API ---------- */

  publish<K extends keyof M & string>(
    eventType: K,
    payload: M[K]['input'],
    options: PublishOptions = {},
  ): Promise<PublishReceipt<K, M[K]['payload']>> {
    try {
      return this.#publish(eventType, payload, options) as Promise<PublishReceipt<K, M[K]['payload']>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Synchronous up to the hand-over, so that the order of `publish()` calls is the order on the wire. */
  #publish(eventType: string, payload: unknown, options: PublishOptions): Promise<PublishReceipt> {
    const definition = this.#registry.require(eventType);
    this.#deprecations.note(definition);
    const result = definition.validatePublish(payload);
    if (!result.ok) {
      this.#metrics?.validationFailures.inc({ event_type: eventType, stage: 'publish' });
      throw new PayloadValidationError('publish', eventType, underPayload(result.issues));
    }
    const route = this.#outbound.prepare(eventType, result.value, options);
    const eventId =
      options.eventId ??
      (options.idempotencyFields ? deterministicId(eventType, options.idempotencyFields) : undefined);
    // Built without spreads: this runs once per message.
    const envelopeOptions: CreateEnvelopeOptions = { source: options.source ?? this.#source };
    if (options.correlationIds) envelopeOptions.correlationIds = options.correlationIds;
    if (options.agentContext !== undefined) envelopeOptions.agentContext = options.agentContext;
    if (eventId !== undefined) envelopeOptions.eventId = eventId;
    const envelope = createEnvelope(eventType, result.value, envelopeOptions);
    return this.#submit(envelope, options, true, route);
  }

  async publishEnvelope(envelope: Envelope, options: PublishOptions = {}): Promise<PublishReceipt> {
    const definition = this.#registry.require(envelope.event_type);
    const envelopeValidator = this.#registry.envelope?.validatePublish;
    if (envelopeValidator) {
      const checked = envelopeValidator(envelope);
      if (!checked.ok) {
        this.#metrics?.validationFailures.inc({ event_type: envelope.event_type, stage: 'publish' });
        throw new PayloadValidationError('publish', envelope.event_type, checked.issues);
      }
    }
    const result = definition.validatePublish(envelope.payload);
    if (!result.ok) {
      this.#metrics?.validationFailures.inc({ event_type: envelope.event_type, stage: 'publish' });
      throw new PayloadValidationError('publish', envelope.event_type, underPayload(result.issues));
    }
    const route = this.#outbound.prepare(envelope.event_type, result.value, options);
    return this.#submit({ ...envelope, payload: result.value }, options, false, route);
  }

  /**
   * Publish an envelope its caller has already validated with this registry's envelope and publish
   * validators, defaults applied (the gateway validates each request to answer with located issues):
   * it is sent as is, not validated a second time on the hot path. Anything else uses publishEnvelope.
   */
  async publishValidated(envelope: Envelope, options: PublishOptions = {}): Promise<PublishReceipt> {
    this.#registry.require(envelope.event_type);
    const route = this.#outbound.prepare(envelope.event_type, envelope.payload, options);
    return this.#submit(envelope, options, false, route);
  }

  stats(): PublisherStats {
    return {
      inFlight: this.#confirms.size,
      buffered: this.#buffered(),
      pending: this.#pending,
      ...this.#counts,
    };
  }

  health(): PublisherHealth {
    return {
      status: this.#closed ? 'closed' : this.#channel ? 'up' : 'down',
      connected: this.#conn?.connected ?? false,
      inFlight: this.#confirms.size,
      buffered: this.#buffered(),
      lastError: this.#lastError,
    };
  }

  ready(): Promise<void> {
    if (this.#channel) return Promise.resolve();
    if (this.#closing) return Promise.reject(new ConnectionError('publisher is closed'));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.#closing) {
      await this.#whenIdle();
      return;
    }
    this.#closing = true;
    await this.#whenIdle();
    this.#closed = true;
    this.#stopSweeper();
    const channel = this.#channel;
    this.#channel = null;
    const closedError = new ConnectionError('publisher is closed');
    for (const w of this.#readyWaiters.splice(0)) w.reject(closedError);
    if (channel) await channel.close().catch(() => undefined);
    this.#leaveConnection();
    if (this.#ownsConnection) {
      const conn = await this.connection.catch(() => null);
      await conn?.close();
    }
    this.#logger.info(this.stats(), 'publisher closed');
  }

  /* ---------- accepting ---------- */

  /** `ordered`: the envelope comes from createEnvelope, its fields already in wire order. */
  #submit(
    envelope: Envelope,
    options: PublishOptions,
    ordered: boolean,
    route: BareRoute | null,
  ): Promise<PublishReceipt> {
    if (this.#closing)
      throw new ConnectionError(`cannot publish ${envelope.event_type}: publisher is closed`);
    const parents = envelope.correlation_ids;
    if (options.workflowId === undefined && parents.length > 0 && this.#workflows)
      return this.#workflows
        .ofParents(parents)
        .then((workflowId) => this.#enqueue(envelope, options, ordered, workflowId, route));
    const workflowId = options.workflowId ?? parents[0] ?? envelope.event_id;
    return this.#enqueue(envelope, options, ordered, workflowId, route);
  }

  #enqueue(
    envelope: Envelope,
    options: PublishOptions,
    ordered: boolean,
    workflowId: string,
    route: BareRoute | null,
  ): Promise<PublishReceipt> {
    const parents = envelope.correlation_ids;
    const mandatory = options.mandatory ?? this.#mandatory;
    const message = this.#outbound.encode(envelope, options, ordered, workflowId, mandatory, route);
    if (this.#closing)
      throw new ConnectionError(`cannot publish ${envelope.event_type}: publisher is closed`);
    if (!this.#channel && this.#buffered() >= this.#maxBuffered)
      throw new ConnectionError(
        `cannot publish ${envelope.event_type}: not connected and ${this.#maxBuffered} messages already held`,
      );
    return new Promise<PublishReceipt>((resolve, reject) => {
      const entry: Entry = {
        seq: ++this.#seq,
        envelope,
        body: message.body,
        publishOptions: message.publishOptions,
        fields: message.fields,
        mandatory,
        timeoutMs: options.timeoutMs ?? this.#confirmTimeoutMs,
        queuedAt: Date.now(),
        link:
          this.#workflows && parents.length > 0
            ? {
                parents,
                workflowId,
                ...(options.correlationMetadata ? { metadata: options.correlationMetadata } : {}),
              }
            : null,
        resolve,
        reject,
        sends: 0,
        nacks: 0,
        sentAt: 0,
        timer: null,
        returned: null,
        settled: false,
      };
      this.#pending += 1;
      this.#held.push(entry);
      this.#gaugeBuffered();
      this.#pump();
    });
  }

  /* ---------- sending ---------- */

  #pump(): void {
    const channel = this.#channel;
    if (!channel) return;
    while (!this.#draining && this.#confirms.size < this.#maxInFlight && this.#held.hasNext) {
      const entry = this.#held.next() as Entry;
      if (entry.settled) continue;
      if (!this.#send(channel, entry)) break;
    }
    this.#held.compact();
    this.#gaugeBuffered();
  }

  /** False when the channel is unusable (the entry is then back at the head of the queue). */
  #send(channel: ConfirmChannel, entry: Entry): boolean {
    const { envelope } = entry;
    let accepted: boolean;
    try {
      accepted = sendConfirmed(
        channel,
        this.#direct,
        entry.fields,
        entry.publishOptions,
        entry.body,
        (error: unknown) => this.#onConfirm(channel, entry, error),
      );
    } catch (error) {
      // The channel closed under us (synchronous IllegalOperationError): no confirm callback was kept.
      this.#held.unshiftLast();
      this.#lastError = String(error);
      this.#detach(channel);
      return false;
    }
    entry.sends += 1;
    entry.sentAt = performance.now();
    entry.returned = null;
    this.#confirms.add(entry);
    this.#counts.published += 1;
    this.#countersOf(envelope.event_type)?.published.inc();
    if (entry.sends > 1) {
      this.#counts.republished += 1;
      this.#metrics?.republished.inc();
    }
    this.#metrics?.inFlight.set(this.#confirms.size);
    // The default timeout is checked by one ticker (in send order); a per-publish one gets its own timer.
    if (!entry.settled && entry.timeoutMs !== this.#confirmTimeoutMs) {
      entry.timer = setTimeout(() => this.#onTimeout(entry), entry.timeoutMs);
      entry.timer.unref?.();
    }
    if (!accepted) {
      this.#draining = true;
      channel.once('drain', () => {
        if (this.#channel !== channel) return;
        this.#draining = false;
        this.#pump();
      });
    }
    return true;
  }

  #onConfirm(channel: ConfirmChannel, entry: Entry, error: unknown): void {
    this.#confirms.forget(entry);
    this.#metrics?.inFlight.set(this.#confirms.size);
    clearTimer(entry);
    const eventType = entry.envelope.event_type;
    if (error === null || error === undefined) {
      if (entry.returned && entry.mandatory) {
        this.#settle(
          entry,
          new UnroutableError(
            eventType,
            entry.envelope.event_id,
            entry.fields.exchange,
            entry.returned.code,
            entry.returned.text,
          ),
        );
      } else if (!entry.settled) {
        this.#counts.confirmed += 1;
        this.#countersOf(eventType)?.confirmed.inc();
        this.#metrics?.confirmLatency.observe((performance.now() - entry.sentAt) / 1000);
        void this.#confirmed(entry);
      }
    } else if (error instanceof Error && error.message === NACKED) {
      if (!entry.settled && entry.nacks < this.#nackRetries) {
        entry.nacks += 1;
        this.#held.lose(entry);
        this.#recycle(channel, entry);
        return;
      }
      this.#counts.nacked += 1;
      this.#metrics?.nacked.inc({ event_type: eventType });
      this.#settle(entry, new NackError(eventType, entry.envelope.event_id));
    } else {
      // The channel closed before the broker answered: send it again on the next channel.
      this.#detach(channel);
      if (!entry.settled) this.#held.lose(entry);
      return;
    }
    if (this.#channel === channel) this.#pump();
  }

  #onReturn(message: ConsumeMessage): void {
    const id = message.properties.messageId as unknown;
    if (typeof id !== 'string') return;
    const entry = this.#confirms.returnedOne(id);
    if (!entry) {
      this.#logger.warn({ eventId: id }, 'basic.return for a message no longer tracked');
      return;
    }
    const fields = message.fields as unknown as { replyCode?: number; replyText?: string };
    entry.returned = { code: fields.replyCode ?? 312, text: fields.replyText ?? 'NO_ROUTE' };
    this.#counts.returned += 1;
    this.#metrics?.returned.inc({ event_type: entry.envelope.event_type });
    this.#logger.warn(
      { eventId: id, eventType: entry.envelope.event_type, mandatory: entry.mandatory },
      'unroutable message returned by the broker',
    );
  }

  #onTimeout(entry: Entry): void {
    entry.timer = null;
    if (entry.settled) return;
    this.#settle(
      entry,
      new PublishTimeoutError(entry.envelope.event_type, entry.envelope.event_id, entry.timeoutMs),
    );
  }

  async #confirmed(entry: Entry): Promise<void> {
    if (entry.link && this.#workflows) await this.#workflows.record(entry);
    this.#settle(entry, null);
  }

  #settle(entry: Entry, error: Error | null): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimer(entry);
    this.#pending -= 1;
    if (error) {
      this.#lastError = error.message;
      entry.reject(error);
    } else {
      entry.resolve({
        eventId: entry.envelope.event_id,
        eventType: entry.envelope.event_type,
        envelope: entry.envelope,
      });
    }
    if (this.#pending === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  /** Reject entries sent longer than the default confirm timeout ago (oldest first; stops at a fresh one). */
  #checkTimeouts(): void {
    const now = performance.now();
    for (const e of this.#confirms) {
      if (e.timeoutMs !== this.#confirmTimeoutMs) continue;
      if (now - e.sentAt < e.timeoutMs) break;
      if (!e.settled)
        this.#settle(e, new PublishTimeoutError(e.envelope.event_type, e.envelope.event_id, e.timeoutMs));
    }
  }

  /* ---------- channel lifecycle ---------- */

  readonly #onUp = (): void => this.#openChannel();
  readonly #onFailed = (error: Error): void => {
    this.#lastError = error.message;
    this.#failAll(new ConnectionError('the AMQP connection gave up', { cause: error }));
  };

  #attach(conn: BloodbankConnection): void {
    this.#conn = conn;
    if (this.#closed) return;
    conn.on('connected', this.#onUp);
    conn.on('reconnected', this.#onUp);
    conn.on('failed', this.#onFailed);
    if (conn.connected) this.#openChannel();
  }

  /** A connection shared with others outlives this publisher: leave it without our listeners. */
  #leaveConnection(): void {
    const conn = this.#conn;
    if (!conn) return;
    conn.off('connected', this.#onUp);
    conn.off('reconnected', this.#onUp);
    conn.off('failed', this.#onFailed);
  }

  #openChannel(attempt = 0): void {
    const conn = this.#conn;
    if (!conn || this.#opening || this.#channel || this.#closed) return;
    this.#opening = true;
    void (async () => {
      let channel: ConfirmChannel | null = null;
      try {
        for (const exchange of this.#exchanges.all()) await ensureEventExchange(conn, exchange);
        channel = await conn.createConfirmChannel();
        const ch = channel;
        ch.on('error', (error: Error) => {
          this.#lastError = error.message;
          this.#logger.warn({ err: error }, 'publish channel error');
          const refusal = parseAccessRefusal(error);
          if (refusal) this.#refusals.set(ch, refusal);
        });
        ch.on('close', () => this.#onChannelClose(ch));
        ch.on('return', (message: ConsumeMessage) => this.#onReturn(message));
        if (this.#closed) {
          await ch.close().catch(() => undefined);
          return;
        }
        this.#channel = ch;
        this.#direct = canSendDirectly(ch);
        this.#draining = false;
        this.#requeueLost();
        this.#logger.info(
          {
            exchanges: this.#exchanges.all().map((e) => e.name),
            resend: this.#buffered(),
            generation: conn.generation,
          },
          'publish channel open',
        );
        for (const w of this.#readyWaiters.splice(0)) w.resolve();
        this.#pump();
      } catch (error) {
        this.#lastError = String(error);
        this.#logger.warn({ err: error, attempt }, 'cannot open the publish channel');
        if (channel) await channel.close().catch(() => undefined);
        // While disconnected, `reconnected` reopens; a channel-level failure on a live connection retries here.
        if (!this.#closed && conn.connected) {
          const delay = Math.min(5_000, 200 * 2 ** attempt);
          setTimeout(() => this.#openChannel(attempt + 1), delay).unref?.();
        }
      } finally {
        this.#opening = false;
      }
    })();
  }

  #onChannelClose(channel: ConfirmChannel): void {
    // amqplib has already called the confirm callbacks of every unconfirmed message (→ #lost).
    this.#detach(channel);
    this.#rejectRefused(channel);
    this.#requeueLost();
    if (this.#closed) return;
    this.#logger.warn({ held: this.#buffered() }, 'publish channel closed; holding messages');
    if (this.#conn?.connected) setTimeout(() => this.#openChannel(), 100).unref?.();
  }

  /**
   * After a nack: close the channel (its unconfirmed messages are resent on the next one, in order) so
   * that a channel stuck nacking (3.10.8, a publish landing during a quorum leader election) is replaced.
   */
  #recycle(channel: ConfirmChannel, entry: Entry): void {
    if (this.#channel === channel) {
      this.#detach(channel);
      this.#logger.warn(
        { eventId: entry.envelope.event_id, nacks: entry.nacks, inFlight: this.#confirms.size },
        'the broker nacked a publish: opening a new channel and sending it again',
      );
      // 'close' follows: #onChannelClose requeues what was unconfirmed and opens the next channel.
      void channel.close().catch(() => undefined);
    } else if (this.#channel) {
      this.#requeueLost();
      this.#pump();
    }
  }

  #detach(channel: ConfirmChannel): void {
    if (this.#channel !== channel) return;
    this.#channel = null;
    this.#draining = false;
  }

  /**
   * The broker closed the channel refusing a publish (403 ACCESS_REFUSED, parsed by its 'error' event):
   * reject the refused messages — those unconfirmed on that channel with the refused routing key (the
   * first is the one refused; the broker dropped the later ones unread and would refuse each again,
   * closing the channel again), or all of them when the user may not write to the exchange at all. The
   * others are sent again on the next channel.
   */
  #rejectRefused(channel: ConfirmChannel): void {
    const refusal = this.#refusals.get(channel);
    if (!refusal) return;
    this.#refusals.delete(channel);
    const refused = this.#held
      .lost()
      .filter((e) => !e.settled && (refusal.kind !== 'topic' || e.fields.routingKey === refusal.resource));
    if (refused.length === 0) return;
    this.#logger.warn(
      { eventType: refusal.resource, user: refusal.user, rejected: refused.length },
      'publish refused by the broker (403 ACCESS_REFUSED)',
    );
    for (const e of refused) {
      this.#metrics?.nacked.inc({ event_type: e.envelope.event_type });
      this.#settle(e, new PublishRefusedError(e.envelope.event_type, e.envelope.event_id, refusal));
    }
  }

  /** Put sent-but-unconfirmed messages back at the head, in their original order. */
  #requeueLost(): void {
    this.#held.requeueLost();
    this.#gaugeBuffered();
  }

  /* ---------- holding while disconnected ---------- */

  #startSweeper(): void {
    const every = Math.max(50, Math.min(1_000, Math.floor(this.#maxAgeMs / 4)));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    this.#sweeper.unref?.();
    const tick = Math.max(1, Math.min(250, Math.floor(this.#confirmTimeoutMs / 10)));
    this.#timeoutTicker = setInterval(() => this.#checkTimeouts(), tick);
    this.#timeoutTicker.unref?.();
  }

  #stopSweeper(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    if (this.#timeoutTicker) clearInterval(this.#timeoutTicker);
    this.#sweeper = null;
    this.#timeoutTicker = null;
  }

  /** While no channel is open, reject held messages older than `maxAgeMs`. */
  #sweep(): void {
    if (this.#channel || !this.#held.hasNext) return;
    const limit = Date.now() - this.#maxAgeMs;
    let expired = 0;
    for (const e of this.#held.olderThan(limit)) {
      expired += 1;
      this.#settle(
        e,
        new ConnectionError(
          `cannot publish ${e.envelope.event_type} (${e.envelope.event_id}): not connected for ${this.#maxAgeMs} ms`,
        ),
      );
    }
    if (expired > 0) {
      this.#held.dropSettled();
      this.#gaugeBuffered();
      this.#logger.warn({ expired, held: this.#buffered() }, 'held publishes expired while disconnected');
    }
  }

  #failAll(error: ConnectionError): void {
    for (const e of this.#held.takeAll()) this.#settle(e, error);
    for (const w of this.#readyWaiters.splice(0)) w.reject(error);
    this.#gaugeBuffered();
  }

  #buffered(): number {
    return this.#held.size;
  }

  /** Labelled children per event type, found by key (prom-client hashes a label object per call). */
  #countersOf(eventType: string): { published: { inc(): void }; confirmed: { inc(): void } } | undefined {
    const metrics = this.#metrics;
    if (!metrics) return undefined;
    let counters = this.#counters.get(eventType);
    if (!counters) {
      counters = {
        published: metrics.published.labels({ event_type: eventType }),
        confirmed: metrics.confirmed.labels({ event_type: eventType }),
      };
      this.#counters.set(eventType, counters);
    }
    return counters;
  }

  #gaugeBuffered(): void {
    this.#metrics?.buffered.set(this.#buffered());
  }

  #whenIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`createPublisher: ${name} must be > 0 (got ${value})`);
  return value;
}
