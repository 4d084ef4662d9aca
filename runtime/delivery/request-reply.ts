/**
 * Request/reply on the bare wire (a document we did not write, issue 17): what an AsyncAPI operation with
 * a `reply` means to a user of AMQP RPC (RabbitMQ's RPC tutorial), for both transports. Our own
 * catalogue's commands keep their envelope requester (commands/requester.ts).
 *
 * Contract of `request(key, payload, options)` (an operation `send` with a `reply`):
 * - the request is published through the publisher, so it is validated (payload, parameters, headers)
 *   before anything is sent and resolves its publish only once the broker confirmed it;
 * - `reply_to` is this requester's reply queue (transport: `ReplyQueues.openReplyQueue`, opened on first
 *   use, one for every request), also written at the request's reply address when that is a runtime
 *   expression (`$message.header#/replyTo`);
 * - the correlation id is `options.correlationId`, else the value the caller put at the message's
 *   `correlationId.location`, else a fresh uuid4; it travels as AMQP `correlation_id` and at that
 *   location (header or payload);
 * - the reply whose correlation id (AMQP `correlation_id`, else its own location) matches resolves the
 *   request once it passes the reply message's consume validator (headers and payload); an invalid reply
 *   rejects with `PayloadValidationError` (`/payload/...`, `/headers/...`), never resolves with bad data;
 *   a reply for no waiting request (timed out, or another requester's on a shared fixed address) is
 *   dropped;
 * - no reply within `timeoutMs` (default 30 s) rejects with `RequestTimeoutError` and forgets the request.
 *   The request was confirmed and may still be answered later: that reply is dropped.
 *
 * Contract of `serve(key, handler, options)` (an operation `receive` with a `reply`): a subscription
 * (`options` as for `subscribe`) whose handler answers each request:
 * - the reply goes to the request's reply address: AMQP `reply_to` or the value at the request's reply
 *   address expression, as a queue through the default exchange; without one, to the reply channel's own
 *   address when it is fixed. A request with neither is dead-lettered at once (`not-retryable`, the error
 *   says why) and the handler is not called;
 * - the reply is validated by the reply message's publish validator, carries the request's correlation id
 *   (AMQP `correlation_id` and the reply message's `correlationId.location`) and is published with
 *   `mandatory: false` (a requester that went away makes the broker drop it, as in the RPC tutorial);
 * - the request is acked only after the reply's publisher confirm (the handler's promise includes it).
 *   A handler that throws follows the delivery rules (retry with backoff, then dead-letter); one that
 *   returns an invalid reply is dead-lettered at once (`not-retryable`, naming the pointer and rule).
 */
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type {
  EnvelopeOf,
  EventPublisher,
  EventSubscriber,
  MessageContext,
  PublishOptions,
  ReplyInputOf,
  ReplyMessage,
  ReplyQueue,
  ReplyQueues,
  SubscribeOptions,
  Subscription,
} from '../bus.js';
import type { ReplyKeyOf, RequestableKeys } from '../commands/types.js';
import type { Envelope } from '../envelope.js';
import { BloodbankError } from '../errors/bloodbank-error.js';
import { ConnectionError } from '../errors/connection-error.js';
import { NonRetryableError } from '../errors/non-retryable-error.js';
import { PayloadValidationError, isPayloadValidationError } from '../errors/payload-validation-error.js';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import type { Catalog, EventDefinition, Registry } from '../registry.js';
import { addressOf } from './address.js';
import { decodeAs, readLocation } from './bare.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface RequestReplyOptions<M extends Catalog> {
  readonly registry: Registry<M>;
  /** Publishes requests and replies (AMQP `createPublisher`, or the in-memory bus). */
  readonly publisher: EventPublisher<M>;
  /** Consumes requests (`serve`) and opens the reply queue (`request`): AMQP `createSubscriber`, or the in-memory bus. */
  readonly subscriber: EventSubscriber<M> & ReplyQueues;
  /** Default time to wait for a reply (30,000 ms). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/** Options of one request: those of `publish`, where `timeoutMs` is the wait for the reply. */
