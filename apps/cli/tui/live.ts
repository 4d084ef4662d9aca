/**
 * The live pane's feed: a temporary queue (server-named, exclusive, auto-deleted with the connection)
 * bound to the event exchange with a topic pattern. It takes copies of events and never competes with
 * consumers' queues; nothing of it outlives the TUI. Re-declared after every reconnection.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { createConnection, type BloodbankConnection } from 'bloodbank/amqp/connection.js';
import { ensureEventExchange } from 'bloodbank/amqp/topology.js';
import { decodeBody, decodeMeta } from 'bloodbank/wire.js';

export interface LiveEvent {
  /** Increasing number, unique within the session. */
  readonly seq: number;
  readonly receivedAt: Date;
  readonly routingKey: string;
  readonly eventId: string | null;
  /** The whole envelope as received (or the undecodable body's reason). */
  readonly body: unknown;
  /** The envelope's `payload`, when the body is an envelope. */
  readonly payload: unknown;
}

export type LiveStatus = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface LiveFeedOptions {
  readonly url: string;
  readonly exchange: string;
  readonly pattern: string;
  readonly onEvent: (event: LiveEvent) => void;
  readonly onStatus: (status: LiveStatus, detail?: string) => void;
}

export interface LiveFeed {
  readonly pattern: string;
  /** Re-bind the queue to another pattern (the old binding is removed first). */
  setPattern(pattern: string): Promise<void>;
  /** Close the channel and the connection; the queue goes with them. */
  close(): Promise<void>;
}

/** `*` matches one word, `#` zero or more: the patterns the TUI accepts, as RabbitMQ does. */
export function isTopicPattern(pattern: string): boolean {
  return /^(\*|#|[a-z0-9_]+)(\.(\*|#|[a-z0-9_]+))*$/.test(pattern);
}

export async function openLiveFeed(options: LiveFeedOptions): Promise<LiveFeed> {
  let pattern = options.pattern;
  let channel: Channel | null = null;
  let queue: string | null = null;
  let seq = 0;
  let closed = false;
  options.onStatus('connecting');
  const connection: BloodbankConnection = await createConnection({ url: options.url, name: 'bb-tui-live' });

  const onMessage = (message: ConsumeMessage | null) => {
    if (!message) return;
    const meta = decodeMeta(message.properties);
    const decoded = decodeBody(message.content, message.properties.contentEncoding);
    const body = decoded.ok ? decoded.value : { undecodable: decoded.reason };
    const payload =
      decoded.ok && typeof decoded.value === 'object' && decoded.value !== null && 'payload' in decoded.value
        ? (decoded.value as { payload: unknown }).payload
        : body;
    options.onEvent({
      seq: ++seq,
      receivedAt: new Date(),
      routingKey: message.fields.routingKey,
      eventId:
        meta.eventId ??
        (decoded.ok && typeof decoded.value === 'object' && decoded.value !== null
          ? String((decoded.value as { event_id?: unknown }).event_id ?? '') || null
          : null),
      body,
      payload,
    });
  };

  const setup = async () => {
    try {
      await ensureEventExchange(connection, options.exchange);
      const ch = await connection.createChannel();
      ch.on('error', () => {});
      const q = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
      await ch.bindQueue(q.queue, options.exchange, pattern);
      await ch.consume(q.queue, onMessage, { noAck: true });
      channel = ch;
      queue = q.queue;
      if (closed) await ch.close().catch(() => {});
      else options.onStatus('connected');
    } catch (error) {
      options.onStatus('disconnected', (error as Error).message);
    }
  };

  connection.on('connected', () => void setup());
  connection.on('reconnected', () => void setup());
  connection.on('disconnected', (error) => {
    channel = null;
    options.onStatus('disconnected', error.message);
  });
  connection.on('failed', (error) => options.onStatus('disconnected', error.message));
  if (connection.connected) void setup();

  return {
    get pattern() {
      return pattern;
    },
    async setPattern(next) {
      if (!isTopicPattern(next))
        throw new Error(`not a topic pattern: ${next} (words, * or #, separated by dots)`);
      const previous = pattern;
      pattern = next;
      if (channel && queue) {
        await channel.bindQueue(queue, options.exchange, next);
        if (previous !== next) await channel.unbindQueue(queue, options.exchange, previous);
      }
    },
    async close() {
      closed = true;
      const ch = channel;
      channel = null;
      await ch?.close().catch(() => {});
      await connection.close().catch(() => {});
      options.onStatus('closed');
    },
  };
}
