/**
 * The bare wire (DESIGN.md §6): registries without our envelope (`registry.envelope === null`: a document
 * we did not write describes the message body itself). The body is the payload's JSON, nothing else; the
 * envelope's metadata travels in AMQP properties and headers, and the consumer rebuilds an `Envelope` from
 * them so handlers, correlation tracking and idempotency work as on the envelope wire.
 *
 *   event_id        `message_id` (else `cloudEvents_id`; else, for a foreign producer that sets neither,
 *                   the deterministic `uuid5(NAMESPACE_OID, "bloodbank:bare:<routing key>:<sha256 of the
 *                   body>")`, so a redelivered copy keeps its id and idempotency holds)
 *   event_type      the registry key, identified on consume (see `identify`); AMQP `type` carries
 *                   `delivery.messageType ?? key`
 *   timestamp       `cloudEvents_time` (the envelope's exact text), else AMQP `timestamp`, else now
 *   source          `bb-source` (JSON), else `app_id` with host `unknown` and type `service`
 *   correlation_ids `bb-causation-ids` (cut past 4 KiB, ~110 parents)
 *   agent_context   `bb-agent-context` (JSON), else null
 *   version         `bb-envelope-version` when not 1.0.0
 *
 * A message's typed headers (its `headers` schema) are AMQP headers beside ours; a correlation id located
 * in them (`$message.header#/x`) is also AMQP `correlation_id`, a reply address (`$message.header#/x`) AMQP
 * `reply_to`.
 */
import { createHash } from 'node:crypto';
import { ENVELOPE_VERSION, formatTimestamp, type Envelope, type Source } from '../envelope.js';
import { BloodbankError } from '../errors/bloodbank-error.js';
import { PayloadValidationError } from '../errors/payload-validation-error.js';
import { NAMESPACE_OID, uuid5 } from '../ids.js';
import type { EventDefinition, Registry, ValidationIssue } from '../registry.js';
import { underPayload } from '../validation.js';
import {
  CLOUDEVENTS_SPECVERSION,
  HEADER_CAUSATION_IDS,
  HEADER_CORRELATION_ID,
  MAX_HEADER_BYTES,
  cloudEventsSource,
  timestampSeconds,
  type HeaderValue,
} from '../wire.js';
import { addressOf, isForeign, resolveAddress } from './address.js';

export const HEADER_SOURCE = 'bb-source';
export const HEADER_AGENT_CONTEXT = 'bb-agent-context';
export const HEADER_ENVELOPE_VERSION = 'bb-envelope-version';
/** The agent context may carry a system prompt: allowed up to 48 KiB (amqplib's table limit is 64 KiB). */
export const MAX_AGENT_CONTEXT_BYTES = 48 * 1024;

const bareRegistries = new WeakMap<object, boolean>();

/**
 * Whether messages of this registry travel bare (no envelope in the body): it has no envelope of ours and
 * its entries come from a document we did not write (`channelId`, `address` or `delivery` set, as codegen
 * writes them for such documents). A hand-built registry with neither keeps the envelope wire.
 */
export function isBare(registry: Pick<Registry, 'envelope' | 'list'>): boolean {
  if (registry.envelope !== null) return false;
  let bare = bareRegistries.get(registry);
  if (bare === undefined) {
    bare = registry.list().some(isForeign);
    bareRegistries.set(registry, bare);
  }
  return bare;
}

/* ---------- publish ---------- */

/** Everything a bare publish needs beside the envelope, checked before anything is sent. */
export interface BareRoute {
  readonly definition: EventDefinition;
  readonly routingKey: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly messageHeaders: Readonly<Record<string, unknown>> | null;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  /** Sent to the queue `routingKey` through the default exchange (a reply to `reply_to`). */
  readonly toQueue: boolean;
}

export interface BarePublishInput {
  readonly parameters?: Readonly<Record<string, string>>;
  readonly routingKey?: string;
  readonly messageHeaders?: Readonly<Record<string, unknown>>;
  readonly correlationId?: string;
  readonly replyTo?: string;
  readonly toQueue?: string;
}

/**
 * Fill the address and validate the message headers. Throws `PayloadValidationError` naming
 * `/parameters/<name>`, `/routingKey` or `/headers/...` (nothing is sent).
 */
