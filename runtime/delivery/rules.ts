/**
 * The delivery rules both transports share (the AMQP consumer and the in-memory bus): service queue names,
 * backoff, the `bb-*` failure headers, how a delivery is decoded and classified before a handler runs, the
 * idempotency gate, dead letters as read back, and one set of patterns per queue. The pipeline that applies
 * them to each delivery is `pipeline.ts`; how RabbitMQ realises retries and dead letters is amqp/queues.ts.
 *
 * Attempts are counted in the `bb-attempt` header (1 on first delivery): `x-delivery-count` restarts
 * whenever a message is republished, so it cannot count retries through TTL queues.
 */
import { underPayload } from '../validation.js';
import type { Envelope } from '../envelope.js';
import type { EventDefinition, Registry, ValidationIssue } from '../registry.js';
import { BloodbankError } from '../errors/bloodbank-error.js';

/** The exchange every event goes through unless configured otherwise (`EXCHANGE_NAME`). */
export const DEFAULT_EXCHANGE = 'bloodbank.events.v1';
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000];
/** Longest `bb-error` value (bytes of UTF-8). */
export const MAX_ERROR_HEADER_BYTES = 4096;

export const HEADERS = {
  attempt: 'bb-attempt',
  error: 'bb-error',
  attempts: 'bb-attempts',
  firstFailureAt: 'bb-first-failure-at',
  lastFailureAt: 'bb-last-failure-at',
  deadLetterReason: 'bb-dead-letter-reason',
  validationIssues: 'bb-validation-issues',
  originalRoutingKey: 'bb-original-routing-key',
  deadLetteredFrom: 'bb-dead-lettered-from',
  redrivenFrom: 'bb-redriven-from',
  deferrals: 'bb-deferrals',
  /** On a copy sent by `bb replay` (runtime/amqp/history.ts): when. */
  replayedAt: 'bb-replayed-at',
  /** On a copy sent by `bb replay --force`: an idempotent consumer handles it again. */
  replayForce: 'bb-replay-force',
} as const;

/** Why a message ended in a dead-letter queue (`bb-dead-letter-reason`). */
export type DeadLetterReason =
  | 'unparsable'
  | 'invalid-envelope'
  | 'unknown-event-type'
  | 'validation'
  | 'max-attempts'
  /** The handler threw an error marked `retryable: false` (see `isRetryableError`). */
  | 'not-retryable'
  /** Dead-lettered by the broker (`x-delivery-limit` reached); read from `x-death`. */
  | 'delivery-limit'
  /**
   * The event's type matches none of the subscription's patterns: the queue still has a binding an
   * earlier version of the service made, or another instance of the service subscribes to more.
   */
  | 'not-subscribed'
  /**
   * Bare wire (a document we did not write): the message is valid for several of its channel's messages
   * and neither the AMQP `type` nor a discriminator tells which.
   */
  | 'ambiguous';

export interface RetryPolicy {
  /** Attempts before dead-lettering, the first delivery included. */
  readonly maxAttempts: number;
  /** Backoff before attempt n+1 is `delaysMs[min(n-1, last)]`. */
  readonly delaysMs: readonly number[];
}

export interface RetryOptions {
  readonly maxAttempts?: number;
  readonly delaysMs?: readonly number[];
}

export function resolveRetryPolicy(options: RetryOptions | undefined): RetryPolicy {
  const maxAttempts = options?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const delaysMs = options?.delaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${String(maxAttempts)}`);
  if (delaysMs.length === 0 || delaysMs.some((d) => !Number.isInteger(d) || d < 0))
    throw new RangeError(`retry.delaysMs must be non-negative integers, got [${delaysMs.join(', ')}]`);
  return { maxAttempts, delaysMs: [...delaysMs] };
}

/** Delay before the attempt after `failedAttempt` (1-based). */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number): number {
  const i = Math.min(Math.max(failedAttempt - 1, 0), policy.delaysMs.length - 1);
  return policy.delaysMs[i] ?? 0;
}

export interface QueueNames {
  readonly main: string;
  readonly dlq: string;
  retry(delayMs: number): string;
}

/**
 * Queue names of a service. The original Bloodbank declared `${exchange}.${service}` as a classic queue
 * without arguments; redeclaring that name as a quorum queue with arguments fails with 406, so ours
 * carry a `.q` suffix and both can live on one broker during a migration.
 */
export function queueNames(exchange: string, service: string): QueueNames {
  if (!/^[A-Za-z0-9_.:-]+$/.test(service))
    throw new RangeError(`service must match [A-Za-z0-9_.:-]+, got ${JSON.stringify(service)}`);
  return queueNamesOf(`${exchange}.${service}.q`);
}

/** Retry and dead-letter queue names that follow an explicitly named main queue. */
export function queueNamesOf(main: string): QueueNames {
  return { main, dlq: `${main}.dlq`, retry: (delayMs) => `${main}.retry.${delayMs}` };
}

/**
 * False when a handler's error says retrying cannot help (`error.retryable === false`): the consumer
 * then dead-letters the message at once (`not-retryable`) instead of spending the remaining attempts.
 */
export function isRetryableError(error: unknown): boolean {
  return !(
    typeof error === 'object' &&
    error !== null &&
    (error as { retryable?: unknown }).retryable === false
  );
}

/** `Error` → header text, cut to `MAX_ERROR_HEADER_BYTES` of UTF-8 (never splitting a character). */
export function errorHeader(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name}: ${error.message}`
      : typeof error === 'string'
        ? error
        : String(error);
  return truncateUtf8(text, MAX_ERROR_HEADER_BYTES);
}

