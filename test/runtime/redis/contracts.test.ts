import { describe, expectTypeOf, it } from 'vitest';
import type { PublisherTracker } from '../../../runtime/amqp/publisher.js';
import type { IdempotencyGate } from '../../../runtime/delivery/rules.js';
import type { CorrelationTracker, IdempotencyStore } from '../../../runtime/redis/index.js';

describe('runtime/redis implements the interfaces the AMQP transport declares', () => {
  it('CorrelationTracker is a PublisherTracker, IdempotencyStore an IdempotencyGate', () => {
    expectTypeOf<CorrelationTracker>().toExtend<PublisherTracker>();
    expectTypeOf<IdempotencyStore>().toExtend<IdempotencyGate>();
  });
});
