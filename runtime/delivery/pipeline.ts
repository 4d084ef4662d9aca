/**
 * The delivery pipeline: the rules every delivered message goes through, on RabbitMQ and in memory alike.
 *
 *   decode (parse, envelope checks, consume validation)
 *   → subscription filter (an event none of the subscription's patterns promises is dead-lettered)
 *   → idempotency gate (skip what the service already handled; defer what another consumer is handling;
 *     the lease is renewed while the handler runs)
 *   → handler
 *   → settle: ack, retry later with backoff, or dead-letter with a reason; metrics for each outcome.
 *
 * A transport supplies the message (`InboundMessage`) and the ways to settle it (`Settler`): the AMQP
 * consumer moves confirmed copies between queues, the in-memory bus moves them between arrays. Nothing here
 * knows which, so the two cannot drift apart.
 */
import type { Logger } from 'pino';
import type { MessageContext } from '../bus.js';
import type { Envelope } from '../envelope.js';
import type { BloodbankMetrics } from '../metrics.js';
import type { Registry, Upcaster, ValidationIssue } from '../registry.js';
import { compileTopicPatterns } from './topic.js';
import { decodeBare, type BareSubscription } from './bare.js';
import {
  HEADERS,
  attemptOf,
  backoffDelay,
  copyableHeaders,
  decodeDelivery,
  failureHeaders,
  isRetryableError,
  issuesHeader,
  notSubscribedMessage,
  type DeadLetterReason,
  type IdempotencyGate,
  type RetryPolicy,
} from './rules.js';

/** One delivered message, as the transport received it. */
export interface InboundMessage {
  readonly body: Buffer | string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly redelivered: boolean;
  /** The routing key it was first published with (a retried copy arrives through the default exchange). */
  readonly routingKey: string;
  readonly messageId?: unknown;
  readonly replyTo?: string;
  readonly correlationId?: string;
  /** AMQP `type`, `timestamp` and `app_id` (the bare wire rebuilds the envelope from them). */
  readonly type?: unknown;
  readonly timestamp?: unknown;
  readonly appId?: unknown;
}

/** How a transport settles a delivery. The pipeline calls exactly one of them per delivery. */
export interface Settler {
  /** Handled, or a duplicate: remove it from the queue. */
  ack(): void;
  /** Give it back untouched (shutdown interrupted the handler: not a failure). */
  giveBack(): void;
  /** Deliver a copy with `headers` again after `delayMs`, then remove the original. False if not moved. */
  retryLater(headers: Record<string, unknown>, delayMs: number): Promise<boolean>;
  /** Move a copy with `headers` to the dead letters, then remove the original. False if not moved. */
  deadLetter(headers: Record<string, unknown>, reason: DeadLetterReason): Promise<boolean>;
}

export interface PipelineSettings {
  readonly registry: Registry;
  /** Accept keys not in the registry (unvalidated) instead of dead-lettering them. */
  readonly allowUnknown: boolean;
  /** The main queue's name (dead-letter headers say where a message came from). */
  readonly queue: string;
  readonly service: string;
  readonly patterns: readonly string[];
  /** Whether an event type is one of the subscription's patterns (compileTopicPatterns). */
  readonly subscribed: (eventType: string) => boolean;
  readonly policy: RetryPolicy;
  /** Set for `idempotent: true` subscriptions. */
  readonly gate: IdempotencyGate | null;
  readonly onDuplicate: ((envelope: Envelope, context: MessageContext) => void | Promise<void>) | null;
  readonly handler: (envelope: Envelope, context: MessageContext) => void | Promise<void>;
  readonly logger: Logger;
  readonly metrics: BloodbankMetrics | null;
  /** Aborted when the subscription's close gave up waiting for handlers. */
  readonly signal: AbortSignal;
  /** The time failure headers carry (the in-memory bus may run on a manual clock). */
  readonly now: () => Date;
  /** `acceptOlder: true`: the older routing keys this subscription upcasts, by older key (olderVersions). */
  readonly upcasts?: ReadonlyMap<string, Upcaster>;
  /** Set for a registry without our envelope: messages travel bare (delivery/bare.ts). */
  readonly bare?: BareSubscription | null;
}

/** What the bare wire adds to a delivery's context. */
interface Extras {
  readonly parameters?: Readonly<Record<string, string>>;
  readonly messageHeaders?: Readonly<Record<string, unknown>>;
  readonly correlationId?: string;
  readonly replyTo?: string;
}

/**
 * What `acceptOlder: true` adds to a subscription of `patterns`: the older routing keys to bind too, and
 * the upcaster of each (an older key the patterns match already is delivered as itself, not upcast).
 * Throws when none of the matched keys has an upcaster (typed code cannot get here: a compile error).
 */