export function routeBare(definition: EventDefinition, payload: unknown, input: BarePublishInput): BareRoute {
  const resolved =
    input.toQueue !== undefined
      ? input.toQueue.length > 0 && Buffer.byteLength(input.toQueue) <= 255
        ? ({ ok: true, routingKey: input.toQueue, parameters: {} } as const)
        : ({
            ok: false,
            issues: [
              {
                pointer: '/toQueue',
                rule: 'queue',
                message: 'must be a queue name of 1 to 255 bytes',
                params: {},
              },
            ],
          } as const)
      : resolveAddress(definition, input.parameters, input.routingKey);
  const issues: ValidationIssue[] = resolved.ok ? [] : [...resolved.issues];
  let messageHeaders: Record<string, unknown> | null = null;
  if (definition.headers) {
    const headers = { ...(input.messageHeaders ?? {}) };
    const checked = definition.headers.validate(headers);
    if (!checked.ok) issues.push(...prefixed('/headers', checked.issues));
    messageHeaders = headers;
  } else if (input.messageHeaders && Object.keys(input.messageHeaders).length > 0) {
    issues.push({
      pointer: '/headers',
      rule: 'headers',
      message: `${definition.key} declares no headers`,
      params: {},
    });
  }
  if (issues.length > 0 || !resolved.ok) throw new PayloadValidationError('publish', definition.key, issues);
  const located = (location: string | undefined): string | undefined => {
    const v = location ? readLocation(location, messageHeaders ?? {}, payload) : undefined;
    return v === undefined || v === null ? undefined : String(v);
  };
  return {
    definition,
    routingKey: resolved.routingKey,
    parameters: resolved.parameters,
    messageHeaders,
    correlationId: input.correlationId ?? located(definition.correlationIdLocation),
    replyTo: input.replyTo ?? located(definition.replyAddress),
    toQueue: input.toQueue !== undefined,
  };
}

function prefixed(prefix: string, issues: readonly ValidationIssue[]): ValidationIssue[] {
  return issues.map((i) => ({ ...i, pointer: prefix + i.pointer }));
}

/** The value an AsyncAPI runtime expression (`$message.header#/a/b`, `$message.payload#/x`) points at. */
export function readLocation(location: string, headers: unknown, payload: unknown): unknown {
  const m = /^\$message\.(header|payload)#(.*)$/.exec(location);
  if (!m) return undefined;
  let node: unknown = m[1] === 'header' ? headers : payload;
  for (const raw of (m[2] as string).split('/').slice(1)) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, token))
      return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** The header a runtime expression `$message.header#/name` names (top level only), else null. */
export function headerNameOf(location: string | undefined): string | null {
  const m = location ? /^\$message\.header#\/([^/]+)$/.exec(location) : null;
  return m ? (m[1] as string).replace(/~1/g, '/').replace(/~0/g, '~') : null;
}

/** Body, properties and headers of a bare message (the properties' shape is the envelope wire's). */
export interface BareMessage {
  readonly body: Buffer;
  readonly properties: {
    readonly persistent: boolean;
    readonly messageId: string;
    readonly contentType: 'application/json';
    readonly contentEncoding: 'utf-8';
    readonly type: string;
    readonly timestamp: number;
    readonly appId?: string;
    readonly correlationId?: string;
    readonly replyTo?: string;
    readonly expiration?: number;
    readonly priority?: number;
    readonly headers: Record<string, unknown>;
  };
}

