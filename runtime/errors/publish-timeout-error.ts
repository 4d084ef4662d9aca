import { PublishError } from './publish-error.js';

/**
 * The broker did not confirm within `timeoutMs`. The message may still have been delivered: retrying
 * with the same event_id is safe for consumers that deduplicate by event_id.
 */
export class PublishTimeoutError extends PublishError {
  override name = 'PublishTimeoutError' as const;
  readonly timeoutMs: number;
  constructor(eventType: string, eventId: string, timeoutMs: number) {
    super(eventType, eventId, `the broker did not confirm within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

export function isPublishTimeoutError(error: unknown): error is PublishTimeoutError {
  return error instanceof PublishTimeoutError;
}
