/**
 * The AMQP side of `/ws/events`: one connection (opened at the first subscriber), and per subscriber a
 * server-named, exclusive, auto-deleted queue bound with its pattern and capped (`x-max-length`, oldest
 * dropped), so neither the broker nor the gateway buffers without bound for a UI. After a reconnect every
 * live subscription is declared again. Deliveries are not acknowledged (a live view, not a consumer).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { createConnection, type BloodbankConnection } from 'bloodbank/amqp/connection.js';
import { ensureEventExchange } from 'bloodbank/amqp/topology.js';
import { ConnectionError } from 'bloodbank/errors/connection-error.js';

export interface LiveSubscription {
  close(): Promise<void>;
}

export interface LiveStreamOptions {
  readonly url: string;
  readonly exchange: string;
  readonly connectionName: string;
  readonly logger: Logger;
  /** Messages a subscriber's queue holds at most while the gateway is behind (default 1,000). */
  readonly maxQueued?: number;
}

export type Delivery = (routingKey: string, body: Buffer) => void;

interface Sub {
  readonly pattern: string;
  readonly deliver: Delivery;
  readonly onBrokerLost: () => void;
  consumerTag: string | null;
  queue: string | null;
  closed: boolean;
}

export class LiveStream {
  readonly #options: LiveStreamOptions;
  readonly #logger: Logger;
  #connection: Promise<BloodbankConnection> | null = null;
  #channel: Promise<Channel> | null = null;
  readonly #subs = new Set<Sub>();
  #closed = false;

  constructor(options: LiveStreamOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'gateway-stream' });
  }

  get subscribers(): number {
    return this.#subs.size;
  }

  /** Throws `ConnectionError` at once when the broker is not reachable. */
  async subscribe(pattern: string, deliver: Delivery, onBrokerLost: () => void): Promise<LiveSubscription> {
    if (this.#closed) throw new ConnectionError('the gateway is shutting down');
    const conn = await this.#connect();
    if (!conn.connected) throw new ConnectionError('the broker is not reachable');
    const sub: Sub = { pattern, deliver, onBrokerLost, consumerTag: null, queue: null, closed: false };
    await this.#declare(sub);
    this.#subs.add(sub);
    return {
      close: async () => {
        if (sub.closed) return;
        sub.closed = true;
        this.#subs.delete(sub);
        const ch = await this.#channel?.catch(() => null);
        if (ch && sub.consumerTag) await ch.cancel(sub.consumerTag).catch(() => undefined);
        if (ch && sub.queue) await ch.deleteQueue(sub.queue).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#subs.clear();
    const conn = await this.#connection?.catch(() => null);
    await conn?.close().catch(() => undefined);
  }

  #connect(): Promise<BloodbankConnection> {
    if (!this.#connection) {
      this.#connection = createConnection({
        url: this.#options.url,
        name: this.#options.connectionName,
        logger: this.#logger,
      }).then(async (conn) => {
        conn.on('disconnected', () => {
          this.#channel = null;
          for (const s of this.#subs) s.onBrokerLost();
        });
        conn.on('reconnected', () => {
          this.#channel = null;
          void this.#redeclareAll();
        });
        await Promise.race([conn.waitForConnect(), new Promise((r) => setTimeout(r, 2_000))]);
        return conn;
      });
      this.#connection.catch(() => {
        this.#connection = null;
      });
    }
    return this.#connection;
  }

  #openChannel(conn: BloodbankConnection): Promise<Channel> {
    if (!this.#channel) {
      this.#channel = ensureEventExchange(conn, this.#options.exchange).then(async () => {
        const ch = await conn.createChannel();
        ch.on('error', (error: Error) => this.#logger.warn({ err: error }, 'stream channel error'));
        ch.on('close', () => {
          if (this.#channel && !this.#closed) this.#channel = null;
        });
        return ch;
      });
      this.#channel.catch(() => {
        this.#channel = null;
      });
    }
    return this.#channel;
  }

  async #declare(sub: Sub): Promise<void> {
    const conn = await this.#connect();
    const ch = await this.#openChannel(conn);
    const q = await ch.assertQueue('', {
      exclusive: true,
      autoDelete: true,
      durable: false,
      arguments: { 'x-max-length': this.#options.maxQueued ?? 1_000, 'x-overflow': 'drop-head' },
    });
    await ch.bindQueue(q.queue, this.#options.exchange, sub.pattern);
    const { consumerTag } = await ch.consume(
      q.queue,
      (msg: ConsumeMessage | null) => {
        if (msg && !sub.closed) sub.deliver(msg.fields.routingKey, msg.content);
      },
      { noAck: true },
    );
    sub.queue = q.queue;
    sub.consumerTag = consumerTag;
  }

  async #redeclareAll(): Promise<void> {
    for (const sub of this.#subs) {
      try {
        await this.#declare(sub);
      } catch (error) {
        this.#logger.warn({ err: error, pattern: sub.pattern }, 'cannot re-subscribe a live stream');
        sub.onBrokerLost();
      }
    }
  }
}