export function encodeBare(
  envelope: Envelope,
  route: BareRoute,
  options: { readonly workflowId?: string; readonly headers?: Readonly<Record<string, HeaderValue>> },
): BareMessage {
  const { definition } = route;
  const ours: Record<string, unknown> = {
    cloudEvents_specversion: CLOUDEVENTS_SPECVERSION,
    cloudEvents_id: envelope.event_id,
    cloudEvents_type: envelope.event_type,
    cloudEvents_source: cloudEventsSource(envelope.source),
    cloudEvents_time: envelope.timestamp,
    [HEADER_CORRELATION_ID]: options.workflowId ?? envelope.event_id,
    [HEADER_SOURCE]: JSON.stringify(envelope.source),
  };
  if (envelope.correlation_ids.length > 0) ours[HEADER_CAUSATION_IDS] = joinIds(envelope.correlation_ids);
  if (envelope.agent_context) {
    const text = JSON.stringify(envelope.agent_context);
    if (Buffer.byteLength(text) > MAX_AGENT_CONTEXT_BYTES)
      throw new BloodbankError(
        `cannot publish ${envelope.event_type}: the agent context is ${Buffer.byteLength(text)} bytes, at most ${MAX_AGENT_CONTEXT_BYTES} travel in the ${HEADER_AGENT_CONTEXT} header of the bare wire`,
      );
    ours[HEADER_AGENT_CONTEXT] = text;
  }
  if (envelope.version !== ENVELOPE_VERSION) ours[HEADER_ENVELOPE_VERSION] = envelope.version;
  // Free-form headers first, then the message's typed headers, then ours: ours win.
  const headers = { ...options.headers, ...route.messageHeaders, ...ours };
  const delivery = definition.delivery;
  const binding = delivery?.is === 'routingKey' ? delivery : undefined;
  const app = envelope.source.app;
  const properties: BareMessage['properties'] = {
    persistent: binding?.deliveryMode !== 1,
    messageId: envelope.event_id,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    type: (delivery && 'messageType' in delivery ? delivery.messageType : undefined) ?? definition.key,
    timestamp: timestampSeconds(envelope.timestamp),
    ...(app ? { appId: app } : {}),
    ...(route.correlationId !== undefined ? { correlationId: route.correlationId } : {}),
    ...(route.replyTo !== undefined ? { replyTo: route.replyTo } : {}),
    ...(binding?.expiration !== undefined ? { expiration: binding.expiration } : {}),
    ...(binding?.priority !== undefined ? { priority: binding.priority } : {}),
    headers,
  };
  return { body: Buffer.from(JSON.stringify(envelope.payload), 'utf8'), properties };
}

function joinIds(ids: readonly string[]): string {
  let out = '';
  for (const id of ids) {
    const next = out ? `${out},${id}` : id;
    if (next.length > MAX_HEADER_BYTES) break;
    out = next;
  }
  return out;
}

/* ---------- consume ---------- */

/** What the consumer reads from a bare message besides the body. */
export interface BareInbound {
  readonly body: Buffer | string;
  readonly routingKey: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly messageId?: unknown;
  readonly type?: unknown;
  readonly timestamp?: unknown;
  readonly appId?: unknown;
  readonly correlationId?: string;
  readonly replyTo?: string;
}

/** What a subscription keeps to tell its messages apart. */
export interface BareSubscription {
  readonly registry: Registry;
  /** Whether a definition is one the subscription's patterns select. */
  readonly subscribed: (key: string) => boolean;
  /** Values pinned by `SubscribeOptions.parameters`. */
  readonly pinned: Readonly<Record<string, string>>;
  /** A binding lets through keys that are not subscribed addresses (`#`): drop those quietly. */
  readonly filter: boolean;
}

export type BareDecoded =
  | {
      readonly ok: true;
      readonly envelope: Envelope;
      readonly definition: EventDefinition | null;
      readonly parameters: Readonly<Record<string, string>>;
      readonly messageHeaders: Readonly<Record<string, unknown>> | undefined;
      readonly correlationId: string | undefined;
      readonly replyTo: string | undefined;
    }
  | {
      readonly ok: false;
      readonly reason: 'unparsable' | 'unknown-event-type' | 'validation' | 'ambiguous' | 'filtered';
      readonly message: string;
      readonly eventType: string | null;
      readonly issues: readonly ValidationIssue[];
    };

const RESERVED_HEADER = /^(cloudEvents_|bb-|x-|traceparent$)/;

/** Parse, identify, validate and rebuild the envelope of one bare message. Never throws. */
export function decodeBare(message: BareInbound, s: BareSubscription, allowUnknown: boolean): BareDecoded {
  const text = typeof message.body === 'string' ? message.body : message.body.toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    return fail('unparsable', `body is not JSON: ${(error as Error).message}`, null, []);
  }
  const found = identify(message, payload, s);
  if (!found.ok) {
    if (found.reason === 'unknown-event-type' && allowUnknown)
      return {
        ok: true,
        envelope: rebuild(message, message.routingKey, payload, text),
        definition: null,
        parameters: {},
        messageHeaders: undefined,
        correlationId: message.correlationId,
        replyTo: message.replyTo,
      };
    return found;
  }
  const decoded = validateAs(message, found.definition, payload, text);
  return decoded.ok ? { ...decoded, parameters: found.parameters } : decoded;
}

