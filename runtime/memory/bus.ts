/**
 * The in-memory transport (`bloodbank/testing`): the same `EventPublisher` and `EventSubscriber`
 * contracts as the AMQP transport, with the same semantics, for users' unit tests. It passes the same
 * transport contract suite as RabbitMQ (test/contract).
 *
 * Semantics kept from the broker: RabbitMQ topic matching; one queue per service (subscriptions of one
 * service compete, each service gets a copy; a queue and its bindings outlive its subscriptions, so
 * messages published while nobody consumes wait); publish validation and `UnroutableError` for a key no
 * queue is bound to; consume validation, dead-lettering of unparsable/unknown/invalid messages; retry with
 * the same backoff and `bb-*` headers, then dead-letter; idempotency per service; graceful close.
 * Messages travel serialised (handlers never share objects with the publisher).
 */
import type {
  AcceptOlder,
  EnvelopeOf,
  EventPublisher,
  EventSubscriber,
  MessageContext,
  PublishOptions,
  PublishReceipt,
  ReplyMessage,
  ReplyQueue,
  ReplyQueues,
  SubscribeOptions,
  Subscription,
} from '../bus.js';
import { randomUUID } from 'node:crypto';
import { DeprecationNotices } from '../deprecation.js';
import { createEnvelope, type Envelope, type SourceInput } from '../envelope.js';
import { BloodbankError } from '../errors/bloodbank-error.js';
import { PayloadValidationError } from '../errors/payload-validation-error.js';
import { underPayload } from '../validation.js';
import { UnroutableError } from '../errors/unroutable-error.js';
import { deterministicId } from '../ids.js';
import type { BloodbankMetrics } from '../metrics.js';
import type { Catalog, Registry, Upcaster } from '../registry.js';
import { pino, type Logger } from 'pino';
import { deliver, olderVersions, type PipelineSettings } from '../delivery/pipeline.js';
import type { BareSubscription } from '../delivery/bare.js';
import {
  DEFAULT_EXCHANGE,
  assertOneBindingSet,
  createMemoryIdempotency,
  queueNames,
  resolveRetryPolicy,
  toDeadLetterRecord,
  type DeadLetterRecord,
  type IdempotencyGate,
  type RetryOptions,
  type RetryPolicy,
} from '../delivery/rules.js';
import { encodeMessage } from '../wire.js';
import { encodeBare, isBare, routeBare, type BareRoute } from '../delivery/bare.js';
import { bindingPlan, checkPinned } from '../delivery/address.js';
import { realClock, type Clock } from './clock.js';
import { assertTopicPattern, compileTopicPatterns, topicMatches } from '../delivery/topic.js';

export interface MemoryBusOptions<M extends Catalog = Catalog> {
  readonly registry: Registry<M>;
  /** Default source of published envelopes (`{ host: 'memory', type: 'manual', app: 'memory-bus' }`). */
  readonly source?: SourceInput;
  /** Same defaults as the AMQP consumer (5 attempts; 1 s, 5 s, 30 s, 120 s). Use short delays or a manual clock in tests. */
  readonly retry?: RetryOptions;
  /** `createManualClock()` makes backoff instant and deterministic. */
  readonly clock?: Clock;
  readonly idempotency?: IdempotencyGate;
  readonly metrics?: BloodbankMetrics;
  /** Only names queues, as on the broker (default `bloodbank.events.v1`). */
  readonly exchange?: string;
  /** Where the pipeline logs dead letters, retries and store failures (default: silent). */
  readonly logger?: Logger;
}

interface Message {
  readonly body: string;
  readonly routingKey: string;
  readonly headers: Record<string, unknown>;
  readonly redelivered: boolean;
  /** The AMQP properties the broker would carry (the bare wire rebuilds the envelope from them). */
  readonly messageId?: string;
  readonly type?: string;
  readonly timestamp?: number;
  readonly appId?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
}

type MessageProperties = Pick<
  Message,
  'messageId' | 'type' | 'timestamp' | 'appId' | 'correlationId' | 'replyTo'
>;

export interface MemoryQueueStats {
  readonly queue: string;
  readonly messageCount: number;
  readonly consumerCount: number;
  readonly inFlight: number;
  readonly scheduledRetries: number;
}

