/**
 * Correlation tracking in Redis, with the original Bloodbank's key layout so the Python and TypeScript
 * implementations can share one Redis:
 *
 * - `bloodbank:correlation:forward:{child}` — STRING, compact JSON
 *   `{"parent_event_ids":[…],"created_at":"2026-11-26T16:15:23.030243+00:00","workflow_id":"…","metadata":{…}}`,
 *   written with a TTL (`SET … EX`, as SETEX). `workflow_id` is ours; the original ignores it.
 * - `bloodbank:correlation:reverse:{parent}` — SET of child ids, `SADD` then `EXPIRE` (sliding TTL).
 *
 * Differences from the original, all fixes: re-adding a child merges its parents instead of
 * overwriting them; the TTL comes from `CORRELATION_TTL_DAYS`; deterministic ids are pure functions
 * (`generateEventId`, re-exported from ids.ts); chains are walked inside Redis in one round trip.
 */
import type { Redis } from 'ioredis';
import { loadConfig, type RedisSentinelAddress } from '../config.js';
import { formatTimestamp } from '../envelope.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { BloodbankMetrics } from '../metrics.js';
import { RedisLink, redisTarget, type RedisTarget } from './link.js';
import { ADD_CORRELATION_LUA, WALK_CHAIN_LUA } from './scripts.js';

export { deterministicId as generateEventId, deterministicIdFromKey } from '../ids.js';

export type ChainDirection = 'ancestors' | 'descendants';

export interface CorrelationTrackerOptions {
  /** Defaults to `loadConfig().redisUrl` (and its Sentinels, `REDIS_SENTINELS`). */
  readonly url?: string;
  /** With `url`: ask these Sentinels for the master instead (see `RedisTarget`). */
  readonly sentinels?: readonly RedisSentinelAddress[];
  readonly sentinelName?: string;
  /** Lifetime of every key written, in days. Defaults to `loadConfig().correlationTtlDays`. */
  readonly ttlDays?: number;
  readonly logger?: Logger;
  /** `trackerFailures` rises once per failed operation. */
  readonly metrics?: BloodbankMetrics;
  /** Default `bloodbank:correlation` (the original's). Change it only to isolate tests or tenants. */
  readonly keyPrefix?: string;
  /** Connection attempt timeout (default 1,000 ms). */
  readonly connectTimeoutMs?: number;
  /** Per-command timeout (default 2,000 ms). */
  readonly commandTimeoutMs?: number;
}

/** Everything known about one event, as the original's `debug_dump` (ids as strings). */
export interface CorrelationDebugDump {
  readonly event_id: string;
  readonly parents: string[];
  readonly children: string[];
  readonly ancestors: string[];
  readonly descendants: string[];
  /** `null` when the event has no forward record. */
  readonly metadata: Record<string, unknown> | null;
}

interface ForwardRecord {
  readonly parent_event_ids?: unknown;
  readonly created_at?: unknown;
  readonly workflow_id?: unknown;
  readonly metadata?: unknown;
}

type ScriptedRedis = Redis & {
  bbAddCorrelation(numberOfKeys: number, ...keysAndArgs: Array<string | number>): Promise<string>;
  bbWalkChain(prefix: string, id: string, direction: ChainDirection, maxDepth: number): Promise<string[]>;
};

/**
 * Records which events caused which, and reads the graph back.
 *
 * Never throws for Redis trouble: with Redis away every method returns quickly with an empty result
 * (`[]`, `undefined`, `false`), one warning is logged per outage, `metrics.trackerFailures` rises per
 * failed call, and tracking resumes by itself once Redis is back. Event ids are stored lowercase, as
 * Python's `str(UUID)` writes them.
 */
export class CorrelationTracker {
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #ttlSeconds: number;
  readonly #metrics: BloodbankMetrics | undefined;

