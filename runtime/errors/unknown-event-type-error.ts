import { BloodbankError } from './bloodbank-error.js';

/** The routing key is not in the registry the component was given. */
export class UnknownEventTypeError extends BloodbankError {
  override name = 'UnknownEventTypeError' as const;
  readonly eventType: string;
  constructor(eventType: string, known?: readonly string[]) {
    const hint =
      known && known.length > 0
        ? ` (known: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''})`
        : '';
    super(`unknown event type ${JSON.stringify(eventType)}${hint}`);
    this.eventType = eventType;
  }
}

export function isUnknownEventTypeError(error: unknown): error is UnknownEventTypeError {
  return error instanceof UnknownEventTypeError;
}