export function truncateUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  const ellipsis = '…';
  let end = maxBytes - Buffer.byteLength(ellipsis);
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end -= 1; // back off a continuation byte
  return buf.subarray(0, end).toString('utf8') + ellipsis;
}

/** Headers a retry or dead-letter copy carries about its failures. */
export interface FailureHeaders {
  readonly [HEADERS.error]: string;
  readonly [HEADERS.attempts]: number;
  readonly [HEADERS.firstFailureAt]: string;
  readonly [HEADERS.lastFailureAt]: string;
}

export function failureHeaders(
  previous: Readonly<Record<string, unknown>>,
  error: unknown,
  attempt: number,
  now: Date,
): FailureHeaders {
  const at = now.toISOString();
  const first = previous[HEADERS.firstFailureAt];
  return {
    [HEADERS.error]: errorHeader(error),
    [HEADERS.attempts]: attempt,
    [HEADERS.firstFailureAt]: typeof first === 'string' ? first : at,
    [HEADERS.lastFailureAt]: at,
  };
}

/** The attempt number a delivery carries (`bb-attempt`, 1 when absent or malformed). */
export function attemptOf(headers: Readonly<Record<string, unknown>> | undefined): number {
  const raw = headers?.[HEADERS.attempt];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Broker-added headers that must not be copied onto a republished message. */
const BROKER_HEADERS = /^x-(death|first-death-|last-death-|delivery-count)/;

export function copyableHeaders(
  headers: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (!BROKER_HEADERS.test(k)) out[k] = v;
  return out;
}

/* ---------- decoding a delivery ---------- */

export type Decoded =
  | {
      readonly ok: true;
      readonly envelope: Envelope;
      /** `null` when the key is unknown and `allowUnknown` let it through. */
      readonly definition: EventDefinition | null;
    }
  | {
      readonly ok: false;
      readonly reason: Extract<
        DeadLetterReason,
        'unparsable' | 'invalid-envelope' | 'unknown-event-type' | 'validation'
      >;
      readonly message: string;
      readonly eventType: string | null;
      readonly issues: readonly ValidationIssue[];
    };

/**
 * Parse, look up and validate one message body. Envelope validators (when the registry has them) check
 * the envelope; the definition's consume validator checks `payload` (tolerant: unknown fields ignored,
 * defaults applied in place).
 */
export function decodeDelivery(registry: Registry, body: Buffer | string, allowUnknown: boolean): Decoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    return fail('unparsable', `body is not JSON: ${(error as Error).message}`, null, []);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return fail('invalid-envelope', 'body is not a JSON object', null, []);
  const raw = parsed as Record<string, unknown>;
  const eventType = raw['event_type'];
  if (typeof eventType !== 'string' || eventType === '')
    return fail('invalid-envelope', 'envelope has no event_type', null, []);
  if (typeof raw['event_id'] !== 'string')
    return fail('invalid-envelope', `${eventType}: envelope has no event_id`, eventType, []);

  const definition = registry.get(eventType) ?? null;
  if (!definition) {
    if (allowUnknown) return { ok: true, envelope: raw as unknown as Envelope, definition: null };
    return fail('unknown-event-type', `unknown event type ${JSON.stringify(eventType)}`, eventType, []);
  }

  const issues: ValidationIssue[] = [];
  if (registry.envelope) {
    const r = registry.envelope.validateConsume(raw);
    if (!r.ok) issues.push(...r.issues.filter((i) => !i.pointer.startsWith('/payload')));
  }
  const p = definition.validateConsume(raw['payload']);
  if (!p.ok) issues.push(...underPayload(p.issues));
  if (issues.length > 0) {
    const summary = issues.map((i) => `${i.pointer.replace(/^\//, '') || '(root)'} ${i.message}`).join('; ');
    return fail('validation', `cannot consume ${eventType}: ${summary}`, eventType, issues);
  }
  return { ok: true, envelope: raw as unknown as Envelope, definition };
}

function fail(
  reason: Extract<DeadLetterReason, 'unparsable' | 'invalid-envelope' | 'unknown-event-type' | 'validation'>,
  message: string,
  eventType: string | null,
  issues: readonly ValidationIssue[],
): Decoded {
  return { ok: false, reason, message, eventType, issues };
}

/** Validation issues as a header value (JSON, cut to 4 KiB). */
export function issuesHeader(issues: readonly ValidationIssue[]): string {
  return truncateUtf8(
    JSON.stringify(issues.map((i) => ({ pointer: i.pointer, rule: i.rule, message: i.message }))),
    MAX_ERROR_HEADER_BYTES,
  );
}