/**
 * One message known to be of `definition` (a reply on a requester's own queue: its routing key is the
 * queue's name, not the channel's address): parse, validate headers and payload, rebuild the envelope.
 * Never throws; issues point into `/headers/...` and `/payload/...`.
 */
export function decodeAs(message: BareInbound, definition: EventDefinition): BareDecoded {
  const text = typeof message.body === 'string' ? message.body : message.body.toString('utf8');
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    return fail('unparsable', `body is not JSON: ${(error as Error).message}`, definition.key, []);
  }
  return validateAs(message, definition, payload, text);
}

/** Headers and payload of a message identified as `definition`, validated; its envelope rebuilt. */
function validateAs(
  message: BareInbound,
  definition: EventDefinition,
  payload: unknown,
  text: string,
): BareDecoded {
  const headersOut = definition.headers ? messageHeadersOf(message, definition) : undefined;
  const issues: ValidationIssue[] = [];
  if (definition.headers && headersOut) {
    const checked = definition.headers.validate(headersOut);
    if (!checked.ok) issues.push(...prefixed('/headers', checked.issues));
  }
  const p = definition.validateConsume(payload);
  if (!p.ok) issues.push(...underPayload(p.issues));
  if (issues.length > 0) {
    const summary = issues.map((i) => `${i.pointer.replace(/^\//, '') || '(root)'} ${i.message}`).join('; ');
    return fail('validation', `cannot consume ${definition.key}: ${summary}`, definition.key, issues);
  }
  const located = (location: string | undefined): string | undefined => {
    const v = location ? readLocation(location, headersOut ?? {}, payload) : undefined;
    return v === undefined || v === null ? undefined : String(v);
  };
  return {
    ok: true,
    envelope: rebuild(message, definition.key, payload, text),
    definition,
    parameters: {},
    messageHeaders: headersOut,
    correlationId: message.correlationId ?? located(definition.correlationIdLocation),
    replyTo: message.replyTo ?? located(definition.replyAddress),
  };
}

/** The message's typed headers: the schema's properties (or every header not ours), plus located ids. */
function messageHeadersOf(message: BareInbound, definition: EventDefinition): Record<string, unknown> {
  const schema = definition.headers?.schema;
  const declared =
    typeof schema === 'object' && schema !== null && typeof schema['properties'] === 'object'
      ? Object.keys(schema['properties'] as object)
      : null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message.headers)) {
    if (declared ? !declared.includes(k) : RESERVED_HEADER.test(k)) continue;
    out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  }
  // A producer that set only the AMQP property (an MQTT 5 client, a plain AMQP one) still fills the header.
  const corr = headerNameOf(definition.correlationIdLocation);
  if (corr && out[corr] === undefined && message.correlationId !== undefined)
    out[corr] = message.correlationId;
  const reply = headerNameOf(definition.replyAddress);
  if (reply && out[reply] === undefined && message.replyTo !== undefined) out[reply] = message.replyTo;
  return out;
}

type Identified =
  | {
      readonly ok: true;
      readonly definition: EventDefinition;
      readonly parameters: Readonly<Record<string, string>>;
    }
  | Extract<BareDecoded, { ok: false }>;

/**
 * Which definition a message is, among those whose address matches its routing key (or queue):
 * (a) the AMQP `type` property (ours: `delivery.messageType ?? key`), (b) a discriminator `const`, else
 * (c) validating against each: exactly one must match; none → `validation`, several → `ambiguous`.
 */
