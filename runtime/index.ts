/** Bloodbank runtime: envelope, ids, errors, registry contract, transports. */
export * from './errors/index.js';
export * from './envelope.js';
export * from './ids.js';
export * from './registry.js';
export * from './bus.js';
export { fillingNow, toIssues, wrapValidator } from './validation.js';
export * from './metrics.js';
export * from './amqp/index.js';
export * from './redis/index.js';
export * from './config.js';
export * from './logger.js';
export * from './bloodbank.js';
export * from './commands/index.js';
export { createRequestReply, DEFAULT_REQUEST_TIMEOUT_MS } from './delivery/request-reply.js';
export type {
  BareReply,
  BareRequestOptions,
  RequestContext,
  RequestHandler,
  RequestHeaders,
  RequestReply,
  RequestReplyOptions,
} from './delivery/request-reply.js';
