/**
 * Idempotent consumption: remembers, per service and event id, whether an event is being handled or
 * was handled, so a redelivered or republished event runs its handler once.
 *
 * Keys: `bloodbank:idempotency:{service}:{event_id}` holding `processing` (a lease, `SET NX PX`) or
 * `done` (long TTL); `…:{event_id}:result` holds what the handler produced when it keeps it (a
 * command's reply), as long as `done`. The lease is what keeps a crash from losing work: if the process dies mid-handler
 * nobody writes `done`, the lease expires, and the broker's redelivery runs the handler again.
 *
 * With Redis away, an in-process map of recent ids answers instead (one warning per outage,
 * `metrics.idempotencyFallback` per call served by it). It only knows what this process saw, so
 * **duplicates across processes are possible during a Redis outage**, and a duplicate may also slip
 * through when that map has forgotten an id (beyond `fallbackSize` recent events).
 */
import type { Redis } from 'ioredis';
import { loadConfig, type RedisSentinelAddress } from '../config.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { BloodbankMetrics } from '../metrics.js';
import { RecentMap } from '../recent-map.js';
import { RedisLink, redisTarget } from './link.js';
import { IDEMPOTENCY_BEGIN_LUA, IDEMPOTENCY_RELEASE_LUA, IDEMPOTENCY_RENEW_LUA } from './scripts.js';

/** `acquired`: run the handler, then `complete()` (or `release()` if it failed). `done`: already
 * handled, ack and skip. `in-progress`: another delivery holds the lease; retry later. */
export type BeginResult = 'acquired' | 'done' | 'in-progress';

export interface IdempotencyStoreOptions {
  /** Defaults to `loadConfig().redisUrl` (and its Sentinels, `REDIS_SENTINELS`). */
  readonly url?: string;
  /** With `url`: ask these Sentinels for the master instead (see `RedisTarget`). */
  readonly sentinels?: readonly RedisSentinelAddress[];
  readonly sentinelName?: string;
  /** How long a `processing` mark lives (default 60,000 ms); renewed while the handler runs. */
  readonly leaseMs?: number;
  /** How long `done` is remembered (default 7 days). */
  readonly doneTtlMs?: number;
  /** Recent ids kept in process for Redis outages: at least half of this, at most all (default 10,000). */
  readonly fallbackSize?: number;
  readonly logger?: Logger;
  readonly metrics?: BloodbankMetrics;
  /** Default `bloodbank:idempotency`. */
  readonly keyPrefix?: string;
  readonly connectTimeoutMs?: number;
  readonly commandTimeoutMs?: number;
}

type ScriptedRedis = Redis & {
  bbIdemBegin(key: string, leaseMs: number): Promise<BeginResult>;
  bbIdemRelease(key: string): Promise<number>;
  bbIdemRenew(key: string, leaseMs: number): Promise<number>;
};

type LocalState = 'processing' | 'done';

export class IdempotencyStore {
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #doneTtlMs: number;
  readonly #metrics: BloodbankMetrics | undefined;
  readonly #recent: RecentMap<string, LocalState>;
  readonly #results = new RecentMap<string, string>(1_000);

