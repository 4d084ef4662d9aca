export { BloodbankError, isBloodbankError } from './bloodbank-error.js';
export { CodegenError, isCodegenError } from './codegen-error.js';
export {
  PayloadValidationError,
  formatIssues,
  isPayloadValidationError,
} from './payload-validation-error.js';
export { UnknownEventTypeError, isUnknownEventTypeError } from './unknown-event-type-error.js';
export { PublishError, isPublishError } from './publish-error.js';
export { UnroutableError, isUnroutableError } from './unroutable-error.js';
export { PublishTimeoutError, isPublishTimeoutError } from './publish-timeout-error.js';
export { NackError, isNackError } from './nack-error.js';
export { ConnectionError, isConnectionError } from './connection-error.js';
export { ConfigError, isConfigError } from './config-error.js';
export { CommandFailedError, isCommandFailedError } from './command-failed-error.js';
export { RequestTimeoutError, isRequestTimeoutError } from './request-timeout-error.js';
export { NoCommandHandlerError, isNoCommandHandlerError } from './no-command-handler-error.js';
export { NonRetryableError, isNonRetryableError } from './non-retryable-error.js';
export { ProviderError, isProviderError } from './provider-error.js';
export { ManagementApiError, isManagementApiError } from './management-api-error.js';
export {
  AccessRefusedError,
  isAccessRefusedError,
  parseAccessRefusal,
  type AccessRefusal,
} from './access-refused-error.js';
export { PublishRefusedError, isPublishRefusedError } from './publish-refused-error.js';