export type BareRequestOptions = Omit<PublishOptions, 'timeoutMs' | 'replyTo' | 'toQueue'> & {
  /** How long to wait for the reply (default: the requester's, 30 s). */
  readonly timeoutMs?: number;
  /** How long to wait for the broker's confirm of the request (default: the publisher's). */
  readonly confirmTimeoutMs?: number;
};

/** A validated reply. */
export interface BareReply<M extends Catalog, K extends keyof M & string> {
  readonly payload: M[ReplyKeyOf<M, K>]['payload'];
  /** Rebuilt from the reply's AMQP properties (delivery/bare.ts). */
  readonly envelope: EnvelopeOf<M, ReplyKeyOf<M, K>>;
  /** The reply's typed headers, when its message declares them. */
  readonly messageHeaders: Readonly<Record<string, unknown>> | undefined;
  readonly correlationId: string;
}

/** What a responder's handler knows about the request beside its payload. */
export interface RequestContext<M extends Catalog, K extends keyof M & string> extends MessageContext {
  readonly envelope: EnvelopeOf<M, K>;
}

/** Answers one request with the reply's payload (as published: defaults may be left out). */
export type RequestHandler<M extends Catalog, K extends keyof M & string> = (
  payload: M[K]['payload'],
  context: RequestContext<M, K>,
) => Promise<ReplyInputOf<M, K>>;

export interface RequestReply<M extends Catalog = Catalog> {
  request<K extends RequestableKeys<M>>(
    key: K,
    payload: M[K]['input'],
    options?: BareRequestOptions,
  ): Promise<BareReply<M, K>>;
  serve<K extends RequestableKeys<M>>(
    key: K,
    handler: RequestHandler<M, K>,
    options: SubscribeOptions,
  ): Promise<Subscription>;
  /** Requests waiting for their reply. */
  readonly pending: number;
  /** Rejects the waiting requests (`ConnectionError`), closes the reply queue and the subscriptions of `serve`. */
  close(): Promise<void>;
}

/**
 * The typed headers a requester may leave out: the ones the correlation id and the reply address are
 * written to (`K`), filled by `request`.
 */
export type RequestHeaders<T, K extends string> = Omit<T, K> & { readonly [P in K & keyof T]?: T[P] };

