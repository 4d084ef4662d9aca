import { BloodbankError } from './bloodbank-error.js';

/**
 * An LLM provider call failed. `retryable` follows the kind of failure: rate limits (429), server errors
 * (5xx), timeouts and network errors may pass on a retry; other 4xx (bad request, auth, unknown model)
 * will not. `status` is the HTTP status (null when no response came); `code` the provider's error type
 * (`rate_limit_error`, `invalid_request_error`…) or `http_<status>`.
 */
export class ProviderError extends BloodbankError {
  override name = 'ProviderError' as const;
  readonly provider: string;
  readonly status: number | null;
  readonly code: string;
  readonly retryable: boolean;
  constructor(
    provider: string,
    message: string,
    details: { status: number | null; code: string; retryable: boolean; cause?: unknown },
  ) {
    super(`${provider}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.provider = provider;
    this.status = details.status;
    this.code = details.code;
    this.retryable = details.retryable;
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
