/**
 * The one entry that generated code imports (`bloodbank/codegen-runtime`): types and helpers meant for
 * generated/, nothing else. Keep it small: it is the contract between codegen output and the runtime.
 */
import { createRequire } from 'node:module';

export type {
  Catalog,
  CatalogEntry,
  DeliveryBinding,
  EnvelopeValidators,
  EventDefinition,
  EventKind,
  JsonSchema,
  KeysMatching,
  ParameterDefinition,
  Registry,
  Upcaster,
  ValidationIssue,
  ValidationResult,
  Validator,
} from './registry.js';
export { createRegistry } from './registry.js';
export type {
  AcceptOlder,
  AcceptOlderOption,
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
  UpcastableKeys,
} from './bus.js';
export type { Envelope } from './envelope.js';
export type {
  BareRequestOptions,
  RequestHandler,
  RequestHeaders,
  RequestReply,
} from './delivery/request-reply.js';
export { consumeValidator, fillingNow, publishValidator, wrapValidator } from './validation.js';
export type { AjvValidateFunction, SettlePlan } from './validation.js';

const require = createRequire(import.meta.url);

/** RFC 3339 date-time whose timezone may be missing: the original produced naive datetimes. */
export const lenientDateTime = {
  validate: (s: string): boolean => {
    const m =
      /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$/.exec(
        s,
      );
    if (!m) return false;
    const [, , mo, d, h, mi, se] = m;
    return (
      Number(mo) >= 1 &&
      Number(mo) <= 12 &&
      Number(d) >= 1 &&
      Number(d) <= 31 &&
      Number(h) <= 23 &&
      Number(mi) <= 59 &&
      Number(se ?? 0) <= 60
    );
  },
};

function formatSets(): { publish: Record<string, unknown>; consume: Record<string, unknown> } {
  const { fullFormats } = require('ajv-formats/dist/formats') as { fullFormats: Record<string, unknown> };
  return { publish: fullFormats, consume: { ...fullFormats, 'date-time': lenientDateTime } };
}

/**
 * Modules that ajv standalone output `require()`s, keyed by the specifier it uses. Codegen rewrites each
 * `require("x")` into `ajvRuntime["x"]`, so validators load as ESM under plain `node`.
 */
export const ajvRuntime: Readonly<Record<string, unknown>> = {
  'ajv/dist/runtime/ucs2length': require('ajv/dist/runtime/ucs2length'),
  'ajv/dist/runtime/equal': require('ajv/dist/runtime/equal'),
  'ajv/dist/runtime/uri': require('ajv/dist/runtime/uri'),
  'ajv/dist/runtime/validation_error': require('ajv/dist/runtime/validation_error'),
  'bloodbank/formats': formatSets(),
};