interface Waiting {
  readonly key: string;
  readonly reply: EventDefinition;
  readonly resolve: (reply: BareReply<Catalog, string>) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

export function createRequestReply<M extends Catalog>(options: RequestReplyOptions<M>): RequestReply<M> {
  const registry = options.registry as unknown as Registry;
  const publisher = options.publisher as unknown as EventPublisher;
  const subscriber = options.subscriber as unknown as EventSubscriber & ReplyQueues;
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'request-reply' });
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const waiting = new Map<string, Waiting>();
  const served = new Set<Subscription>();
  let replyQueue: Promise<ReplyQueue> | null = null;
  let closed = false;

  const settle = (id: string): Waiting | undefined => {
    const w = waiting.get(id);
    if (!w) return undefined;
    waiting.delete(id);
    clearTimeout(w.timer);
    return w;
  };

  const onReply = (message: ReplyMessage): void => {
    const id = matchReply(message, waiting);
    const w = id === undefined ? undefined : settle(id);
    if (!w || id === undefined) {
      logger.debug({ correlationId: message.correlationId }, 'reply for no waiting request (timed out?)');
      return;
    }
    const decoded = decodeAs(message, w.reply);
    if (decoded.ok)
      w.resolve({
        payload: decoded.envelope.payload,
        envelope: decoded.envelope as never,
        messageHeaders: decoded.messageHeaders,
        correlationId: id,
      });
    else if (decoded.reason === 'validation')
      w.reject(new PayloadValidationError('consume', w.reply.key, decoded.issues));
    else w.reject(new BloodbankError(`reply to ${w.key} (${id}): ${decoded.message}`));
  };

  const openQueue = (): Promise<ReplyQueue> => {
    if (!replyQueue) {
      const opening = subscriber.openReplyQueue(onReply);
      replyQueue = opening;
      opening.catch(() => {
        if (replyQueue === opening) replyQueue = null;
      });
    }
    return replyQueue;
  };

  return {
    get pending() {
      return waiting.size;
    },

    async request(key, payload, requestOptions = {}) {
      if (closed) throw new ConnectionError(`cannot request ${key}: the requester is closed`);
      const definition = registry.require(key);
      const reply = replyDefinitionOf(registry, definition);
      const {
        timeoutMs,
        confirmTimeoutMs,
        messageHeaders,
        correlationId: given,
        ...publish
      } = requestOptions;
      const queue = await openQueue();
      const headers: Record<string, unknown> = { ...messageHeaders };
      let body: unknown = payload;
      const correlationId = given ?? located(definition.correlationIdLocation, headers, body) ?? randomUUID();
      if (waiting.has(correlationId))
        throw new BloodbankError(
          `cannot request ${key}: a request with correlation id ${correlationId} is already waiting`,
        );
      body = fill(definition.correlationIdLocation, headers, body, correlationId);
      body = fill(definition.replyAddress, headers, body, queue.name);
      const wait = timeoutMs ?? defaultTimeoutMs;
      const answer = new Promise<BareReply<Catalog, string>>((resolve, reject) => {
        waiting.set(correlationId, {
          key,
          reply,
          resolve,
          reject,
          timer: setTimeout(
            () => settle(correlationId)?.reject(new RequestTimeoutError(key, correlationId, wait)),
            wait,
          ),
        });
      });
      answer.catch(() => undefined);
      try {
        await publisher.publish(key, body, {
          ...publish,
          ...headerOptions(
            definition,
            headers,
            publish.headers,
            Object.keys(messageHeaders ?? {}).length > 0,
          ),
          correlationId,
          replyTo: queue.name,
          ...(confirmTimeoutMs !== undefined ? { timeoutMs: confirmTimeoutMs } : {}),
        });
      } catch (error) {
        settle(correlationId);
        throw error;
      }
      return (await answer) as never;
    },

    async serve(key, handler, serveOptions) {
      if (closed) throw new ConnectionError(`cannot serve ${key}: closed`);
      const definition = registry.require(key);
      const reply = replyDefinitionOf(registry, definition);
      const fixed = fixedAddress(reply);
      const answer = async (envelope: Envelope, context: MessageContext): Promise<void> => {
        const replyTo = context.replyTo;
        if (replyTo === undefined && !fixed)
          throw new NonRetryableError(
            `cannot answer ${key} (${envelope.event_id}): the request names no reply address (AMQP reply_to${definition.replyAddress ? ` or ${definition.replyAddress}` : ''}) and the reply channel ${reply.channelId ?? reply.key} has no fixed address`,
            { code: 'no_reply_address' },
          );
        const result: unknown = await (handler as unknown as RequestHandler<Catalog, string>)(
          envelope.payload,
          { ...context, envelope } as never,
        );
        const headers: Record<string, unknown> = {};
        const correlationId = context.correlationId;
        const body =
          correlationId === undefined
            ? result
            : fill(reply.correlationIdLocation, headers, result, correlationId);
        try {
          await publisher.publish(reply.key, body, {
            ...headerOptions(reply, headers, undefined),
            ...(correlationId !== undefined ? { correlationId } : {}),
            ...(replyTo !== undefined ? { toQueue: replyTo } : {}),
            correlationIds: [envelope.event_id],
            ...(context.workflowId ? { workflowId: context.workflowId } : {}),
            mandatory: false,
          });
        } catch (error) {
          if (!isPayloadValidationError(error)) throw error;
          throw new NonRetryableError(`the handler of ${key} returned an invalid reply: ${error.message}`, {
            cause: error,
            code: 'invalid_reply',
          });
        }
      };
      const subscription = await subscriber.subscribe(key, answer, serveOptions);
      served.add(subscription);
      return {
        queue: subscription.queue,
        close: async () => {
          served.delete(subscription);
          await subscription.close();
        },
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      const error = new ConnectionError('the requester is closed');
      for (const id of [...waiting.keys()]) settle(id)?.reject(error);
      await Promise.all([...served].map((s) => s.close()));
      served.clear();
      const queue = replyQueue ? await replyQueue.catch(() => null) : null;
      await queue?.close();
    },
  };
}

