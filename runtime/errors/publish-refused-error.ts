import type { AccessRefusal } from './access-refused-error.js';
import { PublishError } from './publish-error.js';

/**
 * The broker refused this publish (403 ACCESS_REFUSED): the routing key is outside the user's write topic
 * permissions (or the user may not write to the exchange at all). The publisher reopens its channel and
 * sends its other messages again; only this one is rejected.
 */
export class PublishRefusedError extends PublishError {
  override name = 'PublishRefusedError' as const;
  readonly user: string;
  readonly routingKey: string;
  readonly refusal: AccessRefusal;
  constructor(eventType: string, eventId: string, refusal: AccessRefusal, options?: { cause?: unknown }) {
    super(
      eventType,
      eventId,
      refusal.kind === 'topic'
        ? `the broker refused routing key ${eventType} for user ${refusal.user} on exchange ${refusal.exchange ?? '?'} ` +
            `(403 ACCESS_REFUSED: outside its write topic permissions)`
        : `the broker refused user ${refusal.user} ${refusal.access ?? 'any'} access to ${refusal.kind} ${refusal.resource} (403 ACCESS_REFUSED)`,
      options,
    );
    this.user = refusal.user;
    this.routingKey = eventType;
    this.refusal = refusal;
  }
}

export function isPublishRefusedError(error: unknown): error is PublishRefusedError {
  return error instanceof PublishRefusedError;
}
