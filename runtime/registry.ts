/**
 * The registry contract between generated code and the runtime. The runtime never imports generated/:
 * it receives a `Registry` by injection (`createPublisher({ registry })`), and generated/registry.ts
 * implements this interface from the AsyncAPI document.
 */
import { UnknownEventTypeError } from './errors/unknown-event-type-error.js';

export type JsonSchema = { readonly [key: string]: unknown } | boolean;

/** One schema violation. `pointer` is a JSON pointer into the validated value (`/payload/duration`). */
export interface ValidationIssue {
  readonly pointer: string;
  /** The JSON Schema keyword that failed (`maximum`, `required`, `additionalProperties`, …). */
  readonly rule: string;
  readonly message: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/**
 * A precompiled validator. It may fill in schema defaults on the value it is given (publish and consume
 * validators both do), so `value` is the same object, completed.
 */
export type Validator<T = unknown> = (data: unknown) => ValidationResult<T>;

export type EventKind = 'event' | 'command';

/** Per routing key: what is published (`input`), what is consumed (`payload`), and for commands the reply. */
export interface CatalogEntry {
  readonly payload: unknown;
  readonly input: unknown;
  readonly kind: EventKind;
  readonly reply?: string;
  readonly error?: string;
  /** The older version's routing key, when an upcaster (`upcasters/<key>.ts`) turns it into this one. */
  readonly olderVersion?: string;
}

export type Catalog = { readonly [key: string]: CatalogEntry };

/**
 * The exchange a channel's AMQP binding names (AsyncAPI `bindings.amqp.exchange`). Publishers send the
 * event there and subscribers bind their queue there, unless the exchange is set explicitly
 * (`EXCHANGE_NAME`, or the `exchange` option of `createPublisher` / `createSubscriber`): an explicit
 * exchange carries every event.
 */
export interface ExchangeBinding {
  readonly name: string;
  readonly type: 'topic' | 'direct' | 'fanout' | 'headers';
  readonly durable: boolean;
}

/** Everything known about one routing key, with its precompiled validators. */
export interface EventDefinition<K extends string = string> {
  readonly key: K;
  /** Tokens of the routing key (`['fireflies', 'transcript', 'ready']`). */
  readonly tokens: readonly string[];
  /** First token. */
  readonly domain: string;
  /** The original's module grouping for listings (`agent/thread`). */
  readonly group: string;
  readonly kind: EventKind;
  /** Name of the generated payload type (`FirefliesTranscriptReadyPayload`). */
  readonly typeName: string;
  readonly schemaId: string | null;
  /** The payload's JSON Schema, with `$ref`s as written. */
  readonly schema: JsonSchema;
  /** For commands: the routing key of the reply (AsyncAPI `reply`). */
  readonly replyKey: string | null;
  /** For commands: the routing key of the failure event (`x-bloodbank-error`). */
  readonly errorKey: string | null;
  /** Version of the event (`x.y.v2` is 2; absent: 1). */
  readonly version?: number;
  /** The routing key this version replaces (`x.y` for `x.y.v2`); absent: none. */
  readonly supersedes?: string | null;
  /** The routing key of the next version; absent: none. */
  readonly supersededBy?: string | null;
  /** The message is marked `deprecated: true`: publishing it logs once and counts `bloodbank_deprecated_published_total`. */
  readonly deprecated?: boolean;
  /** The channel's AMQP binding exchange; absent when the channel names none (the default exchange). */
  readonly exchange?: ExchangeBinding;
  /*
   * Documents we did not write (issues 17/19, DESIGN.md §3). Absent for our own catalogue, where the key
   * is the routing key and the channel id, address and message id add nothing.
   */
  /** The AsyncAPI channel id (2.x: the channel's name in `channels`). */
  readonly channelId?: string;
  /** The message's id within its channel (the key in the channel's `messages`, 2.x: its name or index). */
  readonly messageId?: string;
  /**
   * The channel address as the document writes it, with `{param}` placeholders; `null` when the document
   * says `address: null` (the caller names the routing key). Absent: the key is the routing key.
   */
  readonly address?: string | null;
  /** The address's `{param}` placeholders, in the order they appear. */
  readonly parameters?: readonly ParameterDefinition[];
  /** How the channel meets RabbitMQ (AMQP binding `is`, MQTT topic mapping). Absent: `routingKey`. */
  readonly delivery?: DeliveryBinding;
  /**
   * What tells this message apart from the channel's other messages on consume, beside the AMQP `type`
   * property: a `const` at `pointer` in the payload. Absent: none (validation against each decides).
   */
  readonly discriminator?: { readonly pointer: string; readonly value: unknown };
  /** The message's `headers` schema, carried as AMQP headers; validated on publish and consume. */
  readonly headers?: { readonly schema: JsonSchema; readonly validate: Validator };
  /** Where the message's correlation id lives (AsyncAPI runtime expression, `$message.header#/x`). */
  readonly correlationIdLocation?: string;
  /** The reply's address when a runtime expression (`$message.header#/replyTo`): AMQP `reply-to`. */
  readonly replyAddress?: string;
  readonly title: string;
  readonly description: string;
  readonly examples: readonly unknown[];
  /** Strict: unknown fields are errors, defaults applied. */
  readonly validatePublish: Validator;
  /** Tolerant: unknown fields ignored, timestamps without a timezone accepted, defaults applied. */
  readonly validateConsume: Validator;
}

/** One `{param}` of a channel address (AsyncAPI Parameter Object). */
export interface ParameterDefinition {
  readonly name: string;
  readonly enum?: readonly string[];
  readonly default?: string;
  readonly description?: string;
  readonly examples?: readonly string[];
  /** AsyncAPI `location` (runtime expression), when given. */
  readonly location?: string;
}

/**
 * How a channel meets the broker. `routingKey` (default): publish to the exchange with the address as key.
 * `queue` (AMQP binding `is: queue`): publish to the default exchange with the queue name as key, consume
 * that queue. `mqtt`: the channel is served by an MQTT server: RabbitMQ's MQTT plugin maps the topic
 * (`/` → `.`, `+`/`#` wildcards) onto `amq.topic`.
 */
export type DeliveryBinding =
  | {
      readonly is: 'routingKey';
      readonly messageType?: string;
      readonly cc?: readonly string[];
      readonly deliveryMode?: 1 | 2;
      readonly expiration?: number;
      readonly priority?: number;
    }
  | {
      readonly is: 'queue';
      readonly queue: {
        readonly name: string;
        readonly durable: boolean;
        readonly exclusive: boolean;
        readonly autoDelete: boolean;
      };
      readonly messageType?: string;
    }
  | { readonly is: 'mqtt'; readonly qos?: 0 | 1 | 2 };

export interface EnvelopeValidators {
  readonly validatePublish: Validator;
  readonly validateConsume: Validator;
}

/**
 * Turns a payload of the older version `from` into the publish input of `to` (a hand-written
 * `upcasters/<to>.ts`, wired by codegen). Subscriptions with `acceptOlder: true` use it.
 */
export interface Upcaster {
  readonly from: string;
  readonly to: string;
  readonly upcast: (old: unknown) => unknown;
}

/** Lookups over a generated catalogue. `M` is a phantom type carrying the typed catalogue. */
export interface Registry<M extends Catalog = Catalog> {
  /** Phantom: never set at run time. */
  readonly __catalog?: M;
  /** Validators of the whole envelope (without its payload), when the document uses the Bloodbank envelope. */
  readonly envelope: EnvelopeValidators | null;
  /** Upcasters from an older version to a newer one (absent or empty: none). */
  readonly upcasters?: readonly Upcaster[];
  get(key: string): EventDefinition | undefined;
  /** Like `get`, but throws `UnknownEventTypeError`. */
  require(key: string): EventDefinition;
  has(key: string): key is keyof M & string;
  list(): readonly EventDefinition[];
  listDomains(): readonly string[];
  byDomain(domain: string): readonly EventDefinition[];
  listCommands(): readonly EventDefinition[];
}

export function createRegistry<M extends Catalog>(
  definitions: readonly EventDefinition[],
  envelope: EnvelopeValidators | null,
  upcasters: readonly Upcaster[] = [],
): Registry<M> {
  const byKey = new Map(definitions.map((d) => [d.key, d] as const));
  const domains = [...new Set(definitions.map((d) => d.domain))].sort();
  const commands = definitions.filter((d) => d.kind === 'command');
  return {
    envelope,
    upcasters,
    get: (key) => byKey.get(key),
    require(key) {
      const def = byKey.get(key);
      if (!def) throw new UnknownEventTypeError(key, [...byKey.keys()]);
      return def;
    },
    has: (key): key is keyof M & string => byKey.has(key),
    list: () => definitions,
    listDomains: () => domains,
    byDomain: (domain) => definitions.filter((d) => d.domain === domain || d.group === domain),
    listCommands: () => commands,
  };
}

/* ---------- topic patterns at the type level ---------- */

type SplitKey<S extends string> = S extends `${infer H}.${infer T}` ? [H, ...SplitKey<T>] : [S];

type MatchTokens<P extends readonly string[], K extends readonly string[]> = P extends readonly []
  ? K extends readonly []
    ? true
    : false
  : P extends readonly ['#', ...infer PR extends string[]]
    ? MatchTokens<PR, K> extends true
      ? true
      : K extends readonly [string, ...infer KR extends string[]]
        ? MatchTokens<P, KR>
        : false
    : P extends readonly [infer PH extends string, ...infer PR extends string[]]
      ? K extends readonly [infer KH extends string, ...infer KR extends string[]]
        ? PH extends '*' | KH
          ? MatchTokens<PR, KR>
          : false
        : false
      : false;

/**
 * The keys of `Keys` that the AMQP topic pattern `Pattern` matches (`*` = one word, `#` = zero or more).
 * A pattern that is not a literal type (a plain `string`) matches every key.
 */
export type KeysMatching<Pattern extends string, Keys extends string> = string extends Pattern
  ? Keys
  : Keys extends unknown
    ? MatchTokens<SplitKey<Pattern>, SplitKey<Keys>> extends true
      ? Keys
      : never
    : never;

/** DESIGN.md §3: a routing key is 2 to 6 lowercase tokens, underscores allowed; never `*` or `#`. */
export const ROUTING_KEY = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,5}$/;