/**
 * The headers of a message: its typed `messageHeaders` when it declares a headers schema; otherwise the
 * ids written at a `$message.header#/…` location travel as plain AMQP headers beside the caller's
 * (`given`: the caller passed typed headers to a message that declares none, which the publisher refuses).
 */
function headerOptions(
  definition: EventDefinition,
  headers: Record<string, unknown>,
  plain: PublishOptions['headers'],
  given = false,
): Pick<PublishOptions, 'messageHeaders' | 'headers'> {
  if (definition.headers) return { messageHeaders: headers };
  const extra = Object.fromEntries(
    Object.entries(headers).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  // Typed headers a message does not declare: the publisher refuses them, naming /headers.
  if (given || Object.keys(headers).length > Object.keys(extra).length) return { messageHeaders: headers };
  return Object.keys(extra).length > 0 || plain ? { headers: { ...plain, ...extra } } : {};
}

/** The definition of `definition`'s reply; throws when it declares none. */
function replyDefinitionOf(registry: Registry, definition: EventDefinition): EventDefinition {
  if (!definition.replyKey)
    throw new TypeError(`${definition.key} declares no reply (its operation has no AsyncAPI reply)`);
  return registry.require(definition.replyKey);
}

/** Whether replies can go to the reply channel's own address: fixed (no placeholder, not null). */
function fixedAddress(reply: EventDefinition): boolean {
  const a = addressOf(reply);
  return a.template !== null && a.names.length === 0;
}

/** The waiting request a reply answers: its AMQP `correlation_id`, else the id at a reply's location. */
function matchReply(message: ReplyMessage, waiting: ReadonlyMap<string, Waiting>): string | undefined {
  if (message.correlationId !== undefined) return message.correlationId;
  const locations = new Set([...waiting.values()].map((w) => w.reply.correlationIdLocation));
  let payload: unknown;
  try {
    payload = JSON.parse(typeof message.body === 'string' ? message.body : message.body.toString('utf8'));
  } catch {
    payload = undefined;
  }
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message.headers))
    headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  for (const location of locations) {
    const id = located(location, headers, payload);
    if (id !== undefined && waiting.has(id)) return id;
  }
  return undefined;
}

function located(location: string | undefined, headers: unknown, payload: unknown): string | undefined {
  const v = location ? readLocation(location, headers, payload) : undefined;
  return v === undefined || v === null ? undefined : String(v);
}

/**
 * Writes `value` at a runtime expression (`$message.header#/a`, `$message.payload#/a/b`) unless a value is
 * there already: into `headers` in place, into a copy of the payload (returned). Other expressions: nothing.
 */
function fill(
  location: string | undefined,
  headers: Record<string, unknown>,
  payload: unknown,
  value: string,
): unknown {
  const m = location ? /^\$message\.(header|payload)#((?:\/[^/]*)+)$/.exec(location) : null;
  if (!m || located(location, headers, payload) !== undefined) return payload;
  const tokens = (m[2] as string)
    .split('/')
    .slice(1)
    .map((t) => decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~'));
  const isHeader = m[1] === 'header';
  const root: unknown = isHeader ? headers : structuredClone(payload);
  if (root === null || typeof root !== 'object' || Array.isArray(root)) return payload;
  let node = root as Record<string, unknown>;
  for (const token of tokens.slice(0, -1)) {
    const next = node[token];
    if (next === undefined) node[token] = {};
    else if (next === null || typeof next !== 'object' || Array.isArray(next)) return payload;
    node = node[token] as Record<string, unknown>;
  }
  node[tokens[tokens.length - 1] as string] = value;
  return isHeader ? payload : root;
}