  constructor(options: CorrelationTrackerOptions = {}) {
    const needConfig = options.url === undefined || options.ttlDays === undefined;
    const config = needConfig ? loadConfig() : undefined;
    const ttlDays = options.ttlDays ?? config?.correlationTtlDays ?? 30;
    if (!(ttlDays > 0)) throw new RangeError(`ttlDays must be > 0 (got ${ttlDays})`);
    this.#ttlSeconds = Math.max(1, Math.round(ttlDays * 86_400));
    this.#prefix = options.keyPrefix ?? 'bloodbank:correlation';
    this.#metrics = options.metrics;
    this.#link = new RedisLink({
      ...targetOf(options, config),
      logger: options.logger ?? silentLogger,
      component: 'correlation tracker',
      degradedMeaning: 'correlation links are not recorded',
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
    });
    this.#link.client.defineCommand('bbWalkChain', { numberOfKeys: 0, lua: WALK_CHAIN_LUA });
    this.#link.client.defineCommand('bbAddCorrelation', { lua: ADD_CORRELATION_LUA });
  }

  /** TTL of every key written, in seconds. */
  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /** True while Redis is unreachable (calls return empty results). */
  get degraded(): boolean {
    return this.#link.degraded;
  }

  /** Connects. Never throws: with Redis away it logs once and keeps retrying in the background. Idempotent. */
  start(): Promise<void> {
    return this.#link.start();
  }

  /** Closes the connection. Later calls return empty results. */
  close(): Promise<void> {
    return this.#link.close();
  }

  forwardKey(eventId: string): string {
    return `${this.#prefix}:forward:${normalizeId(eventId)}`;
  }

  reverseKey(eventId: string): string {
    return `${this.#prefix}:reverse:${normalizeId(eventId)}`;
  }

  /**
   * Records that `childId` was caused by `parentIds`, atomically and in one round trip (a Lua script,
   * see `ADD_CORRELATION_LUA`): the forward record (merged with an existing one: parents are the union,
   * `created_at` and `workflow_id` keep their first value, metadata is merged shallowly) and the child
   * added to each parent's reverse set, every key with the TTL refreshed. The workflow id is `workflowId`, else the first parent's stored workflow id, else the
   * first parent's id (it is a root), else the child's own id. Resolves `false` when nothing was
   * recorded (Redis away or tracker closed).
   */
  async addCorrelation(
    childId: string,
    parentIds: readonly string[],
    metadata?: Readonly<Record<string, unknown>>,
    workflowId?: string,
  ): Promise<boolean> {
    const child = normalizeId(childId);
    const parents = [...new Set(parentIds.map(normalizeId))];
    return this.#run(
      'add',
      async (redis) => {
        await (redis as ScriptedRedis).bbAddCorrelation(
          1 + 2 * parents.length,
          this.forwardKey(child),
          ...parents.map((p) => this.forwardKey(p)),
          ...parents.map((p) => this.reverseKey(p)),
          this.#ttlSeconds,
          JSON.stringify(parents),
          formatTimestamp(),
          JSON.stringify(metadata ?? {}),
          workflowId === undefined ? '' : normalizeId(workflowId),
          child,
        );
        return true;
      },
      false,
    );
  }

  /** The child's parents, in the order they were recorded; `[]` when unknown. */
  async getParents(eventId: string): Promise<string[]> {
    const record = await this.#forward('parents', eventId);
    return parentIds(record);
  }

  /** The event's children, sorted (Redis sets are unordered); `[]` when none. */
  async getChildren(eventId: string): Promise<string[]> {
    const children = await this.#run('children', (redis) => redis.smembers(this.reverseKey(eventId)), []);
    return children.sort();
  }

  /**
   * The chain of ancestors or descendants of `eventId`, walked inside Redis in one round trip.
   *
   * Order: causal, causes before effects, so both directions read like a timeline.
   * - `ancestors`: every event appears after all of its parents that are in the result (root first) and
   *   the start event comes last: A→B→C→D gives `[A, B, C, D]` for D (the original's order).
   * - `descendants`: the start event first, every event after the parent it was reached from: for A it
   *   gives `[A, B, C, D]` (the original returned `[D, C, B, A]`, deepest first).
   * Inclusion as the original: the start event is included only if it has at least one relative in that
   * direction (an isolated event gives `[]`); each event appears once; cycles terminate; the start event
   * is depth 0 and events at depth >= `maxDepth` are not visited, so at most `maxDepth - 1` generations
   * beyond the start are returned (`maxDepth` 100 → up to 99 ancestors).
   */
  async getChain(
    eventId: string,
    direction: ChainDirection = 'ancestors',
    maxDepth = 100,
  ): Promise<string[]> {
    const depth = Number.isFinite(maxDepth) ? Math.floor(maxDepth) : Number.MAX_SAFE_INTEGER;
    const chain = await this.#run(
      'chain',
      (redis) => (redis as ScriptedRedis).bbWalkChain(this.#prefix, normalizeId(eventId), direction, depth),
      [],
    );
    return direction === 'descendants' ? chain.reverse() : chain;
  }

  /** The metadata stored with the event's parents (`{}` if none was given); `undefined` when unknown. */
  async getMetadata(eventId: string): Promise<Record<string, unknown> | undefined> {
    const record = await this.#forward('metadata', eventId);
    if (record === undefined) return undefined;
    return isObject(record.metadata) ? record.metadata : {};
  }

  /**
   * The workflow (`bb-correlation-id`) the event belongs to: the id of the root event that started it.
   * For a record written without one (by the Python original), the root of its ancestor chain.
   * `undefined` when the event has no forward record.
   */
  async getWorkflowId(eventId: string): Promise<string | undefined> {
    const record = await this.#forward('workflow', eventId);
    if (record === undefined) return undefined;
    if (typeof record.workflow_id === 'string' && record.workflow_id !== '') return record.workflow_id;
    const ancestors = await this.getChain(eventId, 'ancestors', Number.POSITIVE_INFINITY);
    return ancestors[0] ?? normalizeId(eventId);
  }

  /** Everything known about the event, as the original's `debug_dump`. */
  async debugDump(eventId: string): Promise<CorrelationDebugDump> {
    const id = normalizeId(eventId);
    const [record, children, ancestors, descendants] = await Promise.all([
      this.#forward('debug', id),
      this.getChildren(id),
      this.getChain(id, 'ancestors'),
      this.getChain(id, 'descendants'),
    ]);
    return {
      event_id: id,
      parents: parentIds(record),
      children,
      ancestors,
      descendants,
      metadata: record === undefined ? null : isObject(record.metadata) ? record.metadata : {},
    };
  }

  async #forward(operation: string, eventId: string): Promise<ForwardRecord | undefined> {
    const raw = await this.#run(operation, (redis) => redis.get(this.forwardKey(eventId)), null);
    if (raw === null) return undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      return isObject(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  #run<T>(operation: string, fn: (redis: Redis) => Promise<T>, fallback: T): Promise<T> {
    return this.#link.run(operation, fn, fallback, () => this.#metrics?.trackerFailures.inc({ operation }));
  }
}

function normalizeId(id: string): string {
  return id.toLowerCase();
}

function parentIds(record: ForwardRecord | undefined): string[] {
  const ids = record?.parent_event_ids;
  return Array.isArray(ids) ? ids.filter((p): p is string => typeof p === 'string') : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The options' URL (and Sentinels), else the configuration's. */
function targetOf(
  options: CorrelationTrackerOptions,
  config: ReturnType<typeof loadConfig> | undefined,
): RedisTarget {
  if (options.url !== undefined)
    return options.sentinels
      ? {
          url: options.url,
          sentinels: options.sentinels,
          ...(options.sentinelName ? { sentinelName: options.sentinelName } : {}),
        }
      : { url: options.url };
  return config ? redisTarget(config) : { url: 'redis://localhost:6379/0' };
}
