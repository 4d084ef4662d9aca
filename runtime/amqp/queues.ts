/**
 * The RabbitMQ topology of one service (`${exchange}.${service}.q`, see `queueNames` in delivery/rules.ts):
 * - the main queue: quorum, durable, bound with each pattern; `x-delivery-limit` is the broker-side
 *   safety net (a message redelivered that often, e.g. because consumers crash on it, is dead-lettered
 *   by the broker, at-least-once, into the DLQ);
 * - one retry queue per backoff delay (`….retry.<ms>`): quorum, `x-message-ttl` = the delay, dead-lettered
 *   (at-least-once) back to the main queue through the default exchange. The name carries the delay, so
 *   changing the delays declares new queues instead of failing with 406 on an argument change;
 * - the dead-letter queue `….dlq`: quorum, durable, no consumer; read it with the DLQ API (`dlq.ts`).
 */
import type { QueueNames } from '../delivery/rules.js';

/** Broker-side redelivery limit of the main queue (deliveries returned without ack/nack by us). */
export const DEFAULT_DELIVERY_LIMIT = 20;
export function mainQueueArguments(names: QueueNames, deliveryLimit: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': names.dlq,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

export function retryQueueArguments(names: QueueNames, delayMs: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-message-ttl': delayMs,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': names.main,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

export function dlqArguments(): Record<string, unknown> {
  return { 'x-queue-type': 'quorum' };
}
