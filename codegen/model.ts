/** The model codegen builds from an AsyncAPI document: what `generate()` turns into files. */
import type { DeliveryBinding, ExchangeBinding, ParameterDefinition } from 'bloodbank/registry.js';
import type { EventNames } from './names.js';
import type { Json, Location, SchemaDoc, SchemaStore } from './schema-store.js';

/**
 * What a document we did not write says beyond the payload (DESIGN.md §3): null for documents that use the
 * Bloodbank envelope, where the key is the routing key and the channel's address.
 */
export interface ForeignEvent {
  /** The message's id in its channel. */
  readonly messageId: string;
  /** The address as written (`{param}` placeholders); null: the caller names the routing key. */
  readonly address: string | null;
  readonly parameters: readonly ParameterDefinition[];
  readonly delivery: DeliveryBinding;
  /** A `const` property that tells the channel's messages apart; null when none does. */
  readonly discriminator: { readonly pointer: string; readonly value: Json } | null;
  /** The message's headers schema. */
  readonly headers: Location | null;
  readonly correlationIdLocation: string | null;
  /** The reply's address as a runtime expression (`$message.header#/replyTo`). */
  readonly replyAddress: string | null;
  /** Ids of the operations that send this message (this application publishes it). */
  readonly send: readonly string[];
  /** Ids of the operations that receive it (this application consumes it). */
  readonly receive: readonly string[];
  /**
   * Ids of the operations (of `send` and `receive`) that have a `reply` (AsyncAPI 3: 2.x has no reply
   * object): a `send` one gets a typed request, a `receive` one a typed responder.
   */
  readonly replyOperations: readonly string[];
  /** The document has operations on the channel: stubs follow them (else both publish and subscribe). */
  readonly operations: boolean;
}

/** One message of one channel: one registry key. */
export interface EventModel {
  /** Registry key: ours, the routing key (the channel's address); foreign, the channel id (`.messageId`). */
  readonly key: string;
  readonly tokens: readonly string[];
  readonly domain: string;
  readonly group: string;
  readonly kind: 'event' | 'command';
  readonly names: EventNames;
  readonly channelId: string;
  readonly title: string;
  readonly description: string;
  /** The payload schema (inside the envelope when the document uses the Bloodbank envelope). */
  readonly payload: Location;
  readonly replyKey: string | null;
  readonly errorKey: string | null;
  /** The channel's AMQP binding exchange (`bindings.amqp.exchange`), null when it names none. */
  readonly exchange: ExchangeBinding | null;
  readonly examples: readonly Json[];
  readonly foreign: ForeignEvent | null;
}

export interface Model {
  /** Display name of the input document (`asyncapi.yaml`). */
  readonly input: string;
  readonly title: string;
  readonly version: string;
  /** Sorted by key. */
  readonly events: readonly EventModel[];
  /** The envelope schema, when the document marks one with `x-bloodbank-envelope`. */
  readonly envelope: Location | null;
  readonly store: SchemaStore;
  /** The AsyncAPI document itself (not a JSON Schema: ajv must not read its `id`). */
  readonly document?: SchemaDoc;
  /** Resolves when @asyncapi/parser accepted the document (it has, once the model exists). */
  readonly validation: Promise<void>;
}
