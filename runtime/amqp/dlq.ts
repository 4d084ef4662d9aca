/**
 * Dead-letter queue administration for one exchange (what `bb dlq …` exposes): list a service's queues
 * with their depth, peek at dead letters without removing them, redrive them to the service's main queue,
 * purge. Works with passive declares and `basic.get`, so the management plugin is not needed.
 */
import type { Channel } from 'amqplib';
import { pino, type Logger } from 'pino';
import { BloodbankError } from '../errors/bloodbank-error.js';
import { copyProperties, passiveQueueStats, type ConsumerConnection } from './consumer.js';
import {
  DEFAULT_EXCHANGE,
  DEFAULT_RETRY_DELAYS_MS,
  HEADERS,
  copyableHeaders,
  queueNames,
  queueNamesOf,
  toDeadLetterRecord,
  type DeadLetterRecord,
} from '../delivery/rules.js';

export interface DlqAdminOptions {
  readonly connection: Pick<ConsumerConnection, 'createChannel' | 'createConfirmChannel'>;
  readonly exchange?: string;
  /** Retry delays whose queues `list()` reports (default: the consumer's defaults). */
  readonly retryDelaysMs?: readonly number[];
  readonly logger?: Logger;
}

export interface ServiceQueueInfo {
  readonly queue: string;
  readonly role: 'main' | 'retry' | 'dlq';
  readonly messageCount: number;
  readonly consumerCount: number;
}

export interface RedriveResult {
  readonly redriven: number;
  readonly from: string;
  readonly to: string;
}

/**
 * Whose dead letters: a service name (queues `${exchange}.${service}.q…`), or an explicitly named main
 * queue (`{ queue }`, as `SubscribeOptions.queue` and the command processor's `${exchange}.commands.<key>`).
 */
export type DlqTarget = string | { readonly queue: string };

export interface DlqAdmin {
  /** The service's queues that exist, with their depth (ready messages) and consumer count. */
  list(service: DlqTarget): Promise<ServiceQueueInfo[]>;
  /**
   * Up to `n` dead letters from the head of the DLQ, left in the queue. A quorum queue puts returned
   * messages at its tail, so peeking at fewer than all of them moves those to the back.
   */
  peek(service: DlqTarget, n?: number): Promise<DeadLetterRecord[]>;
  /**
   * Moves up to `limit` dead letters (default all that are there when it starts) back to the service's
   * main queue, oldest first: each copy keeps its original headers, gets `bb-redriven-from` and a fresh
   * attempt count, is confirmed by the broker, then the dead letter is acked (at-least-once).
   */
  redrive(service: DlqTarget, options?: { readonly limit?: number }): Promise<RedriveResult>;
  /** Deletes every dead letter of the service; returns how many. */
  purge(service: DlqTarget): Promise<number>;
}

/** Failure headers a redriven message sheds (it starts a fresh series of attempts). */
const FAILURE_HEADERS = [
  HEADERS.attempt,
  HEADERS.error,
  HEADERS.attempts,
  HEADERS.firstFailureAt,
  HEADERS.lastFailureAt,
  HEADERS.deadLetterReason,
  HEADERS.deadLetteredFrom,
  HEADERS.validationIssues,
  HEADERS.deferrals,
];

export function createDlqAdmin(options: DlqAdminOptions): DlqAdmin {
  const exchange = options.exchange ?? DEFAULT_EXCHANGE;
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'dlq' });
  const { connection } = options;

  const namesOf = (target: DlqTarget) =>
    typeof target === 'string' ? queueNames(exchange, target) : queueNamesOf(target.queue);

  async function withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await connection.createChannel();
    ch.on('error', () => {});
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /** Polls the queue until `count` messages are ready again (5 s at most: then the caller goes on). */
  async function untilReady(queue: string, count: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const stats = await passiveQueueStats(connection, queue);
      if (stats === null || stats.messageCount >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    logger.warn({ queue, expected: count }, 'peeked messages not back in the queue after 5 s');
  }

  async function requireQueue(queue: string): Promise<void> {
    if ((await passiveQueueStats(connection, queue)) === null)
      throw new BloodbankError(`queue ${queue} does not exist`);
  }

  return {
    async list(service) {
      const names = namesOf(service);
      const wanted: Array<[string, ServiceQueueInfo['role']]> = [
        [names.main, 'main'],
        ...[...new Set(delays)].map((d): [string, ServiceQueueInfo['role']] => [names.retry(d), 'retry']),
        [names.dlq, 'dlq'],
      ];
      const out: ServiceQueueInfo[] = [];
      for (const [queue, role] of wanted) {
        const s = await passiveQueueStats(connection, queue);
        if (s) out.push({ queue, role, messageCount: s.messageCount, consumerCount: s.consumerCount });
      }
      return out;
    },

    async peek(service, n = 10) {
      const { dlq } = namesOf(service);
      const before = await passiveQueueStats(connection, dlq);
      if (before === null) throw new BloodbankError(`queue ${dlq} does not exist`);
      const out = await withChannel(async (ch) => {
        const records: DeadLetterRecord[] = [];
        while (records.length < n) {
          const m = await ch.get(dlq, { noAck: false });
          if (m === false) break;
          records.push(toDeadLetterRecord(m.content, m.properties.headers ?? {}, m.fields.routingKey));
        }
        // Unacked messages go back to the queue when the channel closes; nack first to be explicit.
        ch.nackAll(true);
        return records;
      });
      // A quorum queue takes the returned messages back after the channel's close-ok: wait until they are
      // ready again, so that a redrive or list right after a peek (another process, say) sees them.
      await untilReady(dlq, Math.min(before.messageCount, out.length));
      return out;
    },

    async redrive(service, redriveOptions = {}) {
      const names = namesOf(service);
      const stats = await passiveQueueStats(connection, names.dlq);
      if (!stats) throw new BloodbankError(`queue ${names.dlq} does not exist`);
      await requireQueue(names.main);
      const limit = Math.min(redriveOptions.limit ?? Infinity, stats.messageCount);
      const ch = await connection.createConfirmChannel();
      ch.on('error', () => {});
      let redriven = 0;
      try {
        while (redriven < limit) {
          const m = await ch.get(names.dlq, { noAck: false });
          if (m === false) break;
          const headers = copyableHeaders(m.properties.headers);
          for (const h of FAILURE_HEADERS) delete headers[h];
          headers[HEADERS.redrivenFrom] = names.dlq;
          await new Promise<void>((resolve, reject) =>
            ch.sendToQueue(names.main, m.content, copyProperties(m, headers), (err: unknown) =>
              err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
            ),
          );
          ch.ack(m);
          redriven += 1;
        }
      } finally {
        await ch.close().catch(() => {});
      }
      logger.info({ from: names.dlq, to: names.main, redriven }, 'redrove dead letters');
      return { redriven, from: names.dlq, to: names.main };
    },

    async purge(service) {
      const { dlq } = namesOf(service);
      await requireQueue(dlq);
      const r = await withChannel((ch) => ch.purgeQueue(dlq));
      logger.info({ queue: dlq, purged: r.messageCount }, 'purged dead letters');
      return r.messageCount;
    },
  };
}
