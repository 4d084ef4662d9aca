/**
 * The wire format of DESIGN.md §6, shared by the publisher (encode) and the consumer (decode).
 *
 * Body: the envelope JSON exactly as the original Bloodbank writes it (orjson: compact, keys in the
 * envelope's field order, nulls emitted, UTF-8 unescaped). Properties: persistent, `messageId` =
 * event_id, JSON content type and UTF-8 encoding, `type` = event_type, `timestamp` in seconds, `appId` =
 * source.app. Headers (scalars only): CloudEvents AMQP binding attributes, the workflow id
 * (`bb-correlation-id`), the parents (`bb-causation-ids`) and `traceparent` when given.
 */
import { BloodbankError } from './errors/bloodbank-error.js';
import type { AgentContext, Envelope, Source } from './envelope.js';

export const HEADER_CORRELATION_ID = 'bb-correlation-id';
export const HEADER_CAUSATION_IDS = 'bb-causation-ids';
export const HEADER_TRACEPARENT = 'traceparent';
export const CLOUDEVENTS_SPECVERSION = '1.0';

/** Largest value of one header we write; a table over 64 KiB is rejected by amqplib. */
export const MAX_HEADER_BYTES = 4096;

export type HeaderValue = string | number | boolean;

export interface EncodeOptions {
  /** `bb-correlation-id`; defaults to the event's own id (a root event). */
  readonly workflowId?: string;
  /** Extra headers (scalars only, each ≤ 4 KiB); the reserved ones above cannot be overridden. */
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  /** The envelope was built by `createEnvelope` (fields already in wire order): skip re-ordering. */
  readonly ordered?: boolean;
}

/** What `channel.publish` takes, besides exchange and routing key. */
export interface EncodedMessage {
  readonly body: Buffer;
  readonly properties: {
    readonly persistent: true;
    readonly messageId: string;
    readonly contentType: 'application/json';
    readonly contentEncoding: 'utf-8';
    readonly type: string;
    readonly timestamp: number;
    readonly appId?: string;
    readonly headers: Record<string, HeaderValue>;
  };
}

/** The envelope JSON, byte for byte as the original's `orjson.dumps(envelope.model_dump(mode="json"))`. */
export function serializeEnvelope(envelope: Envelope, ordered = false): string {
  // createEnvelope writes every field in order, except a caller's code_state object.
  if (ordered && !envelope.agent_context?.code_state) return JSON.stringify(envelope);
  return JSON.stringify({
    event_id: envelope.event_id,
    event_type: envelope.event_type,
    timestamp: envelope.timestamp,
    version: envelope.version,
    source: orderSource(envelope.source),
    correlation_ids: envelope.correlation_ids,
    agent_context: envelope.agent_context === null ? null : orderAgentContext(envelope.agent_context),
    payload: envelope.payload,
  });
}

function orderSource(s: Source): Source {
  return { host: s.host, type: s.type, app: s.app ?? null, meta: s.meta ?? null };
}

function orderAgentContext(a: AgentContext): AgentContext {
  const cs = a.code_state;
  return {
    type: a.type,
    name: a.name ?? null,
    system_prompt: a.system_prompt ?? null,
    instance_id: a.instance_id ?? null,
    mcp_servers: a.mcp_servers ?? null,
    file_references: a.file_references ?? null,
    url_references: a.url_references ?? null,
    code_state: cs
      ? {
          repo_url: cs.repo_url ?? null,
          branch: cs.branch ?? null,
          working_diff: cs.working_diff ?? null,
          branch_diff: cs.branch_diff ?? null,
          last_commit_hash: cs.last_commit_hash ?? null,
        }
      : null,
    checkpoint_id: a.checkpoint_id ?? null,
    meta: a.meta ?? null,
  };
}

/** `urn:bloodbank:<app>@<host>` (app `unknown` when the source has none). */
export function cloudEventsSource(source: Pick<Source, 'app' | 'host'>): string {
  return `urn:bloodbank:${source.app ?? 'unknown'}@${source.host}`;
}

