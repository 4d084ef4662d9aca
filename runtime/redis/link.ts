/**
 * A Redis connection that degrades instead of failing: commands fail fast while Redis is away (no
 * offline queue, one attempt, short timeouts), the client keeps reconnecting in the background, and
 * an outage is logged once when it starts and once when it ends — never once per call.
 */
import { Redis } from 'ioredis';
import { redactUrl } from '../config.js';
import { describeTlsFailure, trustedCas } from '../tls.js';
import type { Logger } from '../logger.js';

export interface RedisLinkOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Who is talking, for log lines: `correlation tracker`, `idempotency store`. */
  readonly component: string;
  /** What stops working while Redis is away, for the outage warning. */
  readonly degradedMeaning: string;
  /** Fail a connection attempt after this long (default 1,000 ms). */
  readonly connectTimeoutMs?: number;
  /** Fail a command with no reply after this long (default 2,000 ms). */
  readonly commandTimeoutMs?: number;
  /** PEM file of CAs trusted for rediss:// beside the system's (default `BLOODBANK_TLS_CA`). */
  readonly tlsCa?: string;
}

/** Delay before reconnect attempt `times`: 50 ms doubling, at most 1 s, forever. */
export function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 5), 1000);
}

export class RedisLink {
  readonly client: Redis;
  readonly #logger: Logger;
  readonly #url: string;
  readonly #component: string;
  readonly #meaning: string;
  #down = false;
  #closed = false;
  #started: Promise<void> | undefined;

  constructor(options: RedisLinkOptions) {
    this.#logger = options.logger;
    this.#url = options.url;
    this.#component = options.component;
    this.#meaning = options.degradedMeaning;
    this.client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      retryStrategy: reconnectDelay,
      connectionName: `bloodbank ${options.component}`,
      ...(options.url.startsWith('rediss:') ? { tls: trustedCas(options.tlsCa) } : {}),
    });
    // Without a listener ioredis prints connection errors itself; here they only mark the outage.
    this.client.on('error', (error: unknown) => this.#markDown(error));
    this.client.on('ready', () => this.#markUp());
  }

  /** True between the first failure of an outage and the next successful connection. */
  get degraded(): boolean {
    return this.#down;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Connects once; never throws. If Redis is away it logs the outage and keeps retrying. */
  start(): Promise<void> {
    this.#started ??= this.client.connect().then(
      () => undefined,
      (error: unknown) => this.#markDown(error),
    );
    return this.#started;
  }

  /**
   * Runs `fn` against Redis. On failure returns `fallback` after `onFailure` (for a metric); a failure
   * while Redis is reachable (a reply error) is logged every time, an outage only when it begins.
   */
  async run<T>(
    operation: string,
    fn: (client: Redis) => Promise<T>,
    fallback: T,
    onFailure: () => void,
  ): Promise<T> {
    if (this.#closed) return fallback;
    await this.start();
    try {
      const result = await fn(this.client);
      if (this.#down) this.#markUp(); // a hung (not disconnected) Redis recovers without a new 'ready'
      return result;
    } catch (error) {
      onFailure();
      if (this.client.status === 'ready' && isReplyError(error))
        this.#logger.error({ err: error, operation }, `${this.#component}: Redis rejected ${operation}`);
      else this.#markDown(error);
      return fallback;
    }
  }

  /** Closes the connection; later calls return their fallback without touching Redis. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // the connection went away while quitting: disconnect below
      }
    }
    this.client.disconnect();
  }

  #markDown(error: unknown): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    const tls = describeTlsFailure(error, redactUrl(this.#url));
    this.#logger.warn(
      { err: error, redis: redactUrl(this.#url) },
      `${this.#component}: Redis unreachable${tls ? ` (${tls})` : ''}, ${this.#meaning} until it returns (reconnecting in the background)`,
    );
  }

  #markUp(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#logger.info({ redis: redactUrl(this.#url) }, `${this.#component}: Redis reachable again, resumed`);
  }
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
