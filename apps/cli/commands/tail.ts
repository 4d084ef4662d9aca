/**
 * `bb tail [patterns…]`: live events from a temporary queue (exclusive, auto-delete, bound with each
 * pattern), one line each or JSON lines. It consumes without ack from its own queue, so it never takes
 * a message from any other consumer. "listening …" goes to stderr once the queue is bound.
 */
import type { ConsumeMessage } from 'amqplib';
import { decodeBody, decodeMeta } from 'bloodbank/wire.js';
import { ensureEventExchange } from 'bloodbank/amqp/topology.js';
import { getConfig, openConnection, type GlobalOptions } from '../support/context.js';
import { CliError, EXIT } from '../support/errors.js';
import { info, out, truncate } from '../support/output.js';

const PATTERN = /^(?:[A-Za-z0-9_-]+|\*|#)(?:\.(?:[A-Za-z0-9_-]+|\*|#))*$/;

interface TailOptions {
  readonly count?: number;
  readonly timeout?: number;
  readonly json?: boolean;
}

export async function tail(
  _globals: GlobalOptions,
  patterns: string[],
  options: TailOptions,
): Promise<number> {
  const bad = patterns.filter((p) => !PATTERN.test(p));
  if (bad.length > 0)
    throw new CliError(
      `not a topic pattern: ${bad.join(', ')} (dot-separated words, * for one word, # for any number)`,
      EXIT.usage,
    );
  const config = await getConfig();
  const connection = await openConnection(config, 'tail');
  let seen = 0;
  try {
    await ensureEventExchange(connection, config.exchangeName);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    for (const pattern of patterns) await channel.bindQueue(queue, config.exchangeName, pattern);

    const done = new Promise<number>((resolve) => {
      const finish = (code: number) => resolve(code);
      process.once('SIGINT', () => finish(EXIT.ok));
      process.once('SIGTERM', () => finish(EXIT.ok));
      connection.on('disconnected', () => {
        info('bb: connection to RabbitMQ lost; the temporary queue is gone');
        finish(EXIT.unavailable);
      });
      if (options.timeout !== undefined)
        setTimeout(
          () => finish(options.count !== undefined ? EXIT.timeout : EXIT.ok),
          options.timeout * 1000,
        ).unref();
      void channel.consume(
        queue,
        (message: ConsumeMessage | null) => {
          if (!message) return finish(EXIT.unavailable);
          if (options.count !== undefined && seen >= options.count) return;
          seen += 1;
          out(formatMessage(message, options.json === true));
          if (options.count !== undefined && seen >= options.count) finish(EXIT.ok);
        },
        { noAck: true },
      );
    });
    info(`listening on ${config.exchangeName} for ${patterns.join(', ')} (Ctrl-C to stop)`);
    const code = await done;
    if (code === EXIT.timeout)
      info(`bb: timed out after ${options.timeout} s with ${seen} of ${options.count} events`);
    return code;
  } finally {
    await connection.close();
  }
}

export function formatMessage(message: ConsumeMessage, json: boolean): string {
  const meta = decodeMeta(message.properties);
  const body = decodeBody(message.content, message.properties.contentEncoding);
  const envelope = body.ok && isObject(body.value) ? body.value : null;
  const eventType = str(envelope?.['event_type']) ?? meta.eventType ?? message.fields.routingKey;
  const eventId = str(envelope?.['event_id']) ?? meta.eventId ?? '-';
  if (json)
    return JSON.stringify({
      routing_key: message.fields.routingKey,
      event_type: eventType,
      event_id: eventId,
      workflow_id: meta.workflowId,
      causation_ids: meta.causationIds,
      ...(envelope
        ? { envelope }
        : { body: message.content.toString('utf8'), error: body.ok ? 'not an object' : body.reason }),
    });
  const time = (str(envelope?.['timestamp']) ?? new Date().toISOString()).slice(11, 23);
  const payload = envelope
    ? JSON.stringify(envelope['payload'])
    : body.ok
      ? JSON.stringify(body.value)
      : `(${body.reason})`;
  return `${time}  ${eventType}  ${eventId}  ${truncate(payload ?? 'null', 100)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
