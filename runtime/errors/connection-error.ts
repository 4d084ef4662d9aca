import { BloodbankError } from './bloodbank-error.js';

/** The broker could not be reached (or the connection was closed) in time for the operation. */
export class ConnectionError extends BloodbankError {
  override name = 'ConnectionError' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isConnectionError(error: unknown): error is ConnectionError {
  return error instanceof ConnectionError;
}