  constructor(options: IdempotencyStoreOptions = {}) {
    this.#leaseMs = positiveInteger('leaseMs', options.leaseMs ?? 60_000);
    this.#doneTtlMs = positiveInteger('doneTtlMs', options.doneTtlMs ?? 7 * 86_400_000);
    this.#recent = new RecentMap(positiveInteger('fallbackSize', options.fallbackSize ?? 10_000));
    this.#prefix = options.keyPrefix ?? 'bloodbank:idempotency';
    this.#metrics = options.metrics;
    this.#link = new RedisLink({
      ...(options.url === undefined
        ? redisTarget(loadConfig())
        : {
            url: options.url,
            ...(options.sentinels ? { sentinels: options.sentinels } : {}),
            ...(options.sentinelName ? { sentinelName: options.sentinelName } : {}),
          }),
      logger: options.logger ?? silentLogger,
      component: 'idempotency store',
      degradedMeaning: 'duplicates are caught only within this process',
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
    });
    this.#link.client.defineCommand('bbIdemBegin', { numberOfKeys: 1, lua: IDEMPOTENCY_BEGIN_LUA });
    this.#link.client.defineCommand('bbIdemRelease', { numberOfKeys: 1, lua: IDEMPOTENCY_RELEASE_LUA });
    this.#link.client.defineCommand('bbIdemRenew', { numberOfKeys: 1, lua: IDEMPOTENCY_RENEW_LUA });
  }

  /** True while Redis is unreachable (the in-process map of recent ids answers). */
  get degraded(): boolean {
    return this.#link.degraded;
  }

  /** Connects. Never throws. Idempotent. */
  start(): Promise<void> {
    return this.#link.start();
  }

  close(): Promise<void> {
    return this.#link.close();
  }

  key(service: string, eventId: string): string {
    return `${this.#prefix}:${service}:${eventId.toLowerCase()}`;
  }

  /** Takes the `processing` lease for the event unless it is done or leased by someone else. */
  async begin(service: string, eventId: string): Promise<BeginResult> {
    const id = this.key(service, eventId);
    const result = await this.#link.run<BeginResult | undefined>(
      'begin',
      (redis) => (redis as ScriptedRedis).bbIdemBegin(id, this.#leaseMs),
      undefined,
      () => this.#fallback(service),
    );
    if (result !== undefined) {
      if (result !== 'in-progress') this.#recent.set(id, result === 'done' ? 'done' : 'processing');
      return result;
    }
    const state = this.#recent.get(id);
    if (state === 'done') return 'done';
    if (state === 'processing') return 'in-progress';
    this.#recent.set(id, 'processing');
    return 'acquired';
  }

  /** Marks the event handled; `done` lives `doneTtlMs`. */
  async complete(service: string, eventId: string): Promise<void> {
    const id = this.key(service, eventId);
    this.#recent.set(id, 'done');
    await this.#link.run(
      'complete',
      (redis) => redis.set(id, 'done', 'PX', this.#doneTtlMs),
      undefined,
      () => this.#fallback(service),
    );
  }

  /** How long a `processing` lease lives; the consumer renews it every third of this while a handler runs. */
  get leaseMs(): number {
    return this.#leaseMs;
  }

  /**
   * Extends the `processing` lease by `leaseMs` while the handler still runs (a handler longer than the
   * lease would otherwise let a redelivery run it a second time). False when there was no lease.
   */
  async renew(service: string, eventId: string): Promise<boolean> {
    const id = this.key(service, eventId);
    const renewed = await this.#link.run(
      'renew',
      (redis) => (redis as ScriptedRedis).bbIdemRenew(id, this.#leaseMs),
      0,
      () => this.#fallback(service),
    );
    return renewed === 1;
  }

  /** Gives the lease back after a failed handler, so a retry may run at once. Never erases `done`. */
  async release(service: string, eventId: string): Promise<void> {
    const id = this.key(service, eventId);
    if (this.#recent.get(id) === 'processing') this.#recent.delete(id);
    await this.#link.run(
      'release',
      (redis) => (redis as ScriptedRedis).bbIdemRelease(id),
      0,
      () => this.#fallback(service),
    );
  }

  /**
   * Keeps what handling the event produced (a command's reply envelope, as JSON) as long as `done`
   * lives, so that a repeated request is answered with it. Kept in process too (the last 1,000), for
   * Redis outages.
   */
  async saveResult(service: string, eventId: string, value: string): Promise<void> {
    const id = `${this.key(service, eventId)}:result`;
    this.#results.set(id, value);
    await this.#link.run(
      'saveResult',
      (redis) => redis.set(id, value, 'PX', this.#doneTtlMs),
      undefined,
      () => this.#fallback(service),
    );
  }

  /** What `saveResult` kept for the event; null when nothing (or it expired). */
  async loadResult(service: string, eventId: string): Promise<string | null> {
    const id = `${this.key(service, eventId)}:result`;
    const found = await this.#link.run<string | null | undefined>(
      'loadResult',
      (redis) => redis.get(id),
      undefined,
      () => this.#fallback(service),
    );
    return found ?? this.#results.get(id) ?? null;
  }

  #fallback(service: string): void {
    this.#metrics?.idempotencyFallback.inc({ service });
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer (got ${value})`);
  return value;
}
