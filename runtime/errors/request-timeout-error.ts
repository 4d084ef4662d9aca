import { BloodbankError } from './bloodbank-error.js';

/**
 * No reply came within `timeoutMs`. The command was confirmed by the broker and may still run (it waits
 * in its queue while processors are down, and may be retrying): this says nothing about its outcome.
 * Follow it by `commandId` in the correlation chain.
 */
export class RequestTimeoutError extends BloodbankError {
  override name = 'RequestTimeoutError' as const;
  readonly commandType: string;
  readonly commandId: string;
  readonly timeoutMs: number;
  constructor(commandType: string, commandId: string, timeoutMs: number) {
    super(`no reply to command ${commandType} (${commandId}) within ${timeoutMs} ms`);
    this.commandType = commandType;
    this.commandId = commandId;
    this.timeoutMs = timeoutMs;
  }
}

export function isRequestTimeoutError(error: unknown): error is RequestTimeoutError {
  return error instanceof RequestTimeoutError;
}
