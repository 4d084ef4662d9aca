/**
 * One named, self-recovering AMQP connection, shared by the publisher and the consumer.
 *
 * Built on amqplib's opt-in connection recovery (amqplib ≥ 1.1, `connect(url, { recovery })`): amqplib
 * reconnects with exponential backoff and jitter; it does not revive channel objects nor republish
 * anything. Owners of channels therefore listen for `reconnected` and open new channels themselves.
 *
 * A cluster: `url` may list several nodes, comma-separated (`RABBIT_URL`). amqplib's recovery retries
 * one URL only, so failing over is done here: the connection starts on the first node; when the node it
 * is on goes away, or a node refuses the connection, it tries the next one at once, round-robin; after a
 * whole round without success it waits (the same exponential backoff) before the next round. Whatever
 * node it lands on, owners see one `reconnected`.
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
import { redactUrl, splitUrlList } from '../config.js';
import { ConnectionError } from '../errors/connection-error.js';
import { describeTlsFailure, trustedCas } from '../tls.js';
import { coalesceWrites } from './coalesce.js';

export interface ConnectionOptions {
  /**
   * `amqp://` or `amqps://`; several nodes of one cluster comma-separated (`RABBIT_URL`), tried in
   * order. Credentials are never logged.
   */
  readonly url: string;
  /** `clientProperties.connection_name`, shown by `rabbitmqctl list_connections name`. */
  readonly name: string;
  readonly logger?: Logger;
  /** Called (and awaited) once after every re-connection, before `reconnected` listeners run. */
  readonly onReconnect?: (connection: BloodbankConnection) => void | Promise<void>;
  /** Reconnect delays (ms): exponential from `initialDelayMs` up to `maxDelayMs`. Defaults 100 / 5,000. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Give up after this many failed attempts in a row (default: never); with several nodes, one per node tried. */
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
  /** The node connected to (or being tried), credentials removed. */
  readonly node: string;
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
  const urls = splitUrlList(options.url);
  if (urls.length === 0) throw new ConnectionError(`connection ${options.name}: no RabbitMQ URL given`);
  const connection = new RecoveringConnection(urls, options, logger);
  await connection.start();
  return connection;
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
  /** The amqplib model of the node in use; replaced on failover (several nodes only). */
  #model: RecoveringChannelModel | null = null;
  #index = 0;
  /** Nodes tried without success since the last connection (several nodes only). */
  #failedInRow = 0;
  #timer: NodeJS.Timeout | null = null;
  /** Waiting for an open connection (channel factories, the first `waitForConnect`). */
  #upWaiters: Array<{ resolve: (model: RecoveringChannelModel) => void; reject: (e: Error) => void }> = [];
  readonly #urls: readonly string[];
  readonly #options: ConnectionOptions;
  readonly #logger: Logger;
  readonly #onReconnect: ConnectionOptions['onReconnect'];

  constructor(urls: readonly string[], options: ConnectionOptions, logger: Logger) {
    super();
    this.name = options.name;
    this.#urls = urls;
    this.#options = options;
    this.#logger = logger;
    this.#onReconnect = options.onReconnect;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get generation(): number {
    return this.#generation;
  }

  get node(): string {
    return redactUrl(this.#urls[this.#index] as string);
  }

  /** One node: amqplib's recovery does everything. Several: it reconnects none, we move on (below). */
  get #single(): boolean {
    return this.#urls.length === 1;
  }

  async start(): Promise<void> {
    await this.#open(0);
  }

  async #open(index: number): Promise<void> {
    this.#index = index;
    const url = this.#urls[index] as string;
    const safeUrl = redactUrl(url);
    const options = this.#options;
    const logger = this.#logger;
    const single = this.#single;
    const model: RecoveringChannelModel = await amqp.connect(
      withHeartbeat(url, options.heartbeatSeconds ?? 10),
      {
        noDelay: true,
        ...(url.startsWith('amqps:') ? trustedCas(options.tlsCa) : {}),
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
          maxRetries: single ? (options.maxRetries ?? Infinity) : 0,
          ...(single && options.initialMaxRetries !== undefined
            ? { initialMaxRetries: options.initialMaxRetries }
            : {}),
          waitForConnect: false,
          // Before any channel exists on each new connection: frames leave in one write per batch.
          setup: (connected: { connection?: unknown }) => {
            if (!coalesceWrites(connected.connection))
              logger.debug('amqplib internals differ: frames are written one by one (slower, not wrong)');
          },
        },
      },
    );
    if (this.#closed) {
      await model.close().catch(() => undefined);
      return;
    }
    this.#model = model;
    const current = () => this.#model === model && !this.#closed;

    model.on('connect', () => {
      if (!current()) return;
      this.#connected = true;
      this.#failedInRow = 0;
      this.#generation += 1;
      const first = this.#generation === 1;
      logger.info({ url: safeUrl, generation: this.#generation }, first ? 'connected' : 'reconnected');
      for (const w of this.#upWaiters.splice(0)) w.resolve(model);
      if (first) {
        this.emit('connected');
        return;
      }
      void this.#runReconnectHook().then(() => {
        if (this.#connected && !this.#closed) this.emit('reconnected');
      });
    });
    model.on('disconnect', (error: Error) => {
      if (!current()) return;
      this.#connected = false;
      logger.warn(
        { err: error, url: safeUrl },
        single ? 'connection lost; reconnecting' : 'connection lost; failing over to the next node',
      );
      this.emit('disconnected', error);
    });
    model.on('connect-failed', (error: Error) => {
      if (current())
        logger.warn(
          { err: error, url: safeUrl },
          describeTlsFailure(error, safeUrl) ?? 'connection attempt failed',
        );
    });
    model.on('reconnect-scheduled', (info: { attempt: number; delay: number }) => {
      logger.debug(info, 'reconnect scheduled');
    });
    model.on('reconnect-failed', (error: Error) => {
      if (!current()) return;
      this.#connected = false;
      if (single) this.#fail(error, safeUrl);
      else this.#failover(error);
    });
    model.on('blocked', (reason: string) => {
      if (!current()) return;
      logger.warn({ reason }, 'connection blocked by the broker');
      this.emit('blocked', reason);
    });
    model.on('unblocked', () => {
      if (!current()) return;
      logger.info('connection unblocked');
      this.emit('unblocked');
    });
    // Without this listener a broker-side close (320 CONNECTION_FORCED) would crash the process.
    model.on('error', (error: Error) => logger.warn({ err: error }, 'connection error'));
    model.on('handler-error', (error: Error, event: string) =>
      logger.error({ err: error, event }, 'a connection event listener threw'),
    );
  }

  /** The node in use is gone (or refused): the next one at once; after a whole round, back off. */
  #failover(error: Error): void {
    this.#failedInRow += 1;
    const limit =
      this.#generation === 0
        ? (this.#options.initialMaxRetries ?? this.#options.maxRetries ?? Infinity)
        : (this.#options.maxRetries ?? Infinity);
    if (this.#failedInRow > limit) {
      this.#fail(error, this.#urls.map(redactUrl).join(','));
      return;
    }
    const next = (this.#index + 1) % this.#urls.length;
    const rounds = Math.floor(this.#failedInRow / this.#urls.length);
    const initial = this.#options.initialDelayMs ?? 100;
    const delay =
      this.#failedInRow % this.#urls.length === 0
        ? Math.min(this.#options.maxDelayMs ?? 5_000, initial * 2 ** (rounds - 1))
        : 0;
    this.#logger.info(
      { next: redactUrl(this.#urls[next] as string), delayMs: delay, failedInRow: this.#failedInRow },
      'trying the next node',
    );
    const old = this.#model;
    this.#model = null;
    void old?.close().catch(() => undefined);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#closed) return;
      this.#open(next).catch((e: unknown) => this.#failover(e instanceof Error ? e : new Error(String(e))));
    }, delay);
  }

  #fail(error: Error, safeUrl: string): void {
    this.#connected = false;
    const tls = describeTlsFailure(error, safeUrl);
    this.#failure = new ConnectionError(
      `connection ${this.name} gave up reconnecting to ${safeUrl}${tls ? `: ${tls}` : ''}`,
      { cause: error },
    );
    this.#logger.error({ err: error, url: safeUrl }, 'recovery gave up');
    for (const w of this.#upWaiters.splice(0)) w.reject(this.#failure);
    this.emit('failed', this.#failure);
  }

  async waitForConnect(): Promise<void> {
    if (this.#connected) return;
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new ConnectionError(`connection ${this.name} is closed`);
    if (this.#generation === 0) {
      try {
        await this.#up();
      } catch (error) {
        const tls = describeTlsFailure(error, this.node);
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
    return this.#wrap(async () => (await this.#up()).createChannel());
  }

  createConfirmChannel(): Promise<ConfirmChannel> {
    return this.#wrap(async () => (await this.#up()).createConfirmChannel());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const wasConnected = this.#connected;
    this.#connected = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const closedError = new ConnectionError(`connection ${this.name} is closed`);
    for (const w of this.#upWaiters.splice(0)) w.reject(closedError);
    const model = this.#model;
    this.#model = null;
    await model?.close().catch((error: unknown) => {
      this.#logger.debug({ err: error }, 'close failed (already closed)');
    });
    if (!wasConnected && this.#generation === 0)
      this.emit('failed', new ConnectionError(`connection ${this.name} closed before connecting`));
    this.#logger.info('connection closed');
  }

  /** The open model, waiting for one while disconnected or between nodes. */
  #up(): Promise<RecoveringChannelModel> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new ConnectionError(`connection ${this.name} is closed`));
    const model = this.#model;
    if (this.#connected && model) return Promise.resolve(model);
    return new Promise((resolve, reject) => this.#upWaiters.push({ resolve, reject }));
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