export function identify(message: BareInbound, payload: unknown, s: BareSubscription): Identified {
  const all = s.registry.list();
  let candidates: Array<{ d: EventDefinition; parameters: Record<string, string> }> = [];
  const open: typeof candidates = [];
  for (const d of all) {
    const a = addressOf(d);
    const parameters = a.parse(message.routingKey);
    if (!parameters) continue;
    (a.template === null ? open : candidates).push({ d, parameters });
  }
  if (candidates.length === 0) candidates = open;
  // What this subscription takes: subscribed definitions whose pinned parameters agree.
  const mine = candidates.filter(
    (c) =>
      s.subscribed(c.d.key) &&
      Object.entries(s.pinned).every(([n, v]) => !(n in c.parameters) || c.parameters[n] === v),
  );
  if (mine.length === 0) {
    if (s.filter)
      return fail('filtered', `${message.routingKey} is not an address this subscription takes`, null, []);
    if (candidates.length === 0)
      return fail(
        'unknown-event-type',
        `routing key ${JSON.stringify(message.routingKey)} is the address of no channel of the registry`,
        null,
        [],
      );
    // Known but not subscribed: let the pipeline's subscription step dead-letter it as not-subscribed.
    const first = candidates[0] as (typeof candidates)[number];
    return { ok: true, definition: first.d, parameters: first.parameters };
  }
  let pool = mine;
  if (typeof message.type === 'string' && pool.length > 1) {
    const typed = pool.filter((c) => messageTypeOf(c.d) === message.type);
    if (typed.length === 1) pool = typed;
  }
  if (pool.length > 1) {
    const withDiscriminator = pool.filter((c) => c.d.discriminator);
    if (withDiscriminator.length > 0) {
      const hits = withDiscriminator.filter((c) => discriminates(c.d, payload));
      if (hits.length > 0) pool = hits;
      else pool = pool.filter((c) => !c.d.discriminator);
    }
  }
  if (pool.length === 1) {
    const only = pool[0] as (typeof pool)[number];
    return { ok: true, definition: only.d, parameters: only.parameters };
  }
  const keys = (pool.length > 0 ? pool : mine).map((c) => c.d.key);
  const matching = pool.filter((c) => c.d.validateConsume(structuredClone(payload)).ok);
  if (matching.length === 1) {
    const only = matching[0] as (typeof matching)[number];
    return { ok: true, definition: only.d, parameters: only.parameters };
  }
  if (matching.length === 0)
    return fail(
      'validation',
      `cannot consume ${message.routingKey}: the body is valid for none of its messages (${keys.join(', ')})`,
      keys[0] ?? null,
      [],
    );
  return fail(
    'ambiguous',
    `cannot consume ${message.routingKey}: the body is valid for several of its messages (${matching.map((c) => c.d.key).join(', ')}) and no AMQP type or discriminator tells them apart`,
    null,
    [],
  );
}

export function messageTypeOf(d: EventDefinition): string {
  const delivery = d.delivery;
  return (delivery && 'messageType' in delivery ? delivery.messageType : undefined) ?? d.key;
}

function discriminates(d: EventDefinition, payload: unknown): boolean {
  const disc = d.discriminator;
  if (!disc) return false;
  const value = readLocation(`$message.payload#${disc.pointer}`, null, payload);
  return JSON.stringify(value) === JSON.stringify(disc.value);
}

/**
 * The envelope of a bare message from its properties and headers (see the module header). `key` is the
 * registry key it was identified as; `text` the body (for the deterministic id of a message without one).
 */
export function rebuild(message: BareInbound, key: string, payload: unknown, text: string): Envelope {
  const h = message.headers;
  const str = (v: unknown): string | null =>
    typeof v === 'string' && v.length > 0
      ? v
      : Buffer.isBuffer(v) && v.length > 0
        ? v.toString('utf8')
        : null;
  const eventId =
    str(message.messageId) ??
    str(h['cloudEvents_id']) ??
    uuid5(
      `bloodbank:bare:${message.routingKey}:${createHash('sha256').update(text).digest('hex')}`,
      NAMESPACE_OID,
    );
  const ts = message.timestamp;
  const timestamp =
    str(h['cloudEvents_time']) ??
    (typeof ts === 'number' && Number.isFinite(ts)
      ? formatTimestamp(new Date(ts * 1000))
      : formatTimestamp());
  const causation = str(h[HEADER_CAUSATION_IDS]);
  return {
    event_id: eventId,
    event_type: key,
    timestamp,
    version: str(h[HEADER_ENVELOPE_VERSION]) ?? ENVELOPE_VERSION,
    source: parseJson<Source>(str(h[HEADER_SOURCE])) ?? {
      host: 'unknown',
      type: 'service',
      app: str(message.appId),
      meta: null,
    },
    correlation_ids: causation ? causation.split(',').filter(Boolean) : [],
    agent_context: parseJson(str(h[HEADER_AGENT_CONTEXT])),
    payload,
  };
}

function parseJson<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as T) : null;
  } catch {
    return null;
  }
}

function fail(
  reason: Extract<BareDecoded, { ok: false }>['reason'],
  message: string,
  eventType: string | null,
  issues: readonly ValidationIssue[],
): Extract<BareDecoded, { ok: false }> {
  return { ok: false, reason, message, eventType, issues };
}
