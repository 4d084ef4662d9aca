import { BloodbankError } from './bloodbank-error.js';

/**
 * No command processor ever declared the command's queue (`${exchange}.commands.<key>`), so nothing
 * could run it: nothing was published. Start a processor with a handler for the key (`bb serve commands`).
 */
export class NoCommandHandlerError extends BloodbankError {
  override name = 'NoCommandHandlerError' as const;
  readonly commandType: string;
  readonly queue: string;
  constructor(commandType: string, queue: string) {
    super(
      `cannot request ${commandType}: no command processor handles it (queue ${queue} does not exist); ` +
        'start one with a handler for it (bb serve commands)',
    );
    this.commandType = commandType;
    this.queue = queue;
  }
}

export function isNoCommandHandlerError(error: unknown): error is NoCommandHandlerError {
  return error instanceof NoCommandHandlerError;
}
