/** Commands: typed handlers with explicit outcomes, the processor wiring and request/reply. */
export { createCollector, sideEffectId } from './collector.js';
export type { CollectedEvent, CollectorOptions, CommandCollector } from './collector.js';
export { createCommandManager, describeFailure, storedReplies } from './manager.js';
export type {
  CommandDelivery,
  CommandManager,
  CommandManagerOptions,
  ReplySender,
  ReplyStore,
} from './manager.js';
export { createReplySender, subscribeCommands } from './processor.js';
export type { SubscribeCommandsOptions } from './processor.js';
export { DIRECT_REPLY_TO, commandQueueName, createRequester } from './requester.js';
export type { RequestOptions, RequestResult, Requester, RequesterOptions } from './requester.js';
export type {
  CommandDefinition,
  CommandFailure,
  CommandResult,
  ErrorInputOf,
  ErrorKeyOf,
  ReplyEnvelopeOf,
  ReplyKeyOf,
  RequestableKeys,
} from './types.js';
export {
  CommandFailedError,
  NoCommandHandlerError,
  NonRetryableError,
  RequestTimeoutError,
  isCommandFailedError,
  isNoCommandHandlerError,
  isNonRetryableError,
  isRequestTimeoutError,
} from '../errors/index.js';
