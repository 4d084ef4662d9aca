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

/**
 * Make sure the exchange exists, on channels of its own: declared when the user may configure it, else
 * (403, a least-privilege user of `bb broker definitions`, which may not redeclare the exchange) checked
 * passively, which needs no permission. Throws when it is missing and cannot be declared.
 */
export async function ensureEventExchange(
  connection: { createChannel(): Promise<Channel> },
  exchange: string,
): Promise<void> {
  const attempt = async (use: (ch: Channel) => Promise<unknown>): Promise<void> => {
    const ch = await connection.createChannel();
    ch.on('error', () => {});
    try {
      await use(ch);
    } finally {
      await ch.close().catch(() => {});
    }
  };
  try {
    await attempt((ch) => assertEventExchange(ch, exchange));
  } catch (error) {
    if ((error as { code?: number }).code !== 403) throw error;
    try {
      await attempt((ch) => ch.checkExchange(exchange));
    } catch (missing) {
      throw new Error(
        `exchange ${exchange} does not exist and this user may not declare it (${(error as Error).message}); ` +
          'create it with `bb broker apply`',
        { cause: missing },
      );
    }
  }
}