export interface MemoryBus<M extends Catalog = Catalog>
  extends EventPublisher<M>, EventSubscriber<M>, ReplyQueues {
  /** Envelopes published so far (confirmed ones), optionally of one key, in publish order. */
  published<K extends keyof M & string>(eventType: K): EnvelopeOf<M, K>[];
  published(): Envelope[];
  /** What went to a service's dead-letter queue, oldest first. */
  deadLetters(service: string): DeadLetterRecord[];
  /**
   * The first published envelope of `eventType` matching `predicate` — already published or published
   * within `timeoutMs` (default 1,000) — else rejects.
   */
  waitFor<K extends keyof M & string>(
    eventType: K,
    predicate?: (event: EnvelopeOf<M, K>) => boolean,
    timeoutMs?: number,
  ): Promise<EnvelopeOf<M, K>>;
  /** Resolves when no message is ready, in a handler, or waiting for a retry. */
  settled(timeoutMs?: number): Promise<void>;
  /**
   * Put raw bytes on the bus under a routing key, bypassing publish validation (to test how a handler's
   * service copes with a malformed message). Returns the number of queues it was routed to.
   */
  inject(routingKey: string, body: string, headers?: Readonly<Record<string, unknown>>): number;
  queueStats(service: string): MemoryQueueStats | null;
  /** Forget published envelopes, dead letters, queued messages and idempotency marks; subscriptions stay. */
  reset(): void;
  /** Closes every subscription (see `Subscription.close`). */
  close(): Promise<void>;
}

export function createMemoryBus<M extends Catalog>(options: MemoryBusOptions<M>): MemoryBus<M> {
  return new MemoryBusImpl<M>(options) as unknown as MemoryBus<M>;
}

class ServiceQueue {
  readonly ready: Message[] = [];
  readonly consumers: MemorySubscription[] = [];
  readonly bindings = new Set<string>();
  readonly deadLetters: DeadLetterRecord[] = [];
  readonly timers = new Set<unknown>();
  rr = 0;
  scheduled = false;
  constructor(
    readonly name: string,
    readonly service: string,
  ) {}
}

class MemoryBusImpl<M extends Catalog> {
  readonly #registry: Registry;
  readonly #source: SourceInput;
  readonly #policy: RetryPolicy;
  readonly #clock: Clock;
  readonly #gate: IdempotencyGate & { clear?: () => void };
  readonly #metrics: BloodbankMetrics | null;
  readonly #logger: Logger;
  readonly #deprecations: DeprecationNotices;
  readonly #exchange: string;
  readonly #queues = new Map<string, ServiceQueue>();
  /** Requesters' reply queues (`openReplyQueue`), by name. */
  readonly #replyQueues = new Map<string, (message: ReplyMessage) => void>();
  #published: Envelope[] = [];
  #waiters: Array<{ key: string; predicate: (e: Envelope) => boolean; resolve: (e: Envelope) => void }> = [];
  #settleWaiters: Array<() => void> = [];
  #closed = false;

  constructor(options: MemoryBusOptions<M>) {
    this.#registry = options.registry as unknown as Registry;
    this.#source = options.source ?? { host: 'memory', type: 'manual', app: 'memory-bus' };
    this.#policy = resolveRetryPolicy(options.retry);
    this.#clock = options.clock ?? realClock;
    this.#gate = options.idempotency ?? createMemoryIdempotency();
    this.#metrics = options.metrics ?? null;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#deprecations = new DeprecationNotices(this.#logger, this.#metrics);
    this.#exchange = options.exchange ?? DEFAULT_EXCHANGE;
  }

  /* ---------- publishing ---------- */

