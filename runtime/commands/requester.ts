/**
 * Request/reply for callers of commands, over AMQP direct reply-to.
 *
 * Contract of `request(key, payload, options)`:
 * - the payload is validated (strict, defaults applied) before anything is sent (`PayloadValidationError`);
 * - a passive declare of `${exchange}.commands.<key>` checks that some command processor declared the
 *   command's queue: if none ever did, it rejects at once with `NoCommandHandlerError` and sends nothing.
 *   A declared queue whose processors are down keeps the command durably: the request then times out
 *   (`RequestTimeoutError`) while the command still runs once a processor is back;
 * - the command is published on the exchange (confirmed, `mandatory`) with `reply_to` =
 *   `amq.rabbitmq.reply-to` and `correlation_id` = its event_id, so any of several processors answers
 *   this requester and only it;
 * - it resolves with the typed reply envelope (also published on the exchange as a fact by the
 *   processor), or rejects with `CommandFailedError` carrying the failure event when the command failed
 *   for good, or `RequestTimeoutError` after `timeoutMs` (default 30 s). Retries happen in the processor:
 *   a command that fails once and then succeeds resolves;
 * - a lost connection rejects the requests waiting on it with `ConnectionError` (a direct reply-to
 *   answer cannot reach a new channel); the next request opens a new channel.
 * `close()` rejects what is still waiting, then closes the channel (and the connection it opened).
 */
import { hostname } from 'node:os';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { EnvelopeOf, PublishOptions } from '../bus.js';
import { createEnvelope, type AgentContextInput, type Envelope, type SourceInput } from '../envelope.js';
import { BloodbankError } from '../errors/bloodbank-error.js';
import { CommandFailedError } from '../errors/command-failed-error.js';
import { ConnectionError } from '../errors/connection-error.js';
import { NackError } from '../errors/nack-error.js';
import { NoCommandHandlerError } from '../errors/no-command-handler-error.js';
import { PayloadValidationError } from '../errors/payload-validation-error.js';
import { PublishTimeoutError } from '../errors/publish-timeout-error.js';
import { RequestTimeoutError } from '../errors/request-timeout-error.js';
import { silentLogger, type Logger } from '../logger.js';
import type { BloodbankMetrics } from '../metrics.js';
import type { Catalog, Registry } from '../registry.js';
import { createConnection, type BloodbankConnection } from '../amqp/connection.js';
import { passiveQueueStats } from '../amqp/consumer.js';
import type { PublisherTracker } from '../amqp/publisher.js';
import { DEFAULT_EXCHANGE, ensureEventExchange } from '../amqp/topology.js';
import { encodeMessage } from '../wire.js';
import type { ReplyKeyOf, RequestableKeys } from './types.js';

/** The pseudo-queue of AMQP direct reply-to. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** The queue of command `key`: `${exchange}.commands.<key>`. */
export function commandQueueName(exchange: string, key: string): string {
  return `${exchange}.commands.${key}`;
}

export interface RequesterOptions<M extends Catalog> {
  readonly registry: Registry<M>;
  /** A shared connection (not closed by `close()`). Or `url`, or `publisher`. */
  readonly connection?: BloodbankConnection;
  /** Opens an own connection (closed by `close()`). */
  readonly url?: string;
  /** Share the connection of an existing publisher (not closed by `close()`). */
  readonly publisher?: { readonly connection: Promise<BloodbankConnection> };
  /** Default `bloodbank.events.v1`. */
  readonly exchange?: string;
  /** Default source of commands: this host, type `manual`, app `bloodbank-requester`. */
  readonly source?: SourceInput;
  readonly logger?: Logger;
  readonly metrics?: BloodbankMetrics;
  /** Records the command's parents in Redis when `parentIds` are given. */
  readonly tracker?: PublisherTracker;
  /** Default reply timeout (30,000 ms). */
  readonly timeoutMs?: number;
  /** How long to wait for the broker's confirm of the command (10,000 ms). */
  readonly confirmTimeoutMs?: number;
}

export interface RequestOptions {
  /** How long to wait for the reply (default: the requester's, 30 s). */
  readonly timeoutMs?: number;
  /** Parent (causation) event ids of the command. */
  readonly parentIds?: readonly string[];
  readonly agentContext?: AgentContextInput | null;
  readonly source?: SourceInput;
  /** Explicit command id (default: a random uuid4). */
  readonly commandId?: string;
  readonly workflowId?: string;
  readonly headers?: PublishOptions['headers'];
}

