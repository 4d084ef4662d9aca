export {
  CorrelationTracker,
  generateEventId,
  deterministicIdFromKey,
  type ChainDirection,
  type CorrelationDebugDump,
  type CorrelationTrackerOptions,
} from './correlation-tracker.js';
export { IdempotencyStore, type BeginResult, type IdempotencyStoreOptions } from './idempotency-store.js';
export {
  RedisLink,
  reconnectDelay,
  redisTarget,
  describeRedisTarget,
  type RedisLinkOptions,
  type RedisTarget,
} from './link.js';