  async publish(eventType: string, payload: unknown, options: PublishOptions = {}): Promise<PublishReceipt> {
    const def = this.#registry.require(eventType);
    this.#deprecations.note(def);
    const checked = def.validatePublish(payload);
    if (!checked.ok) {
      this.#metrics?.validationFailures.inc({ event_type: eventType, stage: 'publish' });
      throw new PayloadValidationError('publish', eventType, underPayload(checked.issues));
    }
    const route = isBare(this.#registry) ? routeBare(def, checked.value, options) : null;
    const eventId =
      options.eventId ??
      (options.idempotencyFields ? deterministicId(eventType, options.idempotencyFields) : undefined);
    const envelope = createEnvelope(eventType, checked.value, {
      source: options.source ?? this.#source,
      correlationIds: options.correlationIds ?? [],
      agentContext: options.agentContext ?? null,
      ...(eventId !== undefined ? { eventId } : {}),
    });
    return this.#send(envelope, options, route);
  }

  async publishEnvelope(envelope: Envelope, options: PublishOptions = {}): Promise<PublishReceipt> {
    const def = this.#registry.require(envelope.event_type);
    const checked = def.validatePublish(envelope.payload);
    if (!checked.ok)
      throw new PayloadValidationError('publish', envelope.event_type, underPayload(checked.issues));
    const route = isBare(this.#registry) ? routeBare(def, checked.value, options) : null;
    return this.#send({ ...envelope, payload: checked.value }, options, route);
  }

  async #send(envelope: Envelope, options: PublishOptions, route: BareRoute | null): Promise<PublishReceipt> {
    if (this.#closed) throw new BloodbankError('memory bus is closed');
    if (this.#registry.envelope) {
      const r = this.#registry.envelope.validatePublish(envelope);
      if (!r.ok) {
        const issues = r.issues.filter((i) => !i.pointer.startsWith('/payload'));
        if (issues.length > 0) throw new PayloadValidationError('publish', envelope.event_type, issues);
      }
    }
    const wireOptions = {
      ...(options.workflowId !== undefined ? { workflowId: options.workflowId } : {}),
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
    };
    const encoded = route ? encodeBare(envelope, route, wireOptions) : encodeMessage(envelope, wireOptions);
    const p = encoded.properties as { readonly correlationId?: string; readonly replyTo?: string };
    const properties: MessageProperties = {
      messageId: encoded.properties.messageId,
      type: encoded.properties.type,
      timestamp: encoded.properties.timestamp,
      ...(encoded.properties.appId !== undefined ? { appId: encoded.properties.appId } : {}),
      ...(p.correlationId !== undefined ? { correlationId: p.correlationId } : {}),
      ...(p.replyTo !== undefined ? { replyTo: p.replyTo } : {}),
    };
    const routed = route?.toQueue
      ? this.#routeToQueue(
          route.routingKey,
          encoded.body.toString('utf8'),
          encoded.properties.headers,
          properties,
        )
      : this.#route(
          route ? route.routingKey : envelope.event_type,
          encoded.body.toString('utf8'),
          encoded.properties.headers,
          properties,
        );
    if (routed === 0 && options.mandatory !== false) {
      this.#metrics?.returned.inc({ event_type: envelope.event_type });
      throw new UnroutableError(envelope.event_type, envelope.event_id, this.#exchange, 312, 'NO_ROUTE');
    }
    this.#metrics?.published.inc({ event_type: envelope.event_type });
    this.#metrics?.confirmed.inc({ event_type: envelope.event_type });
    const copy = JSON.parse(route ? JSON.stringify(envelope) : encoded.body.toString('utf8')) as Envelope;
    this.#published.push(copy);
    for (const w of [...this.#waiters])
      if (w.key === copy.event_type && w.predicate(copy)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(copy);
      }
    return { eventId: envelope.event_id, eventType: envelope.event_type, envelope };
  }

  inject(routingKey: string, body: string, headers: Readonly<Record<string, unknown>> = {}): number {
    return this.#route(routingKey, body, { ...headers });
  }

  #route(
    routingKey: string,
    body: string,
    headers: Record<string, unknown>,
    properties: MessageProperties = {},
  ): number {
    let n = 0;
    for (const q of this.#queues.values()) {
      if (![...q.bindings].some((p) => topicMatches(p, routingKey))) continue;
      q.ready.push({ ...properties, body, routingKey, headers: { ...headers }, redelivered: false });
      this.#schedule(q);
      n += 1;
    }
    return n;
  }

  /**
   * The default exchange: the reply queue of that name, else the queue a channel bound as a queue
   * (`is: queue`) consumes.
   */
  #routeToQueue(
    name: string,
    body: string,
    headers: Record<string, unknown>,
    properties: MessageProperties,
  ): number {
    const inbox = this.#replyQueues.get(name);
    if (inbox) {
      const message: ReplyMessage = { ...properties, body, routingKey: name, headers: { ...headers } };
      setImmediate(() => {
        if (this.#replyQueues.get(name) === inbox) inbox(message);
      });
      return 1;
    }
    let n = 0;
    for (const q of this.#queues.values()) {
      if (!q.bindings.has(name)) continue;
      q.ready.push({ ...properties, body, routingKey: name, headers: { ...headers }, redelivered: false });
      this.#schedule(q);
      n += 1;
    }
    return n;
  }

  openReplyQueue(onMessage: (message: ReplyMessage) => void): Promise<ReplyQueue> {
    if (this.#closed) return Promise.reject(new BloodbankError('memory bus is closed'));
    const name = `bb.reply.${randomUUID()}`;
    this.#replyQueues.set(name, onMessage);
    return Promise.resolve({
      name,
      close: () => {
        this.#replyQueues.delete(name);
        return Promise.resolve();
      },
    });
  }

  /* ---------- consuming ---------- */

  async subscribe(
    patterns: string | readonly string[],
    handler: (event: Envelope, context: MessageContext) => void | Promise<void>,
    options: SubscribeOptions & AcceptOlder,
  ): Promise<Subscription> {
    if (this.#closed) throw new BloodbankError('memory bus is closed');
    const list = typeof patterns === 'string' ? [patterns] : [...patterns];
    if (list.length === 0) throw new RangeError('subscribe needs at least one pattern');
    for (const p of list) assertTopicPattern(p);
    const name = queueNames(this.#exchange, options.service).main;
    const open = this.#queues.get(options.service)?.consumers ?? [];
    assertOneBindingSet(
      open.map((c) => ({ queue: c.queue, patterns: c.patterns })),
      name,
      list,
    );
    let q = this.#queues.get(options.service);
    if (!q) {
      q = new ServiceQueue(name, options.service);
      this.#queues.set(options.service, q);
    }
    const older = olderVersions(this.registry, list, options.acceptOlder);
    const withOlder = [...list, ...older.bindings];
    const selects = compileTopicPatterns(withOlder);
    checkPinned(
      this.registry.list().filter((d) => selects(d.key)),
      options.parameters,
    );
    // As on RabbitMQ (amqp/topology.ts): foreign channels bind their address; `is: queue` its queue name.
    const plan = bindingPlan(this.registry.list(), withOlder, topicMatches, options.parameters);
    if (plan.queue) q.bindings.add(plan.queue.name);
    for (const { key } of plan.keys) q.bindings.add(key);
    const sub = new MemorySubscription(this, q, handler, {
      patterns: withOlder,
      bare: isBare(this.registry)
        ? {
            registry: this.registry,
            subscribed: selects,
            pinned: options.parameters ?? {},
            filter: plan.filter,
          }
        : null,
      upcasts: older.upcasts,
      concurrency: options.concurrency ?? 1,
      policy: resolveRetryPolicy({
        maxAttempts: options.maxAttempts ?? this.#policy.maxAttempts,
        delaysMs: this.#policy.delaysMs,
      }),
      allowUnknown: options.allowUnknown ?? false,
      idempotent: options.idempotent ?? false,
      onDuplicate: options.onDuplicate ?? null,
    });
    q.consumers.push(sub);
    this.#schedule(q);
    return sub;
  }

  /** Deliver on a later tick, so `publish()` resolves before handlers run (as on a broker). */
  #schedule(q: ServiceQueue): void {
    if (q.scheduled) return;
    q.scheduled = true;
    setImmediate(() => {
      q.scheduled = false;
      this.dispatch(q);
    });
  }

  dispatch(q: ServiceQueue): void {
    while (q.ready.length > 0) {
      const free = q.consumers.filter((c) => c.hasCapacity());
      if (free.length === 0) break;
      const consumer = free[q.rr++ % free.length] as MemorySubscription;
      consumer.deliver(q.ready.shift() as Message);
    }
    this.checkSettled();
  }

  requeue(q: ServiceQueue, message: Message, delayMs: number): void {
    const handle = this.#clock.setTimeout(() => {
      q.timers.delete(handle);
      q.ready.push(message);
      this.dispatch(q);
    }, delayMs);
    q.timers.add(handle);
  }

  /** Give a message back to the head of its queue (shutdown interrupted its handler). */
  returnToQueue(q: ServiceQueue, message: Message): void {
    q.ready.unshift({ ...message, redelivered: true });
    this.#schedule(q);
  }

  deadLetter(q: ServiceQueue, message: Message, headers: Record<string, unknown>): void {
    q.deadLetters.push(toDeadLetterRecord(message.body, headers, message.routingKey));
  }

  get registry(): Registry {
    return this.#registry;
  }
  get gate(): IdempotencyGate {
    return this.#gate;
  }
  get clock(): Clock {
    return this.#clock;
  }
  get metrics(): BloodbankMetrics | null {
    return this.#metrics;
  }
  get logger(): Logger {
    return this.#logger;
  }

  checkSettled(): void {
    if (this.#settleWaiters.length === 0 || !this.#isSettled()) return;
    for (const w of this.#settleWaiters.splice(0)) w();
  }

  #isSettled(): boolean {
    for (const q of this.#queues.values()) {
      if (q.timers.size > 0 || q.consumers.some((c) => c.busy())) return false;
      if (q.ready.length > 0 && q.consumers.length > 0) return false;
    }
    return true;
  }

  settled(timeoutMs = 5_000): Promise<void> {
    if (this.#isSettled()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#settleWaiters = this.#settleWaiters.filter((w) => w !== done);
        reject(new BloodbankError(`memory bus not settled within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.#settleWaiters.push(done);
    });
  }

  /* ---------- assertions ---------- */

  published(eventType?: string): Envelope[] {
    return eventType === undefined
      ? [...this.#published]
      : this.#published.filter((e) => e.event_type === eventType);
  }

  deadLetters(service: string): DeadLetterRecord[] {
    return [...(this.#queues.get(service)?.deadLetters ?? [])];
  }

  waitFor(
    eventType: string,
    predicate: (e: Envelope) => boolean = () => true,
    timeoutMs = 1_000,
  ): Promise<Envelope> {
    const found = this.#published.find((e) => e.event_type === eventType && predicate(e));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        key: eventType,
        predicate,
        resolve: (e: Envelope) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new BloodbankError(`no ${eventType} matching the predicate was published within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  queueStats(service: string): MemoryQueueStats | null {
    const q = this.#queues.get(service);
    if (!q) return null;
    return {
      queue: q.name,
      messageCount: q.ready.length,
      consumerCount: q.consumers.length,
      inFlight: q.consumers.reduce((n, c) => n + c.inFlight, 0),
      scheduledRetries: q.timers.size,
    };
  }

  reset(): void {
    this.#published = [];
    for (const q of this.#queues.values()) {
      q.ready.length = 0;
      q.deadLetters.length = 0;
      for (const t of q.timers) this.#clock.clearTimeout(t);
      q.timers.clear();
    }
    this.#gate.clear?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#replyQueues.clear();
    await Promise.all([...this.#queues.values()].flatMap((q) => q.consumers.map((c) => c.close())));
  }
}

interface SubscriptionSettings {
  readonly patterns: readonly string[];
  readonly bare: BareSubscription | null;
  readonly upcasts: ReadonlyMap<string, Upcaster>;
  readonly concurrency: number;
  readonly policy: RetryPolicy;
  readonly allowUnknown: boolean;
  readonly idempotent: boolean;
  readonly onDuplicate: SubscribeOptions['onDuplicate'] | null;
}

class MemorySubscription implements Subscription {
  readonly queue: string;
  readonly #pipeline: PipelineSettings;
  #running = 0;
  #closing: Promise<void> | null = null;
  #idle: Array<() => void> = [];
  readonly #abort = new AbortController();

  constructor(
    private readonly bus: MemoryBusImpl<Catalog>,
    private readonly q: ServiceQueue,
    private readonly handler: (event: Envelope, context: MessageContext) => void | Promise<void>,
    private readonly settings: SubscriptionSettings,
  ) {
    this.queue = q.name;
    this.#pipeline = {
      registry: bus.registry,
      allowUnknown: settings.allowUnknown,
      queue: q.name,
      service: q.service,
      patterns: settings.patterns,
      subscribed: compileTopicPatterns(settings.patterns),
      upcasts: settings.upcasts,
      bare: settings.bare,
      policy: settings.policy,
      gate: settings.idempotent ? bus.gate : null,
      onDuplicate: settings.onDuplicate ?? null,
      handler,
      logger: bus.logger,
      metrics: bus.metrics,
      signal: this.#abort.signal,
      now: () => new Date(bus.clock.now()),
    };
  }

  get patterns(): readonly string[] {
    return this.settings.patterns;
  }

  get inFlight(): number {
    return this.#running;
  }

  hasCapacity(): boolean {
    return this.#closing === null && this.#running < this.settings.concurrency;
  }

  busy(): boolean {
    return this.#running > 0;
  }

  deliver(message: Message): void {
    this.#running += 1;
    void this.#handle(message).finally(() => {
      this.#running -= 1;
      if (this.#running === 0) for (const w of this.#idle.splice(0)) w();
      this.bus.dispatch(this.q);
    });
  }

  /** One delivery through the shared pipeline (delivery/pipeline.ts); memory only says how to settle it. */
  #handle(message: Message): Promise<void> {
    const { bus, q } = this;
    return deliver(
      message,
      {
        ack: () => undefined, // taken off the queue when delivered
        giveBack: () => bus.returnToQueue(q, message),
        retryLater: (headers, delayMs) => {
          bus.requeue(q, { ...message, headers, redelivered: false }, delayMs);
          return Promise.resolve(true);
        },
        deadLetter: (headers) => {
          bus.deadLetter(q, message, headers);
          return Promise.resolve(true);
        },
      },
      this.#pipeline,
    );
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const i = this.q.consumers.indexOf(this);
      if (i >= 0) this.q.consumers.splice(i, 1);
      if (this.#running > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
      this.bus.checkSettled();
    })();
    return this.#closing;
  }
}
