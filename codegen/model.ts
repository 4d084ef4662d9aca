/** The model codegen builds from an AsyncAPI document: what `generate()` turns into files. */
import type { ExchangeBinding } from 'bloodbank/registry.js';
import type { EventNames } from './names.js';
import type { Json, Location, SchemaStore } from './schema-store.js';

export interface EventModel {
  /** Routing key (channel address). */
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
}

export interface Model {
  /** Display name of the input document (`asyncapi.yaml`). */
  readonly input: string;
  readonly title: string;
  readonly version: string;
  /** Sorted by routing key. */
  readonly events: readonly EventModel[];
  /** The envelope schema, when the document marks one with `x-bloodbank-envelope`. */
  readonly envelope: Location | null;
  readonly store: SchemaStore;
  /** Resolves when @asyncapi/parser accepted the document; rejects with a CodegenError otherwise. */
  readonly validation: Promise<void>;
}