export function olderVersions(
  registry: Registry,
  patterns: readonly string[],
  acceptOlder: boolean | undefined,
): { readonly bindings: readonly string[]; readonly upcasts: ReadonlyMap<string, Upcaster> } {
  const upcasts = new Map<string, Upcaster>();
  if (!acceptOlder) return { bindings: [], upcasts };
  const matches = compileTopicPatterns(patterns);
  for (const u of registry.upcasters ?? []) if (matches(u.to) && !matches(u.from)) upcasts.set(u.from, u);
  if (upcasts.size === 0)
    throw new RangeError(
      `acceptOlder: none of ${patterns.join(', ')} has an upcaster (write upcasters/<key>.ts and run codegen)`,
    );
  return { bindings: [...upcasts.keys()], upcasts };
}

/** Runs one delivery through the pipeline. Never throws: every failure ends in one settle call. */
export async function deliver(message: InboundMessage, settle: Settler, s: PipelineSettings): Promise<void> {
  const attempt = attemptOf(message.headers);
  const admitted = await admit(message, settle, s, attempt);
  if (admitted === null) return;
  const { envelope, extras } = admitted;
  const gate = await enterGate(envelope, message, settle, s, attempt, extras);
  if (gate === 'settled') return;
  await runHandler(envelope, message, settle, s, attempt, gate === 'acquired', extras);
}

const NO_EXTRAS: Extras = {};

/** The bare wire's decode step: identify the definition, validate, rebuild the envelope. */
async function admitBare(
  message: InboundMessage,
  settle: Settler,
  s: PipelineSettings,
  bare: BareSubscription,
  attempt: number,
): Promise<{ envelope: Envelope; extras: Extras } | null> {
  const decoded = decodeBare(message, bare, s.allowUnknown);
  if (decoded.ok) {
    const extras: Extras = {
      parameters: decoded.parameters,
      ...(decoded.messageHeaders !== undefined ? { messageHeaders: decoded.messageHeaders } : {}),
      ...(decoded.correlationId !== undefined ? { correlationId: decoded.correlationId } : {}),
      ...(decoded.replyTo !== undefined ? { replyTo: decoded.replyTo } : {}),
    };
    return { envelope: decoded.envelope, extras };
  }
  const eventType = decoded.eventType ?? message.routingKey;
  if (decoded.reason === 'filtered') {
    // A `#` binding let through a key this subscription does not take: not an error, not a dead letter.
    s.metrics?.consumed.inc({ event_type: eventType, outcome: 'filtered' });
    settle.ack();
    return null;
  }
  if (decoded.reason === 'validation')
    s.metrics?.validationFailures.inc({ event_type: eventType, stage: 'consume' });
  s.logger.warn({ reason: decoded.reason, eventType, messageId: message.messageId }, decoded.message);
  const extra = decoded.issues.length > 0 ? { [HEADERS.validationIssues]: issuesHeader(decoded.issues) } : {};
  await deadLetter(message, settle, s, decoded.reason, decoded.message, attempt, eventType, extra);
  return null;
}

/** Decode and filter. Returns the envelope to handle, or null once the delivery is dead-lettered. */
async function admit(
  message: InboundMessage,
  settle: Settler,
  s: PipelineSettings,
  attempt: number,
): Promise<{ envelope: Envelope; extras: Extras } | null> {
  const decoded = s.bare
    ? await admitBare(message, settle, s, s.bare, attempt)
    : await admitEnvelope(message, settle, s, attempt);
  if (decoded === null) return null;
  const { extras } = decoded;
  let { envelope } = decoded;
  const upcaster = s.upcasts?.get(envelope.event_type);
  if (upcaster) {
    const upcast = upcastEnvelope(envelope, upcaster, s.registry);
    if (!upcast.ok) {
      s.metrics?.validationFailures.inc({ event_type: upcaster.to, stage: 'consume' });
      s.logger.warn({ reason: 'validation', eventType: envelope.event_type }, upcast.message);
      const extra =
        upcast.issues.length > 0 ? { [HEADERS.validationIssues]: issuesHeader(upcast.issues) } : {};
      await deadLetter(message, settle, s, 'validation', upcast.message, attempt, envelope.event_type, extra);
      return null;
    }
    envelope = upcast.envelope;
  }
  if (!s.subscribed(envelope.event_type)) return notSubscribed(envelope, message, settle, s, attempt);
  return { envelope, extras };
}

