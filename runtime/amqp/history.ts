/**
 * Event history on a RabbitMQ stream (issue 14): `${exchange}.history`, an append-only log bound to the
 * event exchange with `#`, so every published event is stored (and therefore routable) until retention
 * (`x-max-age`, `x-max-length-bytes`) removes whole segments.
 *
 * - `setupHistory` declares the exchange and the stream (idempotent; 406 when the stream exists with
 *   other retention arguments, with the policy command that changes them in place).
 * - `readHistory` is an async iterator over the stored events, oldest first, in stream order (the order
 *   the broker stored them: for one publisher on one channel, its publish order).
 * - `replayHistory` sends the matching events into one service's queue through the default exchange,
 *   in stream order, with their original body, `message_id` and headers plus `bb-replayed-at`.
 *
 * **Where the stream ends.** RabbitMQ 3.10 answers a passive declare of a stream with a message count
 * of 0 *(checked)*, and AMQP 0-9-1 has no "end of stream" signal: a consumer that reached the end simply
 * waits. So a reader first publishes a small marker straight into the stream (default exchange, header
 * `bb-history-marker: <uuid>`) and waits for its confirm: every event confirmed before the read started
 * lies before the marker, and the read ends when it reaches its own marker. Markers are never delivered
 * to services (they bypass the exchange) and readers skip every marker; each costs ~150 bytes of the
 * stream. An idle timeout (default 10 s without a delivery) is only the safety net for a marker stored
 * before the starting offset (a broker clock far behind ours), and is logged when it fires.
 *
 * **Time.** A timestamp offset (`{ '!': 'timestamp', value: <unix seconds> }`) starts at a chunk
 * boundary, by the broker's clock. The reader starts `skewMs` (5 s) before `since`, filters by each
 * event's own timestamp (the `cloudEvents_time` header, else the body's `timestamp`), and stops once it
 * reads an event stamped later than `until + skewMs` (events from publishers whose clocks differ by less
 * than `skewMs` are all found).
 */
import { HEADER_SOURCE, rebuild } from '../delivery/bare.js';
import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { BloodbankConnection } from './connection.js';
import type { Envelope } from '../envelope.js';
import { BloodbankError } from '../errors/bloodbank-error.js';
import { silentLogger } from '../logger.js';
import { compileTopicPatterns } from '../delivery/topic.js';
import { copyProperties } from './consumer.js';
import { HEADERS, queueNames } from '../delivery/rules.js';
import { assertEventExchange } from './topology.js';
import { HEADER_CAUSATION_IDS, HEADER_CORRELATION_ID } from '../wire.js';

export const HISTORY_MARKER_HEADER = 'bb-history-marker';

/** `${exchange}.history`. */
export function historyQueueName(exchange: string): string {
  return `${exchange}.history`;
}

export interface HistoryRetention {
  /** `x-max-age` (RabbitMQ units Y M D h m s: `7D`). */
  readonly maxAge: string;
  /** `x-max-length-bytes`. */
  readonly maxBytes: number;
  /** `x-stream-max-segment-size-bytes` (RabbitMQ's default 500 MB). Retention deletes whole segments. */
  readonly maxSegmentBytes?: number;
}

export function historyQueueArguments(retention: HistoryRetention): Record<string, unknown> {
  return {
    'x-queue-type': 'stream',
    'x-max-age': retention.maxAge,
    'x-max-length-bytes': retention.maxBytes,
    ...(retention.maxSegmentBytes ? { 'x-stream-max-segment-size-bytes': retention.maxSegmentBytes } : {}),
  };
}

export interface SetupResult {
  readonly exchange: string;
  readonly history: string;
}

/**
 * Declares the event exchange and the history stream bound with `#` (idempotent). Opens and closes its
 * own channel. Throws `BloodbankError` when the stream exists with other arguments.
 */
