/**
 * One named, self-recovering AMQP connection, shared by the publisher and the consumer.
 *
 * Built on amqplib's opt-in connection recovery (amqplib ≥ 1.1, `connect(url, { recovery })`): amqplib
 * reconnects with exponential backoff and jitter; it does not revive channel objects nor republish
 * anything. Owners of channels therefore listen for `reconnected` and open new channels themselves.
 *
 * Events (each emitted once per occurrence):
 * - `connected` — the first connection is open;
 * - `reconnected` — a later connection is open (after a loss); re-create channels, re-subscribe here;
 * - `disconnected` (error) — the connection was lost; recovery is already scheduled;
 * - `blocked` (reason) / `unblocked` — the broker's flow control (memory or disk alarm);
 * - `failed` (error) — recovery gave up (only with a finite `maxRetries`) or `close()` was called
 *   before the first connection.
 * Connection-level `error`s are logged, never re-emitted, so an owner without an `error` listener
 * cannot be crashed by a broker restart.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import amqp from 'amqplib';
import type { Channel, ConfirmChannel, RecoveringChannelModel } from 'amqplib';
import { pino, type Logger } from 'pino';
import { redactUrl } from '../config.js';
import { ConnectionError } from '../errors/connection-error.js';
import { describeTlsFailure, trustedCas } from '../tls.js';
import { coalesceWrites } from './coalesce.js';

export interface ConnectionOptions {
  /** `amqp://` or `amqps://`; credentials are never logged. */
  readonly url: string;
  /** `clientProperties.connection_name`, shown by `rabbitmqctl list_connections name`. */
  readonly name: string;
  readonly logger?: Logger;
  /** Called (and awaited) once after every re-connection, before `reconnected` listeners run. */
  readonly onReconnect?: (connection: BloodbankConnection) => void | Promise<void>;
  /** Reconnect delays (ms): exponential from `initialDelayMs` up to `maxDelayMs`. Defaults 100 / 5,000. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  readonly maxRetries?: number;
  /** Attempts before the first connection succeeds (default: `maxRetries`). */
  readonly initialMaxRetries?: number;
  /** AMQP heartbeat in seconds (default 10, so a dead peer is noticed in ~20 s). */
  readonly heartbeatSeconds?: number;
  /** PEM file of CAs trusted for amqps:// beside the system's (default `BLOODBANK_TLS_CA`). */
  readonly tlsCa?: string;
}

export interface BloodbankConnection {
  readonly name: string;
  /** True while a connection is open. */
  readonly connected: boolean;
  /** Increments on every successful (re)connection; 0 before the first. */
  readonly generation: number;
  /** Resolves once connected (at once when already connected); rejects with `ConnectionError` after `close()`/`failed`. */
  waitForConnect(): Promise<void>;
  /** A new channel on the current connection (waits for one while disconnected). */
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  /** Stops recovery and closes the connection. Channels are closed with it. */
  close(): Promise<void>;
  on(event: 'connected' | 'reconnected' | 'unblocked', listener: () => void): this;
  on(event: 'disconnected' | 'failed', listener: (error: Error) => void): this;
  on(event: 'blocked', listener: (reason: string) => void): this;
  once(event: 'connected' | 'reconnected' | 'unblocked', listener: () => void): this;
  once(event: 'disconnected' | 'failed', listener: (error: Error) => void): this;
  off(event: 'connected' | 'reconnected' | 'unblocked', listener: () => void): this;
  off(event: 'disconnected' | 'failed', listener: (error: Error) => void): this;
  off(event: 'blocked', listener: (reason: string) => void): this;
}

/** One redaction for every log line: the config module's (`amqp://***@host/vhost`). */
export { redactUrl };

/**
 * Open a named connection with recovery. Resolves once the handle exists (not once connected): call
 * `waitForConnect()` to wait for the broker; channel operations wait by themselves.
 */
export async function createConnection(options: ConnectionOptions): Promise<BloodbankConnection> {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({
    component: 'amqp-connection',
    connection: options.name,
  });
  const safeUrl = redactUrl(options.url);
  const model: RecoveringChannelModel = await amqp.connect(
    withHeartbeat(options.url, options.heartbeatSeconds ?? 10),
    {
      noDelay: true,
      ...(options.url.startsWith('amqps:') ? trustedCas(options.tlsCa) : {}),
      clientProperties: {
        connection_name: options.name,
        product: 'bloodbank',
        information: `${hostname()} pid ${process.pid}`,
      },
      recovery: {
        initialDelay: options.initialDelayMs ?? 100,
        maxDelay: options.maxDelayMs ?? 5_000,
        factor: 2,
        jitter: 0.2,
        maxRetries: options.maxRetries ?? Infinity,
        ...(options.initialMaxRetries !== undefined ? { initialMaxRetries: options.initialMaxRetries } : {}),
        waitForConnect: false,
        // Before any channel exists on each new connection: frames leave in one write per batch.
        setup: (connected: { connection?: unknown }) => {
          if (!coalesceWrites(connected.connection))
            logger.debug('amqplib internals differ: frames are written one by one (slower, not wrong)');
        },
      },
    },
  );
  return new RecoveringConnection(model, options, logger, safeUrl);
}

