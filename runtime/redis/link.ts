/**
 * A Redis connection that degrades instead of failing: commands fail fast while Redis is away (no
 * offline queue, one attempt, short timeouts), the client keeps reconnecting in the background, and
 * an outage is logged once when it starts and once when it ends — never once per call.
 *
 * With Sentinels (`REDIS_SENTINELS`, `REDIS_SENTINEL_NAME`) the client is ioredis' own Sentinel client:
 * it asks the Sentinels for the master of that name, follows a failover (`+switch-master`) and
 * reconnects to the promoted replica; while no master answers, calls degrade exactly as in an outage.
 * The URL then supplies only the password, database and TLS.
 */
import { Redis } from 'ioredis';
import { redactUrl, type BloodbankConfig, type RedisSentinelAddress } from '../config.js';
import { describeTlsFailure, trustedCas } from '../tls.js';
import type { Logger } from '../logger.js';

/** Where Redis is: a URL, and optionally the Sentinels that know which server is the master. */
export interface RedisTarget {
  /** `redis://` or `rediss://`; with `sentinels`, its host and port are not used. */
  readonly url: string;
  /** Ask these Sentinels for the master (ioredis' Sentinel support); unset: `url` is the server. */
  readonly sentinels?: readonly RedisSentinelAddress[];
  /** The master's name in the Sentinels' configuration (default `mymaster`). */
  readonly sentinelName?: string;
}

/** The Redis target the configuration names (`REDIS_URL`…, `REDIS_SENTINELS`, `REDIS_SENTINEL_NAME`). */
export function redisTarget(
  config: Pick<BloodbankConfig, 'redisUrl' | 'redisSentinels' | 'redisSentinelName'>,
): RedisTarget {
  return config.redisSentinels
    ? { url: config.redisUrl, sentinels: config.redisSentinels, sentinelName: config.redisSentinelName }
    : { url: config.redisUrl };
}

/** For log lines: the URL without credentials, or the Sentinels and the master's name. */
export function describeRedisTarget(target: RedisTarget): string {
  if (!target.sentinels) return redactUrl(target.url);
  const list = target.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
  return `sentinel://${list}/${target.sentinelName ?? 'mymaster'}`;
}

export interface RedisLinkOptions extends RedisTarget {
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
    this.#url = describeRedisTarget(options);
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
      ...(options.sentinels
        ? {
            sentinels: options.sentinels.map((a) => ({ host: a.host, port: a.port })),
            name: options.sentinelName ?? 'mymaster',
            // No `failoverDetector`: ioredis 6.0 ends the client for good when a `+switch-master` lands
            // while it is reconnecting (seen in tests); retrying every 200 ms finds the new master as fast.
            // While no master answers (the seconds of a failover), ask again soon.
            retryStrategy: (times: number) => Math.min(reconnectDelay(times), 200),
          }
        : {}),
    });
    // Without a listener ioredis prints connection errors itself; here they only mark the outage.
    this.client.on('error', (error: unknown) => this.#markDown(error));
    this.client.on('ready', () => this.#markUp());
    // ioredis gives up in a few corner cases (status `end` without close()): start again, never stay away.
    this.client.on('end', () => {
      if (this.#closed) return;
      this.#markDown(new Error('the Redis client stopped reconnecting'));
      setTimeout(() => {
        if (!this.#closed && this.client.status === 'end')
          this.client.connect().catch((error: unknown) => this.#markDown(error));
      }, 200).unref?.();
    });
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
      } catch {
        // the connection went away while quitting: disconnect below
      }
    }
    // Also after QUIT: only disconnect() stops the Sentinel client's failover-detector connections.
    this.client.disconnect();
  }

  #markDown(error: unknown): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    const tls = describeTlsFailure(error, redactUrl(this.#url));
    this.#logger.warn(
      { err: error, redis: this.#url },
      `${this.#component}: Redis unreachable${tls ? ` (${tls})` : ''}, ${this.#meaning} until it returns (reconnecting in the background)`,
    );
  }

  #markUp(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#logger.info({ redis: this.#url }, `${this.#component}: Redis reachable again, resumed`);
  }
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