/** The envelope wire's decode step: parse, envelope checks, consume validation. */
async function admitEnvelope(
  message: InboundMessage,
  settle: Settler,
  s: PipelineSettings,
  attempt: number,
): Promise<{ envelope: Envelope; extras: Extras } | null> {
  const decoded = decodeDelivery(s.registry, message.body, s.allowUnknown);
  if (!decoded.ok) {
    const eventType = decoded.eventType ?? message.routingKey;
    if (decoded.reason === 'validation')
      s.metrics?.validationFailures.inc({ event_type: eventType, stage: 'consume' });
    s.logger.warn({ reason: decoded.reason, eventType, messageId: message.messageId }, decoded.message);
    const extra =
      decoded.issues.length > 0 ? { [HEADERS.validationIssues]: issuesHeader(decoded.issues) } : {};
    await deadLetter(message, settle, s, decoded.reason, decoded.message, attempt, eventType, extra);
    return null;
  }
  return { envelope: decoded.envelope, extras: NO_EXTRAS };
}

async function notSubscribed(
  envelope: Envelope,
  message: InboundMessage,
  settle: Settler,
  s: PipelineSettings,
  attempt: number,
): Promise<null> {
  const reason = notSubscribedMessage(envelope.event_type, s.patterns, s.queue);
  s.logger.warn(
    { reason: 'not-subscribed', eventType: envelope.event_type, eventId: envelope.event_id },
    reason,
  );
  await deadLetter(message, settle, s, 'not-subscribed', reason, attempt, envelope.event_type, {});
  return null;
}

/**
 * The upcast step: the older payload (already valid under the older consume validator) goes through the
 * upcaster, and its result through the newer version's publish validator (strict, defaults applied). The
 * envelope keeps its event_id and every other field; event_type becomes the newer key.
 */
function upcastEnvelope(
  envelope: Envelope,
  upcaster: Upcaster,
  registry: Registry,
):
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly message: string; readonly issues: readonly ValidationIssue[] } {
  let payload: unknown;
  try {
    payload = upcaster.upcast(envelope.payload);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `upcaster ${upcaster.from} → ${upcaster.to} threw: ${reason}`, issues: [] };
  }
  const result = registry.require(upcaster.to).validatePublish(payload);
  if (!result.ok) {
    const first = result.issues[0];
    const where = first ? ` (${first.pointer || '/'}: ${first.rule})` : '';
    return {
      ok: false,
      message: `upcaster ${upcaster.from} → ${upcaster.to} returned an invalid ${upcaster.to} payload${where}`,
      issues: result.issues,
    };
  }
  return { ok: true, envelope: { ...envelope, event_type: upcaster.to, payload: result.value } };
}

/**
 * The idempotency gate. 'acquired': this delivery runs the handler and owns the lease; 'open': no gate;
 * 'settled': a duplicate (acked, hook called) or in progress elsewhere (deferred).
 */
async function enterGate(
  envelope: Envelope,
  message: InboundMessage,
  settle: Settler,
  s: PipelineSettings,
  attempt: number,
  extras: Extras,
): Promise<'acquired' | 'open' | 'settled'> {
  if (!s.gate) return 'open';
  let state: 'acquired' | 'done' | 'in-progress';
  try {
    state = await s.gate.begin(s.service, envelope.event_id);
  } catch (error) {
    // A broken store degrades to at-least-once, visibly; complete() still records it if the store is back.
    s.logger.warn({ err: error, eventId: envelope.event_id }, 'idempotency check failed; handling anyway');
    return 'acquired';
  }
  if (state === 'acquired') return 'acquired';
  // `bb replay --force` marks its copies: handle them again although the service handled the event.
  if (state === 'done' && message.headers[HEADERS.replayForce] === true) return 'open';
  const eventType = envelope.event_type;
  if (state === 'done') {
    s.metrics?.deduplicated.inc({ service: s.service });
    s.metrics?.consumed.inc({ event_type: eventType, outcome: 'duplicate' });
    if (s.onDuplicate) {
      try {
        await s.onDuplicate(envelope, contextOf(message, s, attempt, extras));
      } catch (error) {
        s.logger.warn({ err: error, eventId: envelope.event_id }, 'duplicate hook failed');
      }
    }
    settle.ack();
    return 'settled';
  }
  // In progress in another consumer: look again after the first backoff delay.
  const headers = {
    ...copyableHeaders(message.headers),
    [HEADERS.attempt]: attempt,
    [HEADERS.deferrals]: Number(message.headers[HEADERS.deferrals] ?? 0) + 1,
    [HEADERS.originalRoutingKey]: message.routingKey,
  };
  if (await settle.retryLater(headers, backoffDelay(s.policy, 1)))
    s.metrics?.consumed.inc({ event_type: eventType, outcome: 'deferred' });
  return 'settled';
}

