/** The AMQP transport: a named self-recovering connection, the confirmed publisher, wire format. */
export { createConnection } from './connection.js';
export type { BloodbankConnection, ConnectionOptions } from './connection.js';
export { createPublisher } from './publisher.js';
export type {
  Publisher,
  PublisherHealth,
  PublisherOptions,
  PublisherStats,
  PublisherTracker,
} from './publisher.js';
export { assertEventExchange, DEFAULT_EXCHANGE, EXCHANGE_TYPE } from './topology.js';
export {
  CLOUDEVENTS_SPECVERSION,
  HEADER_CAUSATION_IDS,
  HEADER_CORRELATION_ID,
  HEADER_TRACEPARENT,
  MAX_HEADER_BYTES,
  cloudEventsSource,
  decodeBody,
  decodeMeta,
  encodeMessage,
  serializeEnvelope,
  timestampSeconds,
} from './wire.js';
export type { DecodedBody, DecodedMeta, EncodeOptions, EncodedMessage, HeaderValue } from './wire.js';
