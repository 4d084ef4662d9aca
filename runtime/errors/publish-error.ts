import { BloodbankError } from './bloodbank-error.js';

/**
 * A message was handed to the broker path and did not end confirmed. Subclasses say why
 * (`UnroutableError`, `PublishTimeoutError`, `NackError`); a `ConnectionError` is a transport error apart.
 */
export class PublishError extends BloodbankError {
  override name: string = 'PublishError';
  readonly eventType: string;
  readonly eventId: string;
  constructor(eventType: string, eventId: string, message: string, options?: { cause?: unknown }) {
    super(`cannot publish ${eventType} (${eventId}): ${message}`, options);
    this.eventType = eventType;
    this.eventId = eventId;
  }
}

export function isPublishError(error: unknown): error is PublishError {
  return error instanceof PublishError;
}
