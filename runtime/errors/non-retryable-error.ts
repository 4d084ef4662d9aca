import { BloodbankError } from './bloodbank-error.js';

/**
 * Thrown by a handler to fail at once: retrying cannot help (bad input, a 4xx from an API). The consumer
 * dead-letters the message without spending its remaining attempts, and a command processor publishes
 * the command's failure event with `is_retryable: false`. Any error with `retryable === false` counts.
 */
export class NonRetryableError extends BloodbankError {
  override name = 'NonRetryableError' as const;
  readonly retryable = false as const;
  /** A short machine-readable code (`invalid_request`, `unknown_provider`…), or null. */
  readonly code: string | null;
  constructor(message: string, options?: { cause?: unknown; code?: string | null }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? null;
  }
}

export function isNonRetryableError(error: unknown): error is NonRetryableError {
  return error instanceof NonRetryableError;
}