export async function setupHistory(
  connection: Pick<BloodbankConnection, 'createChannel'>,
  exchange: string,
  retention: HistoryRetention,
): Promise<SetupResult> {
  const history = historyQueueName(exchange);
  const ch = await connection.createChannel();
  ch.on('error', () => {});
  try {
    await assertEventExchange(ch, exchange);
    await ch.assertQueue(history, { durable: true, arguments: historyQueueArguments(retention) });
    await ch.bindQueue(history, exchange, '#');
  } catch (error) {
    if ((error as { code?: number }).code === 406)
      throw new BloodbankError(
        `cannot declare the history stream ${history}: it exists with other arguments (${(error as Error).message}). ` +
          `Change its retention in place with a policy (rabbitmqctl set_policy bb-history '^${escapeRegExp(history)}$' ` +
          `'{"max-age":"${retention.maxAge}","stream-max-segment-size-bytes":…}' --apply-to queues), or delete the stream`,
        { cause: error },
      );
    throw error;
  } finally {
    await ch.close().catch(() => {});
  }
  return { exchange, history };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface HistoryQuery {
  /** Topic patterns on the routing key (default `#`). */
  readonly pattern?: string | readonly string[];
  /** Earliest event timestamp (inclusive). Default: the start of the stream. */
  readonly since?: Date;
  /** Latest event timestamp (inclusive). Default: the end of the stream as the read started. */
  readonly until?: Date;
  /** Only events of this workflow (`bb-correlation-id`), this event itself, or its direct children. */
  readonly correlation?: string;
  /** Stop after this many matching events. */
  readonly limit?: number;
  /** Deliveries in flight (stream consumers require a prefetch; default 1,000). */
  readonly prefetch?: number;
  /** Clock difference tolerated between publishers and the broker (default 5,000 ms). */
  readonly skewMs?: number;
  /** Give up waiting for the end marker after this long without a delivery (default 10,000 ms). */
  readonly idleMs?: number;
  readonly signal?: AbortSignal;
}

/** One stored message, undecoded (what replay copies). */
export interface StoredMessage {
  /** `x-stream-offset`. */
  readonly offset: number;
  readonly routingKey: string;
  /** Event timestamp (ms since the epoch); NaN when neither header nor body has one. */
  readonly time: number;
  readonly content: Buffer;
  readonly properties: ConsumeMessage['properties'];
}

/** One stored event, decoded. */
export interface HistoryEvent {
  readonly offset: number;
  readonly routingKey: string;
  readonly envelope: Envelope;
  /** `bb-correlation-id`, when the producer set one. */
  readonly workflowId: string | null;
}

export interface HistoryReader {
  readonly connection: Pick<BloodbankConnection, 'createConfirmChannel'>;
  readonly exchange: string;
  readonly logger?: Logger;
}

/** Counters of one read, updated while it runs. */
export interface ScanStats {
  /** Stream messages delivered (markers and out-of-window events included). */
  scanned: number;
  matched: number;
  /** Why the read stopped: the end marker, `until`, `limit`, idle safety net, abort or the caller. */
  stoppedBy: 'end' | 'until' | 'limit' | 'idle' | 'abort' | 'caller' | null;
}

function validateQuery(query: HistoryQuery): void {
  const bad = (field: string, rule: string) => new RangeError(`history query: ${field} ${rule}`);
  if (query.since && Number.isNaN(query.since.getTime())) throw bad('/since', 'must be a valid date');
  if (query.until && Number.isNaN(query.until.getTime())) throw bad('/until', 'must be a valid date');
  if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1))
    throw bad('/limit', 'must be an integer >= 1');
  if (query.prefetch !== undefined && (!Number.isInteger(query.prefetch) || query.prefetch < 1))
    throw bad('/prefetch', 'must be an integer >= 1');
}

/**
 * The stored messages matching `query`, oldest first. Reads on its own channel, closed when the
 * iteration ends (breaking out of a `for await` closes it too). Rejects with `BloodbankError` when the
 * history stream does not exist (`bb setup` creates it).
 */
