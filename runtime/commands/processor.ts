/**
 * Wiring a command manager to RabbitMQ: one quorum queue per command key the manager has a handler for
 * (`${exchange}.commands.<key>`, bound to that key only, so a command is never taken by a processor that
 * cannot run it), and the sender of direct replies.
 */
import type { ConfirmChannel } from 'amqplib';
import type { Envelope } from '../envelope.js';
import { silentLogger, type Logger } from '../logger.js';
import type { BloodbankConnection } from '../amqp/connection.js';
import type { AmqpSubscriber, AmqpSubscription } from '../amqp/consumer.js';
import { encodeMessage } from '../wire.js';
import type { Catalog } from '../registry.js';
import type { CommandManager, ReplySender } from './manager.js';
import { commandQueueName } from './requester.js';

export interface SubscribeCommandsOptions<M extends Catalog> {
  readonly manager: CommandManager<M>;
  readonly subscriber: AmqpSubscriber<M>;
  /** Commands run at once per key (default 1); also the prefetch, so idle processors get the rest. */
  readonly concurrency?: number;
}

/**
 * Subscribe `manager.handle` to the queue of every command it handles. Idempotent by command event_id
 * (the subscriber's store): a redelivered command whose run completed is acked without running again;
 * one whose run was interrupted (crash) runs again once its lease expired.
 */
export async function subscribeCommands<M extends Catalog>(
  options: SubscribeCommandsOptions<M>,
): Promise<AmqpSubscription[]> {
  const { manager, subscriber } = options;
  const concurrency = options.concurrency ?? 1;
  const subscriptions: AmqpSubscription[] = [];
  try {
    for (const key of manager.handled())
      subscriptions.push(
        await subscriber.subscribe(key, manager.handle as never, {
          service: `commands.${key}`,
          queue: commandQueueName(subscriber.exchange, key),
          concurrency,
          prefetch: concurrency,
          idempotent: true,
          onDuplicate: manager.handleDuplicate,
          maxAttempts: manager.maxAttempts,
        }),
      );
  } catch (error) {
    await Promise.allSettled(subscriptions.map((s) => s.close()));
    throw error;
  }
  return subscriptions;
}

/**
 * Sends replies to requesters over direct reply-to (`sendToQueue(reply_to)`), confirmed. A requester
 * that went away makes the broker drop the reply; the reply is on the exchange as a fact all the same.
 */
export function createReplySender(
  connection: BloodbankConnection,
  logger: Logger = silentLogger,
): ReplySender & { close(): Promise<void> } {
  let channel: Promise<ConfirmChannel> | null = null;
  const open = (): Promise<ConfirmChannel> => {
    if (!channel) {
      const opening = connection.createConfirmChannel().then((ch) => {
        ch.on('error', (error: Error) => logger.warn({ err: error }, 'reply channel error'));
        ch.on('close', () => {
          if (channel === opening) channel = null;
        });
        return ch;
      });
      channel = opening;
      opening.catch(() => {
        if (channel === opening) channel = null;
      });
    }
    return channel;
  };
  const send = async (replyTo: string, correlationId: string, envelope: Envelope): Promise<void> => {
    const ch = await open();
    const message = encodeMessage(envelope);
    await new Promise<void>((resolve, reject) => {
      ch.sendToQueue(
        replyTo,
        message.body,
        { ...message.properties, headers: { ...message.properties.headers }, correlationId },
        (error: unknown) =>
          error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      );
    });
  };
  return Object.assign(send, {
    async close() {
      const ch = channel ? await channel.catch(() => null) : null;
      channel = null;
      await ch?.close().catch(() => undefined);
    },
  });
}
