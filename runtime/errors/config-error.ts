import { BloodbankError } from './bloodbank-error.js';

/** One configuration variable that failed its rule. */
export interface ConfigIssue {
  /** The environment variable, e.g. `REDIS_PORT`. */
  readonly variable: string;
  /** What the value must be, e.g. `must be an integer between 1 and 65535`. */
  readonly rule: string;
  /** The offending value as it may be shown (credentials removed), when it is safe to show. */
  readonly value?: string;
}

/**
 * The environment holds an invalid configuration. Thrown by `loadConfig()` at start-up, naming every
 * variable that failed and its rule: `invalid configuration: REDIS_PORT must be an integer between 1
 * and 65535 (got "abc")`.
 */
export class ConfigError extends BloodbankError {
  override name = 'ConfigError' as const;
  /** The first variable that failed (the one a short message names). */
  readonly variable: string;
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly [ConfigIssue, ...ConfigIssue[]]) {
    super(`invalid configuration: ${issues.map(formatConfigIssue).join('; ')}`);
    this.variable = issues[0].variable;
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.variable} ${issue.rule}${issue.value === undefined ? '' : ` (got ${JSON.stringify(issue.value)})`}`;
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
