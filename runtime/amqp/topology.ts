/**
 * What the publisher declares on every (re)connection: the event exchange (topic, durable), as the
 * original did and as asyncapi.yaml's AMQP bindings say. Queues belong to consumers.
 */
import type { Channel } from 'amqplib';

import { DEFAULT_EXCHANGE } from '../delivery/rules.js';

export { DEFAULT_EXCHANGE };
export const EXCHANGE_TYPE = 'topic';

/** Declare (idempotently) the topic exchange events are published to. Fails 406 if it exists with another type. */
export async function assertEventExchange(channel: Channel, exchange: string): Promise<void> {
  await channel.assertExchange(exchange, EXCHANGE_TYPE, { durable: true });
}
