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
import type { Catalog, EventDefinition, Registry } from '../registry.js';
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

/** The requests waiting for a reply, by command id; each settles once (reply, failure, timeout or close). */
class PendingRequests {
  readonly #pending = new Map<string, Pending>();

  get size(): number {
    return this.#pending.size;
  }

  /** Waits for the reply of `commandId`; rejects with `RequestTimeoutError` after `timeoutMs`. */
  wait(
    commandId: string,
    command: Pick<Pending, 'key' | 'replyKey' | 'errorKey'>,
    timeoutMs: number,
  ): Promise<Envelope> {
    const reply = new Promise<Envelope>((resolve, reject) => {
      this.#pending.set(commandId, {
        ...command,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.settle(commandId)?.reject(new RequestTimeoutError(command.key, commandId, timeoutMs));
        }, timeoutMs),
      });
    });
    reply.catch(() => undefined);
    return reply;
  }

  /** Removes and returns the request of `commandId` (its timer stopped), if it still waits. */
  settle(commandId: string): Pending | undefined {
    const p = this.#pending.get(commandId);
    if (!p) return undefined;
    this.#pending.delete(commandId);
    if (p.timer) clearTimeout(p.timer);
    return p;
  }

  rejectAll(error: unknown): void {
    for (const id of [...this.#pending.keys()]) this.settle(id)?.reject(error);
  }
}

/**
 * Settles the request a reply answers (by `correlation_id`): the reply resolves it once it passes the
 * consume validator; the command's failure event rejects it with `CommandFailedError`.
 */
function replyHandler(
  registry: Registry,
  pending: PendingRequests,
  logger: Logger,
): (msg: ConsumeMessage | null) => void {
  return (msg) => {
    if (!msg) return;
    const commandId = msg.properties.correlationId as string | undefined;
    const p = commandId ? pending.settle(commandId) : undefined;
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
}

/**
 * The confirm channel commands go out on and replies come back to (direct reply-to), opened on first use
 * and again after it closed. Its closing rejects every waiting request: their replies cannot reach a new
 * channel. Returned messages (no queue bound) are remembered by message id for the confirm that follows.
 */
class ReplyChannel {
  #channel: Promise<ConfirmChannel> | null = null;
  readonly returned = new Set<string>();

  constructor(
    private readonly connection: Promise<BloodbankConnection>,
    private readonly exchange: string,
    private readonly pending: PendingRequests,
    private readonly onReply: (msg: ConsumeMessage | null) => void,
    private readonly logger: Logger,
  ) {}

  get(): Promise<ConfirmChannel> {
    if (!this.#channel) {
      const opening = this.#open();
      this.#channel = opening;
      opening.catch(() => {
        if (this.#channel === opening) this.#channel = null;
      });
    }
    return this.#channel;
  }

  async close(): Promise<void> {
    const ch = this.#channel ? await this.#channel.catch(() => null) : null;
    this.#channel = null;
    if (ch) await ch.close().catch(() => undefined);
  }

  async #open(): Promise<ConfirmChannel> {
    const conn = await this.connection;
    await ensureEventExchange(conn, this.exchange);
    const ch = await conn.createConfirmChannel();
    const current = this.#channel;
    ch.on('error', (error: Error) => this.logger.warn({ err: error }, 'requester channel error'));
    ch.on('return', (msg: ConsumeMessage) => {
      if (typeof msg.properties.messageId === 'string') this.returned.add(msg.properties.messageId);
    });
    ch.on('close', () => {
      if (this.#channel !== current) return;
      this.#channel = null;
      this.pending.rejectAll(new ConnectionError('the requester channel closed before the reply came'));
    });
    await ch.consume(DIRECT_REPLY_TO, this.onReply, { noAck: true });
    return ch;
  }
}

/**
 * Publishes the command (confirmed, `mandatory`) with `reply_to` = direct reply-to and `correlation_id` =
 * its event id. Rejects with `NoCommandHandlerError` when the broker returned it, `NackError` when it
 * refused it, `PublishTimeoutError` without a confirm in `confirmTimeoutMs`.
 */
function publishCommand(
  replies: ReplyChannel,
  ch: ConfirmChannel,
  command: {
    readonly exchange: string;
    readonly envelope: Envelope;
    readonly workflowId: string;
    readonly headers: PublishOptions['headers'] | undefined;
  },
  confirmTimeoutMs: number,
  metrics: BloodbankMetrics | undefined,
): Promise<void> {
  const { exchange, envelope, workflowId, headers } = command;
  return new Promise<void>((resolve, reject) => {
    const message = encodeMessage(envelope, { workflowId, ...(headers ? { headers } : {}) });
    const timer = setTimeout(
      () => reject(new PublishTimeoutError(envelope.event_type, envelope.event_id, confirmTimeoutMs)),
      confirmTimeoutMs,
    );
    metrics?.published.inc({ event_type: envelope.event_type });
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
        const wasReturned = replies.returned.delete(envelope.event_id);
        if (error) reject(new NackError(envelope.event_type, envelope.event_id));
        else if (wasReturned)
          reject(
            new NoCommandHandlerError(envelope.event_type, commandQueueName(exchange, envelope.event_type)),
          );
        else {
          metrics?.confirmed.inc({ event_type: envelope.event_type });
          resolve();
        }
      },
    );
  });
}

/** The workflow of the first parent (from the tracker, else the parent's own id); none without parents. */
async function parentWorkflow(
  tracker: PublisherTracker | undefined,
  parents: readonly string[],
): Promise<string | undefined> {
  const first = parents[0];
  if (!first) return undefined;
  if (!tracker) return first;
  try {
    return (await tracker.getWorkflowId(first)) ?? first;
  } catch {
    return first;
  }
}

/** The command's definition and its validated payload (defaults applied); throws before anything is sent. */
function checkCommand(
  registry: Registry,
  key: string,
  payload: unknown,
  metrics: BloodbankMetrics | undefined,
): { definition: EventDefinition & { replyKey: string }; value: unknown } {
  const definition = registry.require(key);
  if (definition.kind !== 'command') throw new TypeError(`${key} is not a command`);
  if (!definition.replyKey) throw new TypeError(`command ${key} declares no reply to wait for`);
  const result = definition.validatePublish(structuredClone(payload));
  if (!result.ok) {
    metrics?.validationFailures.inc({ event_type: key, stage: 'publish' });
    throw new PayloadValidationError('publish', key, result.issues);
  }
  return { definition: definition as EventDefinition & { replyKey: string }, value: result.value };
}

/** Fails with `NoCommandHandlerError` when no processor ever declared the command's queue; warns when none consumes it. */
async function checkHandler(
  connection: BloodbankConnection,
  exchange: string,
  key: string,
  logger: Logger,
): Promise<void> {
  const queue = commandQueueName(exchange, key);
  const stats = await passiveQueueStats(connection, queue);
  if (!stats) throw new NoCommandHandlerError(key, queue);
  if (stats.consumerCount === 0)
    logger.warn(
      { queue, waiting: stats.messageCount },
      'no command processor is consuming; the command waits',
    );
}

/** The connection the requester uses: shared (`connection`, `publisher`) or its own (`url`). */
function requesterConnection<M extends Catalog>(
  options: RequesterOptions<M>,
  logger: Logger,
): { connection: Promise<BloodbankConnection>; owned: boolean } {
  if (options.connection) return { connection: Promise.resolve(options.connection), owned: false };
  if (options.publisher) return { connection: options.publisher.connection, owned: false };
  if (!options.url) throw new BloodbankError('createRequester needs `connection`, `publisher` or `url`');
  const connection = createConnection({
    url: options.url,
    name: `bloodbank-requester@${hostname()}#${process.pid}`,
    logger,
  });
  return { connection, owned: true };
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
  const { connection, owned } = requesterConnection(options, logger);
  connection.catch(() => undefined);
  const pending = new PendingRequests();
  const replies = new ReplyChannel(
    connection,
    exchange,
    pending,
    replyHandler(registry, pending, logger),
    logger,
  );
  let closed = false;

  const recordParents = async (commandId: string, parents: readonly string[], workflowId: string) => {
    if (!options.tracker || parents.length === 0) return;
    await Promise.resolve(options.tracker.addCorrelation(commandId, parents, undefined, workflowId)).catch(
      (error: unknown) => {
        options.metrics?.trackerFailures.inc({ operation: 'addCorrelation' });
        logger.warn({ err: error, commandId }, 'cannot record the command parents');
      },
    );
  };

  return {
    get pending() {
      return pending.size;
    },

    async request(key, payload, requestOptions = {}) {
      if (closed) throw new ConnectionError(`cannot request ${key}: the requester is closed`);
      const { definition, value } = checkCommand(registry, key, payload, options.metrics);
      await checkHandler(await connection, exchange, key, logger);

      const parents = requestOptions.parentIds ?? [];
      const envelope = createEnvelope(key, value, {
        source: requestOptions.source ?? source,
        correlationIds: parents,
        ...(requestOptions.agentContext !== undefined ? { agentContext: requestOptions.agentContext } : {}),
        ...(requestOptions.commandId !== undefined ? { eventId: requestOptions.commandId } : {}),
      });
      const commandId = envelope.event_id;
      const workflowId =
        requestOptions.workflowId ?? (await parentWorkflow(options.tracker, parents)) ?? commandId;

      const ch = await replies.get();
      const reply = pending.wait(
        commandId,
        { key, replyKey: definition.replyKey, errorKey: definition.errorKey },
        requestOptions.timeoutMs ?? defaultTimeoutMs,
      );
      try {
        await publishCommand(
          replies,
          ch,
          { exchange, envelope, workflowId, headers: requestOptions.headers },
          confirmTimeoutMs,
          options.metrics,
        );
      } catch (error) {
        pending.settle(commandId);
        throw error;
      }
      await recordParents(commandId, parents, workflowId);
      return { reply: await reply, commandId } as RequestResult<M, typeof key>;
    },

    async close() {
      if (closed) return;
      closed = true;
      pending.rejectAll(new ConnectionError('the requester is closed'));
      await replies.close();
      if (owned) await (await connection.catch(() => null))?.close();
    },
  };
}
