/**
 * How `bb` fails: one `CliError` carrying the exit code, and `toCliError` mapping the runtime's errors to
 * a code and a message that says what to do next. Every command exits through `fail()` in main.ts.
 */

/** Exit codes of `bb`, documented in `bb --help`. */
export const EXIT = {
  ok: 0,
  /** Anything not classified below. */
  failure: 1,
  /** Bad arguments or options. */
  usage: 2,
  /** The payload does not match the schema. */
  invalid: 3,
  /** Unknown event type, event id, queue or file. */
  notFound: 4,
  /** RabbitMQ, Redis or the gateway cannot be reached. */
  unavailable: 5,
  /** The broker had no queue bound for the routing key (nobody would receive it). */
  unroutable: 6,
  /** No reply in time, or a command failed. */
  timeout: 7,
  /** `bb doctor`: at least one check failed. */
  unhealthy: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override name = 'CliError' as const;
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

export function isCliError(error: unknown): error is CliError {
  return error instanceof CliError;
}

/** Maps an error of the runtime (matched by its `name`, so no runtime module is loaded for it) to a CliError. */
export function toCliError(error: unknown): CliError {
  if (isCliError(error)) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  switch (e.name) {
    case 'PayloadValidationError':
      return new CliError(e.message, EXIT.invalid, { cause: e });
    case 'UnknownEventTypeError':
      return new CliError(`${e.message}; run \`bb list-events\` to see them`, EXIT.notFound, { cause: e });
    case 'ConnectionError':
      return new CliError(`${e.message}${cause}`, EXIT.unavailable, { cause: e });
    case 'UnroutableError':
      return new CliError(
        `${e.message}: nobody would receive it. Start a consumer (or \`bb tail\`) first, run \`bb setup\` to keep every event in history, or pass --allow-unroutable`,
        EXIT.unroutable,
        { cause: e },
      );
    case 'NoCommandHandlerError':
      return new CliError(e.message, EXIT.unroutable, { cause: e });
    case 'RequestTimeoutError':
    case 'CommandFailedError':
      return new CliError(e.message, EXIT.timeout, { cause: e });
    case 'ConfigError':
      return new CliError(e.message, EXIT.usage, { cause: e });
    default:
      if (isConnectionRefused(e))
        return new CliError(`cannot connect: ${e.message}`, EXIT.unavailable, { cause: e });
      return new CliError(e.message || String(error), EXIT.failure, { cause: e });
  }
}

function isConnectionRefused(e: Error): boolean {
  const code = (e as { code?: unknown }).code ?? (e.cause as { code?: unknown } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH';
}