export async function* scanHistory(
  reader: HistoryReader,
  query: HistoryQuery = {},
  stats: ScanStats = { scanned: 0, matched: 0, stoppedBy: null },
): AsyncGenerator<StoredMessage, void, undefined> {
  validateQuery(query);
  const patterns = query.pattern === undefined ? ['#'] : ([] as string[]).concat(query.pattern);
  let matchesKey: (key: string) => boolean;
  try {
    matchesKey = compileTopicPatterns(patterns);
  } catch (error) {
    throw new RangeError(`history query: /pattern ${(error as Error).message}`, { cause: error });
  }
  const logger = reader.logger ?? silentLogger;
  const queue = historyQueueName(reader.exchange);
  const prefetch = query.prefetch ?? 1_000;
  const skewMs = query.skewMs ?? 5_000;
  const idleMs = query.idleMs ?? 10_000;
  const since = query.since?.getTime() ?? -Infinity;
  const until = query.until?.getTime() ?? Infinity;
  const limit = query.limit ?? Infinity;
  const correlation = query.correlation?.toLowerCase();

  if (since > Date.now() + skewMs || since > until) {
    stats.stoppedBy = 'end';
    return;
  }
  const ch = await reader.connection.createConfirmChannel();
  let failure: Error | null = null;
  const buffer: StoredMessage[] = [];
  let done = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const finish = (why: NonNullable<ScanStats['stoppedBy']>) => {
    if (done) return;
    done = true;
    stats.stoppedBy = why;
    notify();
  };
  ch.on('error', (error: Error) => {
    failure ??= error;
    finish('abort');
  });
  ch.on('close', () => {
    failure ??= done ? null : new BloodbankError(`the channel reading ${queue} closed`);
    finish('abort');
  });
  const onAbort = () => finish('abort');
  query.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const marker = randomUUID();
    try {
      await ch.checkQueue(queue);
    } catch (error) {
      throw new BloodbankError(
        `no history stream ${queue}: run \`bb setup\` (or start the gateway) to create it`,
        { cause: error },
      );
    }
    ch.publish('', queue, Buffer.from('{}'), {
      headers: { [HISTORY_MARKER_HEADER]: marker },
      messageId: marker,
      type: 'bloodbank.history.marker',
      contentType: 'application/json',
    });
    await ch.waitForConfirms();

    const ackEvery = Math.max(1, Math.floor(prefetch / 2));
    const highWater = prefetch * 2;
    let last: ConsumeMessage | null = null;
    let sinceAck = 0;
    let lastDelivery = Date.now();
    const maybeAck = () => {
      if (last && sinceAck >= ackEvery && buffer.length < highWater && !done) {
        ch.ack(last, true);
        sinceAck = 0;
      }
    };
    await ch.prefetch(prefetch);
    const offset = Number.isFinite(since)
      ? { '!': 'timestamp', value: Math.floor((since - skewMs) / 1000) }
      : 'first';
    await ch.consume(
      queue,
      (msg) => {
        if (msg === null) {
          failure ??= new BloodbankError(`the broker cancelled the read of ${queue} (stream deleted?)`);
          finish('abort');
          return;
        }
        if (done) return;
        lastDelivery = Date.now();
        stats.scanned += 1;
        last = msg;
        sinceAck += 1;
        const headers = msg.properties.headers ?? {};
        const markerId = headers[HISTORY_MARKER_HEADER];
        if (markerId !== undefined) {
          if (String(markerId) === marker) finish('end');
          else maybeAck();
          return;
        }
        const time = eventTime(msg);
        if (time > until + skewMs) {
          finish('until');
          return;
        }
        if (
          time >= since &&
          time <= until &&
          matchesKey(msg.fields.routingKey) &&
          (correlation === undefined || relatesTo(msg, correlation))
        ) {
          stats.matched += 1;
          buffer.push({
            offset: Number(headers['x-stream-offset']),
            routingKey: msg.fields.routingKey,
            time,
            content: msg.content,
            properties: msg.properties,
          });
          if (stats.matched >= limit) finish('limit');
          notify();
        }
        maybeAck();
      },
      { noAck: false, arguments: { 'x-stream-offset': offset } },
    );
    const idleTimer = setInterval(
      () => {
        if (!done && buffer.length === 0 && Date.now() - lastDelivery > idleMs) {
          logger.warn(
            { queue, idleMs, scanned: stats.scanned },
            'history read: end marker not seen (broker clock behind?); stopping after idle time',
          );
          finish('idle');
        }
      },
      Math.min(1_000, idleMs),
    );
    idleTimer.unref();
    try {
      for (;;) {
        const next = buffer.shift();
        if (next) {
          yield next;
          maybeAck();
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      clearInterval(idleTimer);
    }
  } finally {
    if (!done) stats.stoppedBy = 'caller';
    done = true;
    query.signal?.removeEventListener('abort', onAbort);
    await ch.close().catch(() => {});
  }
}

/** The events matching `query`, decoded, oldest first (see `scanHistory`). Unparsable bodies are skipped. */
export async function* readHistory(
  reader: HistoryReader,
  query: HistoryQuery = {},
  stats?: ScanStats,
): AsyncGenerator<HistoryEvent, void, undefined> {
  for await (const m of scanHistory(reader, query, stats)) {
    let envelope: Envelope;
    try {
      const text = m.content.toString('utf8');
      envelope = JSON.parse(text) as Envelope;
      // The bare wire (delivery/bare.ts, marked by its bb-source header): the body is the payload; the
      // envelope is in the properties.
      const type = m.properties.headers?.['cloudEvents_type'];
      if (typeof type === 'string' && m.properties.headers?.[HEADER_SOURCE] !== undefined)
        envelope = rebuild(
          {
            body: text,
            routingKey: m.routingKey,
            headers: m.properties.headers ?? {},
            messageId: m.properties.messageId,
            timestamp: m.properties.timestamp,
            appId: m.properties.appId,
          },
          type,
          envelope,
          text,
        );
    } catch {
      (reader.logger ?? silentLogger).warn({ offset: m.offset }, 'history: skipping an unparsable body');
      continue;
    }
    const wf = m.properties.headers?.[HEADER_CORRELATION_ID];
    yield {
      offset: m.offset,
      routingKey: m.routingKey,
      envelope,
      workflowId: typeof wf === 'string' ? wf : Buffer.isBuffer(wf) ? wf.toString('utf8') : null,
    };
  }
}

/** Event time in ms: the `cloudEvents_time` header, else the body's `timestamp`; NaN if neither parses. */
function eventTime(msg: ConsumeMessage): number {
  const h = msg.properties.headers?.['cloudEvents_time'];
  if (h !== undefined) {
    const t = Date.parse(String(h));
    if (!Number.isNaN(t)) return t;
  }
  try {
    const ts = (JSON.parse(msg.content.toString('utf8')) as { timestamp?: unknown }).timestamp;
    return typeof ts === 'string' ? Date.parse(ts) : NaN;
  } catch {
    return NaN;
  }
}

/** The event is `id`, belongs to workflow `id`, or names `id` among its parents. */
function relatesTo(msg: ConsumeMessage, id: string): boolean {
  const headers = msg.properties.headers ?? {};
  if (String(msg.properties.messageId ?? '').toLowerCase() === id) return true;
  if (String(headers[HEADER_CORRELATION_ID] ?? '').toLowerCase() === id) return true;
  const causation = headers[HEADER_CAUSATION_IDS];
  if (causation !== undefined && String(causation).toLowerCase().split(',').includes(id)) return true;
  if (headers[HEADER_CORRELATION_ID] !== undefined) return false;
  // A message of the original (no headers): look into the body.
  try {
    const body = JSON.parse(msg.content.toString('utf8')) as {
      event_id?: unknown;
      correlation_ids?: unknown;
    };
    return (
      String(body.event_id).toLowerCase() === id ||
      (Array.isArray(body.correlation_ids) &&
        body.correlation_ids.some((c) => String(c).toLowerCase() === id))
    );
  } catch {
    return false;
  }
}

export interface ReplayOptions extends HistoryQuery {
  /** The service whose main queue receives the events (`queueNames(exchange, service).main`). */
  readonly service?: string;
  /** Or the exact queue name. */
  readonly queue?: string;
  /** Count what would be sent without sending anything. */
  readonly dryRun?: boolean;
  /** Mark the copies so that an idempotent consumer handles them again (`bb-replay-force`). */
  readonly force?: boolean;
  /** Unconfirmed publishes at once (default 500). */
  readonly window?: number;
  /** Called about once a second and at the end. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Called for each event replayed (or, with `dryRun`, that would be). */
  readonly onEvent?: (message: StoredMessage) => void;
}

export interface ReplayProgress {
  readonly queue: string;
  readonly scanned: number;
  readonly matched: number;
  readonly sent: number;
  readonly elapsedMs: number;
  /** Events sent per second so far. */
  readonly rate: number;
  readonly done: boolean;
}

export interface ReplayResult extends ReplayProgress {
  readonly dryRun: boolean;
  readonly firstOffset: number | null;
  readonly lastOffset: number | null;
  readonly stoppedBy: ScanStats['stoppedBy'];
}

/**
 * Sends the events matching `options` into one queue (not to every subscriber), in stream order, on
 * one confirm channel: resolves once the broker confirmed every copy. Each copy keeps the original body,
 * `message_id`, type, timestamp and headers, and gains `bb-replayed-at` (and `bb-replay-force` with
 * `force`). The queue must exist (the service subscribed once): otherwise nothing is sent and it rejects.
 */
export async function replayHistory(reader: HistoryReader, options: ReplayOptions): Promise<ReplayResult> {
  const queue =
    options.queue ??
    (options.service !== undefined ? queueNames(reader.exchange, options.service).main : undefined);
  if (queue === undefined) throw new RangeError('replay: /to needs a service or a queue');
  const window = options.window ?? 500;
  const ch = await reader.connection.createConfirmChannel();
  ch.on('error', () => {});
  try {
    await ch.checkQueue(queue);
  } catch (error) {
    throw new BloodbankError(
      `cannot replay into ${queue}: no such queue. Start the service once (it declares its queue), or name the queue`,
      { cause: error },
    );
  }
  const started = Date.now();
  const stats: ScanStats = { scanned: 0, matched: 0, stoppedBy: null };
  let sent = 0;
  let firstOffset: number | null = null;
  let lastOffset: number | null = null;
  const progress = (done: boolean): ReplayProgress => {
    const elapsedMs = Date.now() - started;
    return {
      queue,
      scanned: stats.scanned,
      matched: stats.matched,
      sent,
      elapsedMs,
      rate: elapsedMs > 0 ? Math.round((sent * 1000) / elapsedMs) : 0,
      done,
    };
  };
  const ticker = options.onProgress ? setInterval(() => options.onProgress?.(progress(false)), 1_000) : null;
  ticker?.unref();
  try {
    const replayedAt = new Date().toISOString();
    let pending = 0;
    for await (const m of scanHistory(reader, options, stats)) {
      firstOffset ??= m.offset;
      lastOffset = m.offset;
      options.onEvent?.(m);
      if (options.dryRun) continue;
      const headers: Record<string, unknown> = { ...m.properties.headers };
      delete headers['x-stream-offset'];
      headers[HEADERS.replayedAt] = replayedAt;
      headers[HEADERS.originalRoutingKey] ??= m.routingKey;
      if (options.force) headers[HEADERS.replayForce] = true;
      const ok = publishCopy(ch, queue, m, headers);
      sent += 1;
      pending += 1;
      if (pending >= window || !ok) {
        await ch.waitForConfirms();
        pending = 0;
      }
    }
    if (pending > 0) await ch.waitForConfirms();
  } finally {
    if (ticker) clearInterval(ticker);
    await ch.close().catch(() => {});
  }
  const final = progress(true);
  options.onProgress?.(final);
  return {
    ...final,
    dryRun: options.dryRun === true,
    firstOffset,
    lastOffset,
    stoppedBy: stats.stoppedBy,
  };
}

function publishCopy(
  ch: Channel,
  queue: string,
  m: StoredMessage,
  headers: Record<string, unknown>,
): boolean {
  return ch.publish('', queue, m.content, copyProperties(m, headers));
}
