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
} from '../wire.js';
export type { DecodedBody, DecodedMeta, EncodeOptions, EncodedMessage, HeaderValue } from '../wire.js';
export { createSubscriber, passiveQueueStats } from './consumer.js';
export type {
  AmqpSubscriber,
  AmqpSubscription,
  ConsumerConnection,
  QueueStats,
  SubscriberOptions,
  SubscriptionHealth,
  SubscriptionState,
} from './consumer.js';
export { createDlqAdmin } from './dlq.js';
export { listBindings, listQueues, managementApi } from './management.js';
export type { ManagementApi, QueueSummary } from './management.js';
export type { DlqAdmin, DlqAdminOptions, RedriveResult, ServiceQueueInfo } from './dlq.js';
export {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETRY_DELAYS_MS,
  HEADERS as CONSUMER_HEADERS,
  createMemoryIdempotency,
  isRetryableError,
  queueNames,
  queueNamesOf,
} from '../delivery/rules.js';
export { DEFAULT_DELIVERY_LIMIT } from './queues.js';
export type {
  DeadLetterReason,
  DeadLetterRecord,
  IdempotencyGate,
  QueueNames,
  RetryOptions,
  RetryPolicy,
} from '../delivery/rules.js';
export {
  HISTORY_MARKER_HEADER,
  historyQueueArguments,
  historyQueueName,
  readHistory,
  replayHistory,
  scanHistory,
  setupHistory,
} from './history.js';
export type {
  HistoryEvent,
  HistoryQuery,
  HistoryReader,
  HistoryRetention,
  ReplayOptions,
  ReplayProgress,
  ReplayResult,
  ScanStats,
  SetupResult,
  StoredMessage,
} from './history.js';
