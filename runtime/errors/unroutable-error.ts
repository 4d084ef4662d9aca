import { PublishError } from './publish-error.js';

/**
 * The broker returned a `mandatory` message: no queue is bound for its routing key on the exchange.
 * Publish with `mandatory: false` to let such messages be dropped instead.
 */
export class UnroutableError extends PublishError {
  override name = 'UnroutableError' as const;
  readonly exchange: string;
  readonly replyCode: number;
  readonly replyText: string;
  constructor(eventType: string, eventId: string, exchange: string, replyCode: number, replyText: string) {
    super(
      eventType,
      eventId,
      `no queue is bound for routing key ${eventType} on exchange ${exchange} (${replyCode} ${replyText})`,
    );
    this.exchange = exchange;
    this.replyCode = replyCode;
    this.replyText = replyText;
  }
}

export function isUnroutableError(error: unknown): error is UnroutableError {
  return error instanceof UnroutableError;
}
