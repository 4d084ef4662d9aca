/**
 * The one error shape every gateway route answers with:
 * `{ "error": "<code>", "message": "<what happened and what to do>", …details }`.
 */
export interface HttpErrorBody {
  readonly error: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

export class HttpError extends Error {
  override name = 'HttpError' as const;
  readonly statusCode: number;
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: {
      details?: Readonly<Record<string, unknown>>;
      headers?: Readonly<Record<string, string>>;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = statusCode;
    this.code = code;
    this.details = options.details ?? {};
    this.headers = options.headers ?? {};
  }

  body(): HttpErrorBody {
    return { error: this.code, message: this.message, ...this.details };
  }
}

export function isHttpError(error: unknown): error is HttpError {
  return error instanceof HttpError;
}

/** 503 with `Retry-After`: the broker cannot take the message now; nothing was accepted. */
export function unavailable(
  code: string,
  message: string,
  retryAfterSeconds: number,
  cause?: unknown,
): HttpError {
  return new HttpError(503, code, message, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    details: { retry_after: retryAfterSeconds },
    ...(cause === undefined ? {} : { cause }),
  });
}
