/**
 * `GET /events/history?pattern=&since=&until=&correlation=&limit=`: stored events from the history
 * stream (`${EXCHANGE_NAME}.history`), oldest first, as JSON. With API keys, only events whose routing key
 * the key's patterns allow are returned (and counted toward `limit`), as for publishing.
 *
 * The gateway reads on its own connection (`<name>-history`), opened at start when it also sets the
 * stream up (`history` option: what `bb setup` does, again after every reconnection), else on the first
 * request. While RabbitMQ is away the route answers 503.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createConnection, type BloodbankConnection } from 'bloodbank/amqp/connection.js';
import {
  readHistory,
  setupHistory,
  type HistoryEvent,
  type HistoryRetention,
  type ScanStats,
} from 'bloodbank/amqp/history.js';
import { parseTimeSpec, TIME_RULE } from '../shared/time.js';
import type { GatewayContext } from './context.js';
import { HttpError, unavailable } from './http-error.js';

export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PATTERN = /^(?:[A-Za-z0-9_-]+|\*|#)(?:\.(?:[A-Za-z0-9_-]+|\*|#))*$/;

export interface GatewayHistory {
  connection(): Promise<BloodbankConnection>;
  close(): Promise<void>;
}

export function createGatewayHistory(options: {
  readonly url: string;
  readonly exchange: string;
  readonly name: string;
  readonly logger: Logger;
  /** Set the stream up at start and after every reconnection; `false`: only read it. */
  readonly retention: HistoryRetention | false;
}): GatewayHistory {
  let opened: Promise<BloodbankConnection> | null = null;
  const setup = async (connection: BloodbankConnection) => {
    if (options.retention === false) return;
    try {
      await setupHistory(connection, options.exchange, options.retention);
      options.logger.info({ exchange: options.exchange }, 'history stream ready');
    } catch (error) {
      options.logger.error({ err: error }, 'cannot set the history stream up');
    }
  };
  const open = () => {
    opened ??= createConnection({
      url: options.url,
      name: `${options.name}-history`,
      logger: options.logger,
      onReconnect: setup,
    }).then((connection) => {
      if (connection.connected) void setup(connection);
      else connection.once('connected', () => void setup(connection));
      return connection;
    });
    return opened;
  };
  if (options.retention !== false) void open().catch(() => {});
  return {
    connection: open,
    async close() {
      const c = await opened?.catch(() => null);
      await c?.close();
    },
  };
}

function query(raw: Record<string, unknown>) {
  const str = (name: string): string | undefined => {
    const v = raw[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string')
      throw new HttpError(400, 'invalid_query', `/${name} must be given once`, {
        details: { field: `/${name}` },
      });
    return v;
  };
  const time = (name: string): Date | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    const at = parseTimeSpec(v);
    if (!at)
      throw new HttpError(400, 'invalid_query', `/${name} ${TIME_RULE}`, { details: { field: `/${name}` } });
    return at;
  };
  const pattern = str('pattern') ?? '#';
  if (!PATTERN.test(pattern))
    throw new HttpError(
      400,
      'invalid_query',
      '/pattern must be a topic pattern (words, * or #, dot-separated)',
      {
        details: { field: '/pattern' },
      },
    );
  const correlation = str('correlation');
  if (correlation !== undefined && !UUID.test(correlation))
    throw new HttpError(400, 'invalid_query', '/correlation must be a UUID', {
      details: { field: '/correlation' },
    });
  const limitText = str('limit');
  const limit = limitText === undefined ? DEFAULT_HISTORY_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_LIMIT)
    throw new HttpError(400, 'invalid_query', `/limit must be an integer from 1 to ${MAX_HISTORY_LIMIT}`, {
      details: { field: '/limit' },
    });
  const since = time('since');
  const until = time('until');
  return { pattern, since, until, correlation, limit };
}

export function registerHistoryRoutes(
  app: FastifyInstance,
  ctx: GatewayContext,
  history: GatewayHistory,
): void {
  app.get('/events/history', { config: { auth: true } }, async (request, reply) => {
    const q = query(request.query as Record<string, unknown>);
    const key = ctx.authMode === 'keys' ? request.principal : null;
    const connection = await history.connection();
    if (!connection.connected)
      await Promise.race([
        connection.waitForConnect().catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
      ]);
    if (!connection.connected)
      throw unavailable(
        'broker_unavailable',
        'RabbitMQ is not reachable: history cannot be read now',
        ctx.retryAfterSeconds,
      );
    const abort = new AbortController();
    // The client went away before the answer: stop reading the stream.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const stats: ScanStats = { scanned: 0, matched: 0, stoppedBy: null };
    const events: Array<{
      offset: number;
      routing_key: string;
      workflow_id: string | null;
      envelope: unknown;
    }> = [];
    const allowed = (e: HistoryEvent) => key === null || ctx.keys.allows(key, e.routingKey);
    try {
      for await (const e of readHistory(
        { connection, exchange: ctx.broker.exchange, logger: ctx.logger },
        {
          pattern: q.pattern,
          ...(q.since ? { since: q.since } : {}),
          ...(q.until ? { until: q.until } : {}),
          ...(q.correlation ? { correlation: q.correlation } : {}),
          // Scoped keys: the limit counts allowed events only, so it is applied here.
          ...(key === null ? { limit: q.limit } : {}),
          signal: abort.signal,
        },
        stats,
      )) {
        if (!allowed(e)) continue;
        events.push({
          offset: e.offset,
          routing_key: e.routingKey,
          workflow_id: e.workflowId,
          envelope: e.envelope,
        });
        if (events.length >= q.limit) break;
      }
    } catch (error) {
      if (error instanceof RangeError) throw new HttpError(400, 'invalid_query', error.message);
      if (/no history stream/.test((error as Error).message))
        throw new HttpError(404, 'no_history', (error as Error).message);
      throw error;
    }
    return {
      count: events.length,
      scanned: stats.scanned,
      complete: events.length < q.limit,
      events,
    };
  });
}