async function runHandler(
  envelope: Envelope,
  message: InboundMessage,
  settle: Settler,
  s: PipelineSettings,
  attempt: number,
  acquired: boolean,
  extras: Extras,
): Promise<void> {
  const eventType = envelope.event_type;
  const renewal = acquired && s.gate ? renewLease(s.gate, s, envelope.event_id) : null;
  try {
    await s.handler(envelope, contextOf(message, s, attempt, extras));
  } catch (error) {
    if (renewal) clearInterval(renewal);
    if (acquired) await s.gate?.release(s.service, envelope.event_id).catch(() => {});
    if (s.signal.aborted) {
      settle.giveBack();
      return;
    }
    await afterFailure(message, settle, s, error, attempt, eventType);
    return;
  }
  if (renewal) clearInterval(renewal);
  if (acquired)
    await s.gate?.complete(s.service, envelope.event_id).catch((error: unknown) => {
      s.logger.warn({ err: error, eventId: envelope.event_id }, 'idempotency complete failed');
    });
  s.metrics?.consumed.inc({ event_type: eventType, outcome: 'ack' });
  settle.ack();
}

/** A handler failed: dead-letter at once when retrying cannot help, else retry until attempts run out. */
async function afterFailure(
  message: InboundMessage,
  settle: Settler,
  s: PipelineSettings,
  error: unknown,
  attempt: number,
  eventType: string,
): Promise<void> {
  if (!isRetryableError(error)) {
    await deadLetter(message, settle, s, 'not-retryable', error, attempt, eventType, {});
    return;
  }
  if (attempt >= s.policy.maxAttempts) {
    await deadLetter(message, settle, s, 'max-attempts', error, attempt, eventType, {});
    return;
  }
  const delay = backoffDelay(s.policy, attempt);
  const headers = {
    ...copyableHeaders(message.headers),
    ...failureHeaders(message.headers, error, attempt, s.now()),
    [HEADERS.attempt]: attempt + 1,
    [HEADERS.originalRoutingKey]: message.routingKey,
  };
  s.logger.info({ eventType, attempt, delayMs: delay, err: error }, 'handler failed; retrying');
  if (await settle.retryLater(headers, delay)) {
    s.metrics?.retried.inc({ event_type: eventType });
    s.metrics?.consumed.inc({ event_type: eventType, outcome: 'retry' });
  }
}

async function deadLetter(
  message: InboundMessage,
  settle: Settler,
  s: PipelineSettings,
  reason: DeadLetterReason,
  error: unknown,
  attempt: number,
  eventType: string,
  extra: Record<string, unknown>,
): Promise<void> {
  const headers = {
    ...copyableHeaders(message.headers),
    ...failureHeaders(message.headers, error, attempt, s.now()),
    [HEADERS.deadLetterReason]: reason,
    [HEADERS.deadLetteredFrom]: s.queue,
    [HEADERS.originalRoutingKey]: message.routingKey,
    ...extra,
  };
  if (await settle.deadLetter(headers, reason)) {
    s.metrics?.deadLettered.inc({ event_type: eventType, reason });
    s.metrics?.consumed.inc({ event_type: eventType, outcome: 'dead-letter' });
    s.logger.warn({ eventType, reason, attempt, messageId: message.messageId }, 'dead-lettered');
  }
}

/** Keeps the idempotency lease alive while a handler runs (every third of the lease). */
function renewLease(gate: IdempotencyGate, s: PipelineSettings, eventId: string): NodeJS.Timeout | null {
  if (!gate.renew || !gate.leaseMs) return null;
  const renew = gate.renew.bind(gate);
  const timer = setInterval(
    () => {
      renew(s.service, eventId).catch((error: unknown) => {
        s.logger.warn({ err: error, eventId }, 'idempotency lease renewal failed');
      });
    },
    Math.max(100, Math.floor(gate.leaseMs / 3)),
  );
  timer.unref();
  return timer;
}

function contextOf(
  message: InboundMessage,
  s: PipelineSettings,
  attempt: number,
  extras: Extras,
): MessageContext {
  const workflow = message.headers['bb-correlation-id'];
  const upcast = s.upcasts?.has(message.routingKey) ? { upcastFrom: message.routingKey } : {};
  return {
    ...upcast,
    attempt,
    redelivered: message.redelivered,
    headers: message.headers,
    workflowId: typeof workflow === 'string' ? workflow : null,
    signal: s.signal,
    ...(message.replyTo !== undefined ? { replyTo: message.replyTo } : {}),
    ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
    ...extras,
  };
}
