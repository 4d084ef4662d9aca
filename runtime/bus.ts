/**
 * The contracts of the bus, implemented by the AMQP transport (runtime/amqp) and the in-memory transport
 * (runtime/memory), and used by generated clients. Typed by a catalogue `M` that generated/ provides.
 */
import type { AgentContextInput, AgentContext, Envelope, SourceInput } from './envelope.js';
import type { BareInbound } from './delivery/bare.js';
import type { IdFieldValue } from './ids.js';
import type { Catalog, KeysMatching } from './registry.js';

export interface PublishOptions {
  /** Who published. Defaults to the publisher's configured source. */
  readonly source?: SourceInput;
  /** Parent (causation) event ids; recorded in Redis when tracking is on. */
  readonly correlationIds?: readonly string[];
  readonly agentContext?: AgentContextInput | null;
  /** Explicit event id. */
  readonly eventId?: string;
  /** Fields for a deterministic id, as the original's `generate_event_id(event_type, **fields)`. */
  readonly idempotencyFields?: Readonly<Record<string, IdFieldValue>>;
  /** Workflow id (`bb-correlation-id`). Defaults to the parents' workflow id, else this event's id. */
  readonly workflowId?: string;
  /** Reject when no queue is bound for the key (default true). */
  readonly mandatory?: boolean;
  /** Reject when the broker has not confirmed within this time. */
  readonly timeoutMs?: number;
  /** Extra AMQP headers (scalars only). */
  readonly headers?: Readonly<Record<string, string | number | boolean>>;
  /** Free-form metadata stored with the correlation link. */
  readonly correlationMetadata?: Readonly<Record<string, unknown>>;
  /** Values of the channel address's `{param}` placeholders (a document we did not write, DESIGN.md §3). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The routing key, for a channel whose address is `null` (the document leaves it to the caller). */
  readonly routingKey?: string;
  /** The message's typed headers (its `headers` schema), validated and sent as AMQP headers. */
  readonly messageHeaders?: Readonly<Record<string, unknown>>;
  /**
   * Bare wire: AMQP `correlation_id` (request/reply). Default: the value at the message's
   * `correlationId.location`, when it has one.
   */
  readonly correlationId?: string;
  /** Bare wire: AMQP `reply_to`. Default: the value at the message's reply address, when it has one. */
  readonly replyTo?: string;
  /**
   * Bare wire: send to this queue through the default exchange (a reply to a request's `reply_to`)
   * instead of the channel's address. The address's parameters are then not needed.
   */
  readonly toQueue?: string;
}

export interface PublishReceipt<K extends string = string, P = unknown> {
  readonly eventId: string;
  readonly eventType: K;
  readonly envelope: Envelope<K, P>;
}

/** The typed envelope union for the keys `K` of catalogue `M` (discriminated on `event_type`). */
export type EnvelopeOf<M extends Catalog, K extends keyof M & string> = K extends unknown
  ? Envelope<K, M[K]['payload']>
  : never;

/**
 * Publishes typed events. `publish()` resolves only once the broker confirmed the message; it rejects
 * with `PayloadValidationError` before anything is sent when the payload is invalid.
 */
export interface EventPublisher<M extends Catalog = Catalog> {
  publish<K extends keyof M & string>(
    eventType: K,
    payload: M[K]['input'],
    options?: PublishOptions,
  ): Promise<PublishReceipt<K, M[K]['payload']>>;
  /** Publish an envelope built elsewhere (validated as a whole). */
  publishEnvelope(envelope: Envelope, options?: PublishOptions): Promise<PublishReceipt>;
  /** Waits for in-flight confirms, then closes. */
  close(): Promise<void>;
}

export interface MessageContext {
  /** 1 on first delivery. */
  readonly attempt: number;
  readonly redelivered: boolean;
  readonly headers: Readonly<Record<string, unknown>>;
  /** Workflow id (`bb-correlation-id`), when the producer set one. */
  readonly workflowId: string | null;
  /** Aborted when the consumer is shutting down. */
  readonly signal: AbortSignal;
  /** AMQP `reply_to` of the delivery (request/reply), when set. */
  readonly replyTo?: string;
  /** AMQP `correlation_id` of the delivery (request/reply), when set. */
  readonly correlationId?: string;
  /**
   * Set when the event was published as an older version and upcast (`acceptOlder: true`): the routing key
   * it was published with (`x.y`). The envelope then carries the newer `event_type`, the same `event_id`.
   */
  readonly upcastFrom?: string;
  /** The address parameters parsed from the routing key (a channel with `{param}` placeholders). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The message's typed headers (its `headers` schema), validated, when the message declares them. */
  readonly messageHeaders?: Readonly<Record<string, unknown>>;
}

export type Handler<M extends Catalog, K extends keyof M & string> = (
  event: EnvelopeOf<M, K>,
  context: MessageContext,
) => void | Promise<void>;