/* ---------- idempotency ---------- */

/**
 * What the consumer needs from an idempotency store (runtime/redis IdempotencyStore implements it):
 * `begin` marks `(service, eventId)` as in progress unless it is already done or in progress elsewhere.
 */
export interface IdempotencyGate {
  begin(service: string, eventId: string): Promise<'acquired' | 'done' | 'in-progress'>;
  /** The handler succeeded: later deliveries of the id are skipped. */
  complete(service: string, eventId: string): Promise<void>;
  /** The handler failed: let a later delivery run it again. */
  release(service: string, eventId: string): Promise<void>;
  /** Lease length (ms) when leases expire; the consumer then calls `renew` every third of it. */
  readonly leaseMs?: number;
  /** Extend the lease of a handler still running. */
  renew?(service: string, eventId: string): Promise<boolean>;
}

/** An in-process gate (the in-memory transport's default; no expiry of `in-progress`). */
export function createMemoryIdempotency(): IdempotencyGate & { clear(): void } {
  const state = new Map<string, 'in-progress' | 'done'>();
  return {
    begin(service, eventId) {
      const key = `${service}\u0000${eventId}`;
      const s = state.get(key);
      if (s) return Promise.resolve(s);
      state.set(key, 'in-progress');
      return Promise.resolve('acquired');
    },
    complete(service, eventId) {
      state.set(`${service}\u0000${eventId}`, 'done');
      return Promise.resolve();
    },
    release(service, eventId) {
      state.delete(`${service}\u0000${eventId}`);
      return Promise.resolve();
    },
    clear: () => state.clear(),
  };
}

/* ---------- dead letters as read back ---------- */

/** One message of a dead-letter queue, as the DLQ API and the in-memory transport report it. */
export interface DeadLetterRecord {
  readonly eventId: string | null;
  readonly eventType: string | null;
  /** The parsed body when it is a JSON object (not necessarily a valid envelope). */
  readonly envelope: Envelope | null;
  readonly body: string;
  /** The routing key it was first published with. */
  readonly routingKey: string;
  readonly reason: DeadLetterReason | null;
  readonly error: string | null;
  readonly attempts: number | null;
  readonly firstFailureAt: string | null;
  readonly lastFailureAt: string | null;
  readonly headers: Readonly<Record<string, unknown>>;
}

export function toDeadLetterRecord(
  body: Buffer | string,
  headers: Readonly<Record<string, unknown>>,
  routingKey: string,
): DeadLetterRecord {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let envelope: Envelope | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      envelope = parsed as Envelope;
  } catch {
    envelope = null;
  }
  const str = (k: string): string | null => (typeof headers[k] === 'string' ? (headers[k] as string) : null);
  const num = (k: string): number | null => (typeof headers[k] === 'number' ? (headers[k] as number) : null);
  let reason = str(HEADERS.deadLetterReason) as DeadLetterReason | null;
  if (!reason) {
    const death = headers['x-first-death-reason'];
    if (death === 'delivery_limit') reason = 'delivery-limit';
  }
  return {
    // A bare message (delivery/bare.ts) carries its id and type in the CloudEvents headers only.
    eventId: typeof envelope?.event_id === 'string' ? envelope.event_id : str('cloudEvents_id'),
    eventType: typeof envelope?.event_type === 'string' ? envelope.event_type : str('cloudEvents_type'),
    envelope,
    body: text,
    routingKey: str(HEADERS.originalRoutingKey) ?? routingKey,
    reason,
    error: str(HEADERS.error),
    attempts: num(HEADERS.attempts),
    firstFailureAt: str(HEADERS.firstFailureAt),
    lastFailureAt: str(HEADERS.lastFailureAt),
    headers,
  };
}

/* ---------- one set of patterns per queue ---------- */

/**
 * Throws when `queue` is already consumed (by an open subscription of the same subscriber or bus) for
 * other patterns: the two consumers would share the queue's messages, each getting about half of the
 * other's events. The same patterns are fine (competing consumers).
 */
export function assertOneBindingSet(
  open: ReadonlyArray<{ readonly queue: string; readonly patterns: readonly string[] }>,
  queue: string,
  patterns: readonly string[],
): void {
  const key = (ps: readonly string[]) => [...new Set(ps)].sort().join(' ');
  const other = open.find((s) => s.queue === queue && key(s.patterns) !== key(patterns));
  if (!other) return;
  throw new BloodbankError(
    `queue ${queue} is already consumed for ${key(other.patterns)}; a second subscription for ${key(patterns)} would share its messages and each handler would get the other's events: subscribe once with every pattern (the envelope's event_type tells them apart), or give the second subscription its own service name`,
  );
}

/** Why an event whose type matches none of the subscription's patterns was dead-lettered. */
export function notSubscribedMessage(eventType: string, patterns: readonly string[], queue: string): string {
  return `${eventType} matches none of the patterns ${patterns.join(', ')} this subscription of ${queue} handles: the queue keeps a binding made earlier (remove it with bb unbind) or another instance of the service subscribes to more; redrive once it is handled`;
}