/** amqplib takes the heartbeat from the URL (`?heartbeat=`); a value already there wins. */
function withHeartbeat(url: string, seconds: number): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
    return u.toString();
  } catch {
    return url;
  }
}

class RecoveringConnection extends EventEmitter implements BloodbankConnection {
  readonly name: string;
  #connected = false;
  #generation = 0;
  #closed = false;
  #failure: Error | null = null;
  readonly #model: RecoveringChannelModel;
  readonly #logger: Logger;
  readonly #onReconnect: ConnectionOptions['onReconnect'];
  /** Without credentials. */
  readonly #url: string;

  constructor(model: RecoveringChannelModel, options: ConnectionOptions, logger: Logger, safeUrl: string) {
    super();
    this.name = options.name;
    this.#model = model;
    this.#logger = logger;
    this.#onReconnect = options.onReconnect;
    this.#url = safeUrl;

    model.on('connect', () => {
      this.#connected = true;
      this.#generation += 1;
      const first = this.#generation === 1;
      logger.info({ url: safeUrl, generation: this.#generation }, first ? 'connected' : 'reconnected');
      if (first) {
        this.emit('connected');
        return;
      }
      void this.#runReconnectHook().then(() => {
        if (this.#connected && !this.#closed) this.emit('reconnected');
      });
    });
    model.on('disconnect', (error: Error) => {
      this.#connected = false;
      logger.warn({ err: error, url: safeUrl }, 'connection lost; reconnecting');
      this.emit('disconnected', error);
    });
    model.on('connect-failed', (error: Error) => {
      logger.warn(
        { err: error, url: safeUrl },
        describeTlsFailure(error, safeUrl) ?? 'connection attempt failed',
      );
    });
    model.on('reconnect-scheduled', (info: { attempt: number; delay: number }) => {
      logger.debug(info, 'reconnect scheduled');
    });
    model.on('reconnect-failed', (error: Error) => {
      this.#connected = false;
      const tls = describeTlsFailure(error, safeUrl);
      this.#failure = new ConnectionError(
        `connection ${options.name} gave up reconnecting to ${safeUrl}${tls ? `: ${tls}` : ''}`,
        { cause: error },
      );
      logger.error({ err: error, url: safeUrl }, 'recovery gave up');
      this.emit('failed', this.#failure);
    });
    model.on('blocked', (reason: string) => {
      logger.warn({ reason }, 'connection blocked by the broker');
      this.emit('blocked', reason);
    });
    model.on('unblocked', () => {
      logger.info('connection unblocked');
      this.emit('unblocked');
    });
    // Without this listener a broker-side close (320 CONNECTION_FORCED) would crash the process.
    model.on('error', (error: Error) => logger.warn({ err: error }, 'connection error'));
    model.on('handler-error', (error: Error, event: string) =>
      logger.error({ err: error, event }, 'a connection event listener threw'),
    );
  }

  get connected(): boolean {
    return this.#connected;
  }

  get generation(): number {
    return this.#generation;
  }

  async waitForConnect(): Promise<void> {
    if (this.#connected) return;
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new ConnectionError(`connection ${this.name} is closed`);
    if (this.#generation === 0) {
      try {
        await this.#model.waitForConnect();
      } catch (error) {
        const tls = describeTlsFailure(error, this.#url);
        throw new ConnectionError(`connection ${this.name} could not connect${tls ? `: ${tls}` : ''}`, {
          cause: error,
        });
      }
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onUp = () => {
        this.off('failed', onFailed);
        resolve();
      };
      const onFailed = (error: Error) => {
        this.off('reconnected', onUp);
        reject(error);
      };
      this.once('reconnected', onUp);
      this.once('failed', onFailed);
    });
  }

  createChannel(): Promise<Channel> {
    return this.#wrap(() => this.#model.createChannel());
  }

  createConfirmChannel(): Promise<ConfirmChannel> {
    return this.#wrap(() => this.#model.createConfirmChannel());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const wasConnected = this.#connected;
    this.#connected = false;
    await this.#model.close().catch((error: unknown) => {
      this.#logger.debug({ err: error }, 'close failed (already closed)');
    });
    if (!wasConnected && this.#generation === 0)
      this.emit('failed', new ConnectionError(`connection ${this.name} closed before connecting`));
    this.#logger.info('connection closed');
  }

  async #wrap<T>(open: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new ConnectionError(`connection ${this.name} is closed`);
    try {
      return await open();
    } catch (error) {
      throw new ConnectionError(`connection ${this.name}: cannot open a channel`, { cause: error });
    }
  }

  async #runReconnectHook(): Promise<void> {
    if (!this.#onReconnect) return;
    try {
      await this.#onReconnect(this);
    } catch (error) {
      this.#logger.error({ err: error }, 'onReconnect hook failed');
    }
  }
}
