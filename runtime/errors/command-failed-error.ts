import type { Envelope } from '../envelope.js';
import { BloodbankError } from './bloodbank-error.js';

/**
 * A command failed for good: its processor gave up (retries exhausted, or the error was not retryable)
 * and published the failure event named by the command's `x-bloodbank-error`. `failure` is that event
 * as published (for agent.thread.prompt: an agent.thread.error envelope whose correlation_ids are
 * [the command's event_id]).
 */
export class CommandFailedError extends BloodbankError {
  override name = 'CommandFailedError' as const;
  readonly commandType: string;
  readonly commandId: string;
  readonly failure: Envelope;
  constructor(commandType: string, commandId: string, failure: Envelope) {
    const payload = failure.payload as { error_message?: unknown } | null;
    const reason =
      typeof payload?.error_message === 'string' ? payload.error_message : `see ${failure.event_type}`;
    super(`command ${commandType} (${commandId}) failed: ${reason}`);
    this.commandType = commandType;
    this.commandId = commandId;
    this.failure = failure;
  }
}

export function isCommandFailedError(error: unknown): error is CommandFailedError {
  return error instanceof CommandFailedError;
}