/** Body, properties and headers of one envelope. Throws `BloodbankError` on a non-scalar or oversized header. */
export function encodeMessage(envelope: Envelope, options: EncodeOptions = {}): EncodedMessage {
  if (options.headers)
    for (const [name, value] of Object.entries(options.headers))
      checkHeader(envelope.event_type, name, value);
  const ours = {
    cloudEvents_specversion: CLOUDEVENTS_SPECVERSION,
    cloudEvents_id: envelope.event_id,
    cloudEvents_type: envelope.event_type,
    cloudEvents_source: clip(cloudEventsSource(envelope.source)),
    cloudEvents_time: envelope.timestamp,
    [HEADER_CORRELATION_ID]: options.workflowId ?? envelope.event_id,
  };
  const causation =
    envelope.correlation_ids.length > 0
      ? { [HEADER_CAUSATION_IDS]: joinCausation(envelope.correlation_ids) }
      : null;
  // User headers first so that ours win; the common case (no user headers, no parents) stays one literal.
  const headers: Record<string, HeaderValue> =
    options.headers || causation ? { ...options.headers, ...ours, ...causation } : ours;
  const app = envelope.source.app;
  return {
    body: Buffer.from(serializeEnvelope(envelope, options.ordered ?? false), 'utf8'),
    properties: {
      persistent: true,
      messageId: envelope.event_id,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      type: envelope.event_type,
      timestamp: timestampSeconds(envelope.timestamp),
      ...(app ? { appId: app } : {}),
      headers,
    },
  };
}

function checkHeader(eventType: string, name: string, value: unknown): void {
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  if (!scalar)
    throw new BloodbankError(
      `cannot publish ${eventType}: header ${name} must be a string, number or boolean (got ${value === null ? 'null' : typeof value})`,
    );
  if (typeof value === 'string' && Buffer.byteLength(value) > MAX_HEADER_BYTES)
    throw new BloodbankError(
      `cannot publish ${eventType}: header ${name} is ${Buffer.byteLength(value)} bytes, at most ${MAX_HEADER_BYTES} allowed`,
    );
}

/** Parent ids, comma-separated; past 4 KiB (~110 parents) the list is cut (the body keeps them all). */
function joinCausation(ids: readonly string[]): string {
  let out = '';
  for (const id of ids) {
    const next = out ? `${out},${id}` : id;
    if (next.length > MAX_HEADER_BYTES) break;
    out = next;
  }
  return out;
}

function clip(value: string): string {
  return value.length > MAX_HEADER_BYTES ? value.slice(0, MAX_HEADER_BYTES) : value;
}

/** AMQP `timestamp` (seconds since the epoch) of an envelope timestamp; now when unparsable. */
export function timestampSeconds(timestamp: string): number {
  const ms = Date.parse(timestamp);
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

/* ---------- decode ---------- */

/** What a consumer needs from a message besides the body. Tolerates messages of the original (no headers). */
export interface DecodedMeta {
  /** `message_id`, else `cloudEvents_id`; null when neither is present. */
  readonly eventId: string | null;
  /** `type`, else `cloudEvents_type`; null when neither is present (the routing key is then the key). */
  readonly eventType: string | null;
  /** `bb-correlation-id`; null for messages of producers that do not set it (the original). */
  readonly workflowId: string | null;
  /** `bb-causation-ids` split; empty when absent (use the body's `correlation_ids`). */
  readonly causationIds: readonly string[];
  readonly traceparent: string | null;
  readonly cloudEventsSource: string | null;
  /** Header table with Buffers turned into strings. */
  readonly headers: Readonly<Record<string, unknown>>;
}

interface PropertiesLike {
  readonly messageId?: unknown;
  readonly type?: unknown;
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
}

export function decodeMeta(properties: PropertiesLike): DecodedMeta {
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(properties.headers ?? {}))
    headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
  const causation = str(headers[HEADER_CAUSATION_IDS]);
  return {
    eventId: str(properties.messageId) ?? str(headers['cloudEvents_id']),
    eventType: str(properties.type) ?? str(headers['cloudEvents_type']),
    workflowId: str(headers[HEADER_CORRELATION_ID]),
    causationIds: causation ? causation.split(',').filter(Boolean) : [],
    traceparent: str(headers[HEADER_TRACEPARENT]),
    cloudEventsSource: str(headers['cloudEvents_source']),
    headers,
  };
}

export type DecodedBody =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** Parse a body (UTF-8 JSON). Never throws: an unparsable body is a reason to dead-letter, not a crash. */
export function decodeBody(content: Buffer, contentEncoding?: unknown): DecodedBody {
  if (contentEncoding !== undefined && contentEncoding !== null) {
    const enc = String(contentEncoding).toLowerCase();
    if (enc !== 'utf-8' && enc !== 'utf8')
      return { ok: false, reason: `unsupported content encoding ${String(contentEncoding)}` };
  }
  try {
    return { ok: true, value: JSON.parse(content.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, reason: `body is not JSON: ${(error as Error).message}` };
  }
}
