/**
 * A requester's reply queue on RabbitMQ (request/reply on the bare wire, delivery/request-reply.ts).
 *
 * An exclusive, auto-delete queue with a client-chosen name (`bb.reply.<uuid>`), not direct reply-to
 * (`amq.rabbitmq.reply-to`): direct reply-to delivers a reply only to the very channel that published the
 * request, while requests go out through the shared confirmed publisher (any of its channels, republished
 * on a new one after a reconnect); a real queue also lets a foreign responder check it passively before
 * answering, as some AMQP clients do. The name is ours, so after a reconnect the same queue is declared
 * again and requests still waiting keep their `reply_to` (a reply sent while disconnected is lost, and its
 * request times out). Replies are consumed without acks: a reply has one reader and is never retried.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { ReplyMessage, ReplyQueue } from '../bus.js';
import type { ConsumerConnection } from './consumer.js';

export async function openReplyQueue(
  connection: ConsumerConnection,
  onMessage: (message: ReplyMessage) => void,
  logger: Logger,
): Promise<ReplyQueue> {
  const name = `bb.reply.${randomUUID()}`;
  let channel: Channel | null = null;
  let closed = false;
  const deliver = (msg: ConsumeMessage | null): void => {
    if (!msg) return;
    const p = msg.properties;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const correlationId = str(p.correlationId);
    const replyTo = str(p.replyTo);
    try {
      onMessage({
        body: msg.content,
        routingKey: msg.fields.routingKey,
        headers: (p.headers ?? {}) as Record<string, unknown>,
        messageId: p.messageId,
        type: p.type,
        timestamp: p.timestamp,
        appId: p.appId,
        ...(correlationId !== undefined ? { correlationId } : {}),
        ...(replyTo !== undefined ? { replyTo } : {}),
      });
    } catch (error) {
      logger.error({ err: error, queue: name }, 'reply handler threw');
    }
  };
  const open = async (): Promise<void> => {
    const ch = await connection.createChannel();
    ch.on('error', (error: Error) => logger.warn({ err: error, queue: name }, 'reply queue channel error'));
    await ch.assertQueue(name, { exclusive: true, autoDelete: true, durable: false });
    await ch.consume(name, deliver, { noAck: true, exclusive: true });
    channel = ch;
  };
  const reopen = (): void => {
    if (closed) return;
    open().catch((error: unknown) =>
      logger.error({ err: error, queue: name }, 'cannot declare the reply queue again'),
    );
  };
  await open();
  connection.on('reconnected', reopen);
  return {
    name,
    async close() {
      if (closed) return;
      closed = true;
      connection.off('reconnected', reopen);
      const ch = channel;
      channel = null;
      if (!ch) return;
      await ch.deleteQueue(name).catch(() => undefined);
      await ch.close().catch(() => undefined);
    },
  };
}
