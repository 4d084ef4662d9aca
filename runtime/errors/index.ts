export { BloodbankError, isBloodbankError } from './bloodbank-error.js';
export { CodegenError, isCodegenError } from './codegen-error.js';
export {
  PayloadValidationError,
  formatIssues,
  isPayloadValidationError,
} from './payload-validation-error.js';
export { UnknownEventTypeError, isUnknownEventTypeError } from './unknown-event-type-error.js';
