/**
 * Logging. Library code never prints: every component takes a pino logger (default `silentLogger`)
 * and only the composition roots (CLI, gateway) create one with `createLogger()`.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { logLevelFromEnv, type LogLevel } from './config.js';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** Defaults to `BLOODBANK_LOG_LEVEL` (else `info`). */
  readonly level?: LogLevel;
  /** Bound as `name` on every line; defaults to `SERVICE_NAME` (else `bloodbank`). */
  readonly name?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  readonly destination?: DestinationStream;
  /** Read for the defaults above; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Paths pino blanks out, so a secret passed in a log object never reaches the output. */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  'apiKey',
  'secret',
  '*.password',
  '*.apiKey',
  '*.secret',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

/** A JSON-lines pino logger. Throws `ConfigError` when `BLOODBANK_LOG_LEVEL` is invalid. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const pinoOptions: LoggerOptions = {
    level: options.level ?? logLevelFromEnv(env),
    name: options.name ?? (env['SERVICE_NAME'] || 'bloodbank'),
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that drops everything: the default of every library component. */
export const silentLogger: Logger = pino({ level: 'silent' });