export interface SubscribeOptions {
  /** Required: names the queue (`${EXCHANGE_NAME}.${service}`…). */
  readonly service: string;
  readonly prefetch?: number;
  readonly concurrency?: number;
  /** Attempts before dead-lettering (first delivery included). */
  readonly maxAttempts?: number;
  /** Accept keys not in the registry (as an unvalidated envelope) instead of dead-lettering them. */
  readonly allowUnknown?: boolean;
  /** Handle each event_id once per service (Redis, with an in-process fallback). */
  readonly idempotent?: boolean;
  /** Exact name of the main queue instead of `${exchange}.${service}.q` (retry and DLQ names follow it). */
  readonly queue?: string;
  /**
   * With `idempotent: true`: called for a delivery of an event the service already handled, before it
   * is acked (the command processor answers a repeated request with the stored reply). Errors are logged.
   */
  readonly onDuplicate?: (envelope: Envelope, context: MessageContext) => void | Promise<void>;
  /**
   * Values for some `{param}` placeholders of the subscribed channels' addresses; the others match any value
   * (`*` for a whole word, else `#` and a filter).
   */
  readonly parameters?: Readonly<Record<string, string>>;
}

/**
 * `acceptOlder: true`: also receive the older version of each subscribed key that has an upcaster
 * (`upcasters/<key>.ts`): the older routing key is bound too, and its events reach the handler upcast to
 * the newer version (same event_id, newer event_type; `context.upcastFrom` names the older key).
 */
export interface AcceptOlder {
  readonly acceptOlder?: boolean;
}

/** Keys of `M` whose older version an upcaster turns into them (`olderVersion` in the catalogue). */
export type UpcastableKeys<M extends Catalog> = {
  [K in keyof M & string]: M[K] extends { readonly olderVersion: string } ? K : never;
}[keyof M & string];

/**
 * `acceptOlder` is allowed only when every key a subscription matches has an upcaster; otherwise its
 * type is `never` and `acceptOlder: true` does not compile. An untyped catalogue allows it (checked at
 * run time).
 */
export type AcceptOlderOption<M extends Catalog, K extends string> = string extends keyof M
  ? AcceptOlder
  : [K] extends [never]
    ? { readonly acceptOlder?: never }
    : [K] extends [UpcastableKeys<M>]
      ? AcceptOlder
      : { readonly acceptOlder?: never };

/** A message that reached a reply queue, as the transport received it. */
export type ReplyMessage = BareInbound;

/** A requester's own queue for replies; messages sent to `name` (default exchange) reach its handler. */
export interface ReplyQueue {
  readonly name: string;
  /** Stop consuming and delete the queue. */
  close(): Promise<void>;
}

/**
 * The transport's part of request/reply on the bare wire (runtime/delivery/request-reply.ts): a private
 * queue whose messages are handed over as they arrive, each once, not retried (a reply has one reader).
 */
export interface ReplyQueues {
  openReplyQueue(onMessage: (message: ReplyMessage) => void): Promise<ReplyQueue>;
}

export interface Subscription {
  readonly queue: string;
  /** Stop taking deliveries, finish and ack what was prefetched, then close. */
  close(): Promise<void>;
}

export interface EventSubscriber<M extends Catalog = Catalog> {
  subscribe<P extends string>(
    patterns: P | readonly P[],
    handler: Handler<M, KeysMatching<P, keyof M & string>>,
    options: SubscribeOptions & AcceptOlderOption<M, KeysMatching<P, keyof M & string>>,
  ): Promise<Subscription>;
}

/** What a command handler knows about the command it runs (the original's CommandContext, plus the envelope). */
export interface CommandContext<E = Envelope> {
  /** The command envelope's event_id. */
  readonly correlation_id: string;
  readonly source_app: string;
  readonly agent_context: AgentContext | null;
  readonly timestamp: string;
  readonly envelope: E;
  readonly signal: AbortSignal;
}

/**
 * Collects side effects; they are published only after the handler succeeded, each with
 * `correlation_ids` = [the command's event_id, ...options.correlationIds]. `add` validates the payload
 * at once (throws `PayloadValidationError`) and returns the event id the side effect will be published
 * with (deterministic: derived from the command's event_id and the side effect's index).
 */
export interface EventCollector<M extends Catalog = Catalog> {
  add<K extends keyof M & string>(
    eventType: K,
    payload: M[K]['input'],
    options?: Pick<PublishOptions, 'agentContext' | 'source' | 'correlationIds'>,
  ): string;
}

export type CommandHandler<M extends Catalog, K extends keyof M & string> = (
  command: M[K]['payload'],
  context: CommandContext<EnvelopeOf<M, K>>,
  collector: EventCollector<M>,
) => Promise<ReplyInputOf<M, K>>;

export type ReplyInputOf<M extends Catalog, K extends keyof M & string> = M[K]['reply'] extends keyof M &
  string
  ? M[M[K]['reply']]['input']
  : void;

/** Keys of `M` that are commands. */
export type CommandKeys<M extends Catalog> = {
  [K in keyof M & string]: M[K]['kind'] extends 'command' ? K : never;
}[keyof M & string];
