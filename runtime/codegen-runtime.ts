/**
 * The one entry that generated code imports (`bloodbank/codegen-runtime`): types and helpers meant for
 * generated/, nothing else. Keep it small: it is the contract between codegen output and the runtime.
 */
import { createRequire } from 'node:module';

export type {
  Catalog,
  CatalogEntry,
  EnvelopeValidators,
  EventDefinition,
  EventKind,
  JsonSchema,
  KeysMatching,
  Registry,
  ValidationIssue,
  ValidationResult,
  Validator,
} from './registry.js';
export { createRegistry } from './registry.js';
export type {
  CommandContext,
  CommandHandler,
  CommandKeys,
  EnvelopeOf,
  EventCollector,
  EventPublisher,
  EventSubscriber,
  Handler,
  MessageContext,
  PublishOptions,
  PublishReceipt,
  ReplyInputOf,
  SubscribeOptions,
  Subscription,
} from './bus.js';
export type { Envelope } from './envelope.js';
export { wrapValidator } from './validation.js';
export type { AjvValidateFunction } from './validation.js';

const require = createRequire(import.meta.url);

/**
 * Modules that ajv standalone output `require()`s, keyed by the specifier it uses. Codegen rewrites each
 * `require("x")` into `ajvRuntime["x"]`, so validators load as ESM under plain `node`.
 */
export const ajvRuntime: Readonly<Record<string, unknown>> = {
  'ajv/dist/runtime/ucs2length': require('ajv/dist/runtime/ucs2length'),
  'ajv/dist/runtime/equal': require('ajv/dist/runtime/equal'),
  'ajv/dist/runtime/uri': require('ajv/dist/runtime/uri'),
  'ajv/dist/runtime/validation_error': require('ajv/dist/runtime/validation_error'),
  'ajv-formats/dist/formats': require('ajv-formats/dist/formats'),
  'bloodbank/formats': {
    /** Consume-side date-time: like RFC 3339 but the timezone may be missing (the original's naive datetimes). */
    lenientDateTime: {
      validate: (s: string): boolean =>
        /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$/.test(s) &&
        !Number.isNaN(Date.parse(s.length <= 19 ? s : s.replace(' ', 'T'))),
    },
  },
};