export interface RequestResult<M extends Catalog, K extends keyof M & string> {
  /** The reply as published by the processor (correlation_ids = [commandId]). */
  readonly reply: EnvelopeOf<M, ReplyKeyOf<M, K>>;
  readonly commandId: string;
}

export interface Requester<M extends Catalog = Catalog> {
  request<K extends RequestableKeys<M>>(
    key: K,
    payload: M[K]['input'],
    options?: RequestOptions,
  ): Promise<RequestResult<M, K>>;
  /** Requests waiting for a reply. */
  readonly pending: number;
  close(): Promise<void>;
}

interface Pending {
  readonly key: string;
  readonly replyKey: string;
  readonly errorKey: string | null;
  readonly resolve: (reply: Envelope) => void;
  readonly reject: (error: unknown) => void;
  timer: NodeJS.Timeout | null;
}

export function createRequester<M extends Catalog>(options: RequesterOptions<M>): Requester<M> {
  const registry = options.registry as unknown as Registry;
  const exchange = options.exchange ?? DEFAULT_EXCHANGE;
  const logger = (options.logger ?? silentLogger).child({ component: 'requester' });
  const defaultTimeoutMs = options.timeoutMs ?? 30_000;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
  const source: SourceInput = options.source ?? {
    host: hostname(),
    type: 'manual',
    app: 'bloodbank-requester',
  };
  const ownsConnection = !options.connection && !options.publisher;
  if (ownsConnection && !options.url)
    throw new BloodbankError('createRequester needs `connection`, `publisher` or `url`');
  const connection: Promise<BloodbankConnection> = options.connection
    ? Promise.resolve(options.connection)
    : options.publisher
      ? options.publisher.connection
      : createConnection({
          url: options.url as string,
          name: `bloodbank-requester@${hostname()}#${process.pid}`,
          logger,
        });
  connection.catch(() => undefined);

  const pending = new Map<string, Pending>();
  const returned = new Set<string>();
  let channel: Promise<ConfirmChannel> | null = null;
  let closed = false;

  const settle = (commandId: string): Pending | undefined => {
    const p = pending.get(commandId);
    if (!p) return undefined;
    pending.delete(commandId);
    if (p.timer) clearTimeout(p.timer);
    return p;
  };

  const onReply = (msg: ConsumeMessage | null): void => {
    if (!msg) return;
    const commandId = msg.properties.correlationId as string | undefined;
    const p = commandId ? settle(commandId) : undefined;
    if (!p || !commandId) {
      logger.debug({ correlationId: commandId }, 'reply for no waiting request (timed out?)');
      return;
    }
    let envelope: Envelope;
    try {
      envelope = JSON.parse(msg.content.toString('utf8')) as Envelope;
    } catch (error) {
      p.reject(new BloodbankError(`reply to ${p.key} (${commandId}) is not JSON`, { cause: error }));
      return;
    }
    if (envelope.event_type === p.replyKey) {
      const checked = registry.require(p.replyKey).validateConsume(envelope.payload);
      if (!checked.ok) p.reject(new PayloadValidationError('consume', p.replyKey, checked.issues));
      else p.resolve({ ...envelope, payload: checked.value });
    } else if (envelope.event_type === p.errorKey) {
      p.reject(new CommandFailedError(p.key, commandId, envelope));
    } else
      p.reject(
        new BloodbankError(
          `reply to ${p.key} (${commandId}) is a ${String(envelope.event_type)}, expected ${p.replyKey}`,
        ),
      );
  };

  const openChannel = async (): Promise<ConfirmChannel> => {
    const conn = await connection;
    await ensureEventExchange(conn, exchange);
    const ch = await conn.createConfirmChannel();
    const current = channel;
    ch.on('error', (error: Error) => logger.warn({ err: error }, 'requester channel error'));
    ch.on('return', (msg: ConsumeMessage) => {
      if (typeof msg.properties.messageId === 'string') returned.add(msg.properties.messageId);
    });
    ch.on('close', () => {
      if (channel !== current) return;
      channel = null;
      const error = new ConnectionError('the requester channel closed before the reply came');
      for (const id of [...pending.keys()]) settle(id)?.reject(error);
    });
    await ch.consume(DIRECT_REPLY_TO, onReply, { noAck: true });
    return ch;
  };

  const getChannel = (): Promise<ConfirmChannel> => {
    if (!channel) {
      const opening = openChannel();
      channel = opening;
      opening.catch(() => {
        if (channel === opening) channel = null;
      });
    }
    return channel;
  };

  const publishCommand = (
    ch: ConfirmChannel,
    envelope: Envelope,
    workflowId: string,
    headers?: PublishOptions['headers'],
  ) =>
    new Promise<void>((resolve, reject) => {
      const message = encodeMessage(envelope, { workflowId, ...(headers ? { headers } : {}) });
      const timer = setTimeout(
        () => reject(new PublishTimeoutError(envelope.event_type, envelope.event_id, confirmTimeoutMs)),
        confirmTimeoutMs,
      );
      options.metrics?.published.inc({ event_type: envelope.event_type });
      ch.publish(
        exchange,
        envelope.event_type,
        message.body,
        {
          ...message.properties,
          headers: { ...message.properties.headers },
          replyTo: DIRECT_REPLY_TO,
          correlationId: envelope.event_id,
          mandatory: true,
        },
        (error: unknown) => {
          clearTimeout(timer);
          const wasReturned = returned.delete(envelope.event_id);
          if (error) reject(new NackError(envelope.event_type, envelope.event_id));
          else if (wasReturned)
            reject(
              new NoCommandHandlerError(envelope.event_type, commandQueueName(exchange, envelope.event_type)),
            );
          else {
            options.metrics?.confirmed.inc({ event_type: envelope.event_type });
            resolve();
          }
        },
      );
    });

  const parentWorkflow = async (parents: readonly string[]): Promise<string | undefined> => {
    const first = parents[0];
    if (!first) return undefined;
    if (!options.tracker) return first;
    try {
      return (await options.tracker.getWorkflowId(first)) ?? first;
    } catch {
      return first;
    }
  };

  return {
    get pending() {
      return pending.size;
    },

    async request(key, payload, requestOptions = {}) {
      if (closed) throw new ConnectionError(`cannot request ${key}: the requester is closed`);
      const definition = registry.require(key);
      if (definition.kind !== 'command') throw new TypeError(`${key} is not a command`);
      if (!definition.replyKey) throw new TypeError(`command ${key} declares no reply to wait for`);
      const result = definition.validatePublish(structuredClone(payload));
      if (!result.ok) {
        options.metrics?.validationFailures.inc({ event_type: key, stage: 'publish' });
        throw new PayloadValidationError('publish', key, result.issues);
      }
      const queue = commandQueueName(exchange, key);
      const stats = await passiveQueueStats(await connection, queue);
      if (!stats) throw new NoCommandHandlerError(key, queue);
      if (stats.consumerCount === 0)
        logger.warn(
          { queue, waiting: stats.messageCount },
          'no command processor is consuming; the command waits',
        );

      const parents = requestOptions.parentIds ?? [];
      const envelope = createEnvelope(key, result.value, {
        source: requestOptions.source ?? source,
        correlationIds: parents,
        ...(requestOptions.agentContext !== undefined ? { agentContext: requestOptions.agentContext } : {}),
        ...(requestOptions.commandId !== undefined ? { eventId: requestOptions.commandId } : {}),
      });
      const commandId = envelope.event_id;
      const workflowId = requestOptions.workflowId ?? (await parentWorkflow(parents)) ?? commandId;
      const timeoutMs = requestOptions.timeoutMs ?? defaultTimeoutMs;

      const ch = await getChannel();
      const reply = new Promise<Envelope>((resolve, reject) => {
        pending.set(commandId, {
          key,
          replyKey: definition.replyKey as string,
          errorKey: definition.errorKey,
          resolve,
          reject,
          timer: setTimeout(() => {
            settle(commandId)?.reject(new RequestTimeoutError(key, commandId, timeoutMs));
          }, timeoutMs),
        });
      });
      reply.catch(() => undefined);
      try {
        await publishCommand(ch, envelope, workflowId, requestOptions.headers);
      } catch (error) {
        settle(commandId);
        throw error;
      }
      if (options.tracker && parents.length > 0)
        await Promise.resolve(
          options.tracker.addCorrelation(commandId, parents, undefined, workflowId),
        ).catch((error: unknown) => {
          options.metrics?.trackerFailures.inc({ operation: 'addCorrelation' });
          logger.warn({ err: error, commandId }, 'cannot record the command parents');
        });
      const envelopeOut = await reply;
      return { reply: envelopeOut, commandId } as RequestResult<M, typeof key>;
    },

    async close() {
      if (closed) return;
      closed = true;
      const error = new ConnectionError('the requester is closed');
      for (const id of [...pending.keys()]) settle(id)?.reject(error);
      const ch = channel ? await channel.catch(() => null) : null;
      channel = null;
      if (ch) await ch.close().catch(() => undefined);
      if (ownsConnection) await (await connection.catch(() => null))?.close();
    },
  };
}
