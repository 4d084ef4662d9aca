/**
 * `bloodbank/testing`: the in-memory transport for unit tests of handlers and producers. Same contracts
 * and semantics as the RabbitMQ transport (it passes the same contract suite), plus assertions.
 */
export { createMemoryBus } from './bus.js';
export type { MemoryBus, MemoryBusOptions, MemoryQueueStats } from './bus.js';
export { createManualClock, realClock } from './clock.js';
export type { Clock, ManualClock } from './clock.js';
export { assertTopicPattern, compileTopicPatterns, topicMatches } from '../delivery/topic.js';
export { createMemoryIdempotency } from '../delivery/rules.js';
export type { DeadLetterReason, DeadLetterRecord, IdempotencyGate } from '../delivery/rules.js';
