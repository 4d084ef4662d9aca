import { PublishError } from './publish-error.js';

/** The broker refused the message (`basic.nack`), e.g. a full queue with `x-overflow: reject-publish`. */
export class NackError extends PublishError {
  override name = 'NackError' as const;
  constructor(eventType: string, eventId: string) {
    super(
      eventType,
      eventId,
      'the broker nacked the message (a full queue rejecting publishes, or an internal error)',
    );
  }
}

export function isNackError(error: unknown): error is NackError {
  return error instanceof NackError;
}
