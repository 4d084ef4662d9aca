/**
 * The gateway's side of the broker: one confirmed publisher (DESIGN.md §6, §7) and the state it is in.
 *
 * Contract: `publish()` resolves only once the broker confirmed the message. It never hangs: when the
 * broker is down or blocked (flow control) it refuses at once with a 503 `HttpError` carrying
 * `Retry-After`, without sending anything; a message already sent that is not confirmed within
 * `timeoutMs` is answered 503 as well. The publisher is built with the same bounds (confirm timeout,
 * age of held messages), so a message answered 503 is not sent later on its own.
 *
 * Every message reaching `publish()` has been validated by the gateway (precise, located issues), so it
 * goes through the publisher's `publishValidated` entry: nothing is validated twice on the hot path.
 */
import type { Logger } from 'pino';
import type { BloodbankConnection } from 'bloodbank/amqp/connection.js';
import { createPublisher, type Publisher } from 'bloodbank/amqp/publisher.js';
import type { PublishOptions, PublishReceipt } from 'bloodbank/bus.js';
import type { Envelope } from 'bloodbank/envelope.js';
import { ConnectionError } from 'bloodbank/errors/connection-error.js';
import { NackError } from 'bloodbank/errors/nack-error.js';
import { PublishTimeoutError } from 'bloodbank/errors/publish-timeout-error.js';
import { UnroutableError } from 'bloodbank/errors/unroutable-error.js';
import type { BloodbankMetrics } from 'bloodbank/metrics.js';
import type { PublisherTracker } from 'bloodbank/amqp/publisher.js';
import type { Registry } from 'bloodbank/registry.js';
import { HttpError, unavailable } from './http-error.js';

export type BrokerState = 'up' | 'down' | 'blocked' | 'closed';

export interface BrokerOptions {
  readonly registry: Registry;
  readonly url: string;
  readonly exchange: string;
  readonly connectionName: string;
  readonly logger: Logger;
  readonly metrics: BloodbankMetrics;
  readonly tracker?: PublisherTracker;
  /** Longest wait for a confirm, and longest a message is held while reconnecting (default 5,000 ms). */
  readonly timeoutMs?: number;
  /** `Retry-After` of a 503, in seconds (default 5). */
  readonly retryAfterSeconds?: number;
}

export interface Broker {
  readonly exchange: string;
  state(): BrokerState;
  /** Why the broker is not up (flow-control reason, last error), for /readyz. */
  detail(): {
    readonly blockedReason: string | null;
    readonly lastError: string | null;
    readonly inFlight: number;
  };
  /** Publish a validated envelope; resolves once confirmed, else throws an `HttpError` (4xx/503). */
  publish(envelope: Envelope, options?: PublishOptions): Promise<PublishReceipt>;
  /** What a failed publish (or request) means to an HTTP client; unknown errors come back unchanged. */
  failure(error: unknown, envelope: Envelope): unknown;
  /** The 503 for the current state, or null when up. */
  refusal(): HttpError | null;
  readonly publisher: Publisher;
  connection(): Promise<BloodbankConnection>;
  close(): Promise<void>;
}

export function createBroker(options: BrokerOptions): Broker {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retryAfter = options.retryAfterSeconds ?? 5;
  const logger = options.logger.child({ component: 'gateway-broker' });
  const publisher = createPublisher({
    registry: options.registry,
    url: options.url,
    exchange: options.exchange,
    connectionName: options.connectionName,
    logger: options.logger,
    metrics: options.metrics,
    ...(options.tracker ? { tracker: options.tracker } : {}),
    confirmTimeoutMs: timeoutMs,
    buffer: { maxMessages: 10_000, maxAgeMs: timeoutMs },
  });
  let blockedReason: string | null = null;
  let closed = false;
  publisher.connection.then(
    (conn) => {
      conn.on('blocked', (reason) => {
        blockedReason = reason || 'blocked';
        logger.warn({ reason }, 'broker blocked the connection (flow control): answering 503');
      });
      conn.on('unblocked', () => {
        blockedReason = null;
        logger.info('broker unblocked the connection');
      });
      conn.on('disconnected', () => {
        blockedReason = null;
      });
    },
    () => undefined,
  );

  const state = (): BrokerState => {
    if (closed) return 'closed';
    if (publisher.health().status !== 'up') return 'down';
    return blockedReason === null ? 'up' : 'blocked';
  };

  const refusal = (): HttpError | null => {
    switch (state()) {
      case 'up':
        return null;
      case 'blocked':
        return unavailable(
          'broker_blocked',
          `the broker is blocking publishers (${blockedReason ?? 'flow control'}); nothing was published, retry later`,
          retryAfter,
        );
      case 'closed':
        return unavailable(
          'shutting_down',
          'the gateway is shutting down; nothing was published',
          retryAfter,
        );
      default:
        return unavailable(
          'broker_unavailable',
          'the broker is not reachable; nothing was published, retry later',
          retryAfter,
        );
    }
  };

  return {
    exchange: options.exchange,
    publisher,
    state,
    refusal,
    detail: () => ({
      blockedReason,
      lastError: publisher.health().lastError,
      inFlight: publisher.health().inFlight,
    }),
    connection: () => publisher.connection,
    failure: (error, envelope) => publishFailure(error, envelope, retryAfter),
    async publish(envelope, publishOptions = {}) {
      const refused = refusal();
      if (refused) throw refused;
      const sent = publisher.publishValidated(envelope, { timeoutMs, ...publishOptions });
      // Belt and braces: the publisher's own bounds settle it first; this guarantees an answer.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new PublishTimeoutError(envelope.event_type, envelope.event_id, timeoutMs)),
          timeoutMs * 2,
        );
      });
      try {
        return await Promise.race([sent, deadline]);
      } catch (error) {
        if (error instanceof PublishTimeoutError)
          sent.then(
            () => logger.warn({ eventId: envelope.event_id }, 'confirmed after the client was answered 503'),
            () => undefined,
          );
        throw publishFailure(error, envelope, retryAfter);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closed = true;
      await publisher.close();
    },
  };
}

/** What a failed publish means to an HTTP client. Unknown errors are rethrown (a bug: 500). */
export function publishFailure(error: unknown, envelope: Envelope, retryAfter: number): unknown {
  if (error instanceof HttpError) return error;
  const what = `${envelope.event_type} (${envelope.event_id})`;
  if (error instanceof UnroutableError)
    return new HttpError(
      422,
      'unroutable',
      `no queue is bound for ${envelope.event_type}: the broker returned ${what} and nothing consumes it; bind a consumer first`,
      { details: { event_id: envelope.event_id, event_type: envelope.event_type }, cause: error },
    );
  if (error instanceof NackError)
    return unavailable(
      'broker_nacked',
      `the broker refused ${what}; nothing was accepted`,
      retryAfter,
      error,
    );
  if (error instanceof PublishTimeoutError)
    return unavailable(
      'confirm_timeout',
      `the broker did not confirm ${what} in time; it is not reported accepted (retry with X-Bloodbank-Idempotency-Key to avoid duplicates)`,
      retryAfter,
      error,
    );
  if (error instanceof ConnectionError)
    return unavailable(
      'broker_unavailable',
      `the broker is not reachable; ${what} was not published`,
      retryAfter,
      error,
    );
  return error;
}
