/**
 * The command manager: runs typed command handlers and makes each command's outcome explicit.
 *
 * Contract of `execute(envelope, delivery)` (what the command processor calls for every delivery):
 * - success: the side effects the handler collected are published (confirmed) with deterministic ids
 *   (command event_id + index), `correlation_ids` = [command event_id, …], the command's workflow id and
 *   agent_context, recorded in Redis by the publisher's tracker; then the reply declared by the AsyncAPI
 *   `reply` is published on the exchange as a fact (deterministic id too) and sent to the requester
 *   (`reply_to` + `correlation_id`) when there is one; then `execute` resolves, and the caller acks.
 * - failure: `rollback` runs and nothing collected is published; `execute` rejects with the handler's
 *   error so that the consumer retries it by its policy. When the command fails for good (the error is
 *   not retryable, or this was the last attempt) the failure event named by `x-bloodbank-error` is
 *   published first (with `retry_count` and `is_retryable`) and sent to the requester, and the error is
 *   rethrown marked `retryable: false` so that the consumer dead-letters the command.
 * - a command interrupted by a shutdown (its signal aborted) publishes nothing and is given back.
 * Publishing runs again from the start on a re-run: a crash between side effects and ack re-publishes the
 * same ids (at-least-once; consumers deduplicate by event_id). Completed commands are skipped by the
 * consumer's idempotency gate, not here.
 */
import { hostname } from 'node:os';
import { Counter, Histogram } from 'prom-client';
import type {
  CommandContext,
  CommandHandler,
  CommandKeys,
  EventCollector,
  EventPublisher,
  MessageContext,
  PublishOptions,
} from '../bus.js';
import type { Envelope, SourceInput } from '../envelope.js';
import { NonRetryableError } from '../errors/non-retryable-error.js';
import { PayloadValidationError } from '../errors/payload-validation-error.js';
import { UnknownEventTypeError } from '../errors/unknown-event-type-error.js';
import { deterministicId } from '../ids.js';
import { silentLogger, type Logger } from '../logger.js';
import type { BloodbankMetrics } from '../metrics.js';
import type { Catalog, EventDefinition, Registry } from '../registry.js';
import { DEFAULT_MAX_ATTEMPTS, isRetryableError } from '../delivery/rules.js';
import { createCollector, type CollectedEvent } from './collector.js';
import type { CommandDefinition, CommandFailure, CommandResult } from './types.js';

/** Sends a reply (or failure) envelope to a requester waiting on `replyTo` (AMQP direct reply-to). */
export type ReplySender = (replyTo: string, correlationId: string, envelope: Envelope) => Promise<void>;

export interface CommandManagerOptions<M extends Catalog> {
  readonly registry: Registry<M>;
  /** Publishes side effects, replies and failure events (confirmed; with a tracker, links go to Redis). */
  readonly publisher: EventPublisher<M>;
  /** Source of what the manager publishes (default: this host, type `agent`, app `bloodbank-command-processor`). */
  readonly source?: SourceInput;
  readonly logger?: Logger;
  /** Command counters and durations are registered on `metrics.registry`. */
  readonly metrics?: BloodbankMetrics;
  /** The consumer's attempts before dead-lettering (default 5): the last one publishes the failure event. */
  readonly maxAttempts?: number;
  readonly reply?: ReplySender;
  /**
   * Keeps each command's reply (or failure event) so that a repeated request for a command that already
   * completed is answered with it instead of waiting in vain (see `storedReplies`).
   */
  readonly replyStore?: ReplyStore;
  /**
   * `mandatory` for the facts the manager publishes (default false): a side effect or reply nobody is
   * subscribed to is dropped by the broker, as any fact, instead of failing the command.
   */
  readonly mandatory?: boolean;
}

/** Where the replies of completed commands are kept (by command event_id). */
export interface ReplyStore {
  save(commandId: string, reply: Envelope): Promise<void>;
  load(commandId: string): Promise<Envelope | null>;
}

/** A `ReplyStore` on the consumer's idempotency store (runtime/redis), kept as long as `done`. */
export function storedReplies(store: {
  saveResult(service: string, eventId: string, value: string): Promise<void>;
  loadResult(service: string, eventId: string): Promise<string | null>;
}): ReplyStore {
  return {
    save: (commandId, reply) => store.saveResult('command-replies', commandId, JSON.stringify(reply)),
    async load(commandId) {
      const text = await store.loadResult('command-replies', commandId);
      return text === null ? null : (JSON.parse(text) as Envelope);
    },
  };
}

/** Where one delivery of a command came from. */
export interface CommandDelivery {
  /** 1 on the first delivery. */
  readonly attempt: number;
  /** `bb-correlation-id` of the command; the command's own id when absent. */
  readonly workflowId?: string | null;
  readonly replyTo?: string;
  readonly correlationId?: string;
  readonly signal?: AbortSignal;
}

export interface CommandManager<M extends Catalog = Catalog> {
  /**
   * Register the handler of command `key`. Registering a key that is not a command, or a handler whose
   * reply is not the command's reply type, does not compile. Throws when `key` already has a handler.
   */
  register<K extends CommandKeys<M>>(
    key: K,
    handler: CommandHandler<M, K> | CommandDefinition<M, K>,
  ): CommandManager<M>;
  has(key: string): boolean;
  /** Keys with a handler, sorted. */
  handled(): readonly string[];
  /** Commands of the registry without a handler, sorted. */
  unhandled(): readonly string[];
  /** Run one delivery of a command (see the module contract). */
  execute(envelope: Envelope, delivery: CommandDelivery): Promise<CommandResult>;
  /** `execute` as a subscriber handler. */
  readonly handle: (envelope: Envelope, context: MessageContext) => Promise<void>;
  /**
   * A delivery of a command that already completed (the consumer's idempotency gate skipped it): a
   * requester waiting on it gets the stored reply (`replyStore`); nothing runs again.
   */
  readonly handleDuplicate: (envelope: Envelope, context: MessageContext) => Promise<void>;
  readonly maxAttempts: number;
}

/** A registered definition with the catalogue's types erased (checked at `register`). */
interface AnyDefinition {
  readonly key: string;
  readonly execute: (
    command: unknown,
    context: CommandContext,
    collector: EventCollector,
  ) => Promise<unknown>;
  readonly rollback?: (context: CommandContext, error: unknown) => void | Promise<void>;
  readonly failurePayload?: (command: unknown, failure: CommandFailure, context: CommandContext) => unknown;
  readonly onFailed?: (
    command: unknown,
    failure: CommandFailure,
    context: CommandContext,
    collector: EventCollector,
  ) => void | Promise<void>;
}

interface CommandMetrics {
  readonly runs: Counter<'command' | 'outcome'>;
  readonly duration: Histogram<'command'>;
}

/** What the outcome of a command needs from the manager's options. */
interface OutcomeDeps {
  readonly registry: Registry;
  readonly publisher: EventPublisher;
  readonly source: SourceInput;
  readonly mandatory: boolean;
  readonly logger: Logger;
  readonly reply: ReplySender | undefined;
  readonly replyStore: ReplyStore | undefined;
}

/**
 * Publishing a command's outcome: its collected side effects, its reply or its failure event (facts with
 * deterministic ids, parented by the command), kept for repeated requests and sent to the requester.
 */
class CommandOutcomes {
  constructor(private readonly deps: OutcomeDeps) {}

  /** The facts a command (or its failure) publishes: parented by the command, in its workflow. */
  #factOptions(command: Envelope, workflowId: string, eventId: string): PublishOptions {
    return {
      eventId,
      correlationIds: [command.event_id],
      agentContext: command.agent_context,
      source: this.deps.source,
      workflowId,
      mandatory: this.deps.mandatory,
    };
  }

  async publishCollected(
    events: readonly CollectedEvent[],
    command: Envelope,
    workflowId: string,
  ): Promise<Envelope[]> {
    const receipts = await Promise.all(
      events.map((e) =>
        this.deps.publisher.publish(e.eventType, e.payload, {
          eventId: e.eventId,
          correlationIds: [command.event_id, ...e.correlationIds],
          agentContext: e.agentContext !== undefined ? e.agentContext : command.agent_context,
          source: e.source ?? this.deps.source,
          workflowId,
          mandatory: this.deps.mandatory,
        }),
      ),
    );
    return receipts.map((r) => r.envelope);
  }

  /** Publishes the reply `replyKey` as a fact, keeps it and sends it to the requester. */
  async publishReply(
    replyKey: string,
    result: unknown,
    command: Envelope,
    workflowId: string,
    delivery: CommandDelivery,
  ): Promise<Envelope> {
    const eventId = deterministicId(replyKey, { command_id: command.event_id, role: 'reply' });
    const receipt = await this.deps.publisher.publish(
      replyKey,
      result,
      this.#factOptions(command, workflowId, eventId),
    );
    await this.sendReply(delivery, command, receipt.envelope);
    return receipt.envelope;
  }

  async deliverReply(delivery: CommandDelivery, command: Envelope, envelope: Envelope): Promise<void> {
    if (!delivery.replyTo || !this.deps.reply) return;
    try {
      await this.deps.reply(delivery.replyTo, delivery.correlationId ?? command.event_id, envelope);
    } catch (error) {
      // The fact is on the exchange already; a requester that went away just misses its answer.
      this.deps.logger.warn(
        { err: error, commandId: command.event_id, replyTo: delivery.replyTo },
        'cannot send the reply to the requester',
      );
    }
  }

  /** Keep the outcome for repeated requests (before the ack), then answer the waiting requester. */
  async sendReply(delivery: CommandDelivery, command: Envelope, envelope: Envelope): Promise<void> {
    if (this.deps.replyStore)
      await this.deps.replyStore.save(command.event_id, envelope).catch((error: unknown) => {
        this.deps.logger.warn(
          { err: error, commandId: command.event_id },
          'cannot keep the reply: a repeated request for this command will wait in vain',
        );
      });
    await this.deliverReply(delivery, command, envelope);
  }

  /** A command failed for good: its `onFailed` facts, then the failure event (sent to the requester). */
  async failFinally(
    definition: AnyDefinition,
    command: Envelope,
    context: CommandContext,
    failure: CommandFailure,
    delivery: CommandDelivery,
    workflowId: string,
  ): Promise<void> {
    const { registry, logger } = this.deps;
    try {
      if (definition.onFailed) {
        const collector = createCollector({
          registry,
          commandId: command.event_id,
          role: 'failure_side_effect',
        });
        await definition.onFailed(command.payload, failure, context, collector);
        await this.publishCollected(collector.events, command, workflowId);
      }
    } catch (error) {
      logger.error({ err: error, commandId: command.event_id }, 'cannot publish the failure side effects');
    }
    const errorKey = registry.require(command.event_type).errorKey;
    if (!errorKey) return;
    try {
      const errorDef = registry.require(errorKey);
      const payload = definition.failurePayload
        ? definition.failurePayload(command.payload, failure, context)
        : defaultFailurePayload(errorDef, command.payload, failure);
      const eventId = deterministicId(errorKey, { command_id: command.event_id, role: 'failure' });
      const receipt = await this.deps.publisher.publish(
        errorKey,
        payload,
        this.#factOptions(command, workflowId, eventId),
      );
      await this.sendReply(delivery, command, receipt.envelope);
    } catch (error) {
      // The command is dead-lettered all the same; redriving it re-runs it.
      logger.error(
        { err: error, commandId: command.event_id, errorKey },
        'cannot publish the failure event; the command is dead-lettered without it',
      );
    }
  }
}

/** One delivery of a command being run. */
interface CommandRun {
  readonly key: string;
  readonly envelope: Envelope;
  readonly delivery: CommandDelivery;
  readonly definition: AnyDefinition;
  readonly commandDef: EventDefinition;
  readonly context: CommandContext;
  readonly workflowId: string;
  readonly log: Logger;
  readonly started: number;
}

/** What the handler sees of a delivery. */
function commandContext(envelope: Envelope, signal: AbortSignal): CommandContext {
  return {
    correlation_id: envelope.event_id,
    source_app: envelope.source.app ?? 'unknown',
    agent_context: envelope.agent_context,
    timestamp: envelope.timestamp,
    envelope,
    signal,
  };
}

/** The registered handlers by command key; `register` checks the key against the registry. */
function handlerTable(registry: Registry) {
  const definitions = new Map<string, AnyDefinition>();
  return {
    add(key: string, handler: unknown): void {
      const def = registry.get(key);
      if (!def)
        throw new UnknownEventTypeError(
          key,
          registry.list().map((d) => d.key),
        );
      if (def.kind !== 'command') throw new TypeError(`${key} is not a command (it is a fact)`);
      if (definitions.has(key)) throw new Error(`command ${key} already has a handler`);
      const definition = typeof handler === 'function' ? { execute: handler } : handler;
      definitions.set(key, { ...(definition as Omit<AnyDefinition, 'key'>), key });
    },
    get: (key: string) => definitions.get(key),
    has: (key: string) => definitions.has(key),
    keys: () => [...definitions.keys()].sort(),
  };
}

export function createCommandManager<M extends Catalog>(
  options: CommandManagerOptions<M>,
): CommandManager<M> {
  const registry = options.registry as unknown as Registry;
  const logger = (options.logger ?? silentLogger).child({ component: 'command-manager' });
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const metrics = options.metrics ? commandMetrics(options.metrics) : null;
  const handlers = handlerTable(registry);
  const outcomes = new CommandOutcomes({
    registry,
    publisher: options.publisher as unknown as EventPublisher,
    source: options.source ?? { host: hostname(), type: 'agent', app: 'bloodbank-command-processor' },
    mandatory: options.mandatory ?? false,
    logger,
    reply: options.reply,
    replyStore: options.replyStore,
  });

  /** Validate, run the handler, publish its side effects and reply. */
  const runCommand = async (run: CommandRun, collector: ReturnType<typeof createCollector>) => {
    const { key, envelope, commandDef, definition } = run;
    const checked = commandDef.validateConsume(envelope.payload);
    if (!checked.ok) throw new PayloadValidationError('consume', key, checked.issues);
    run.log.info('running command');
    const result: unknown = await definition.execute(checked.value, run.context, collector);
    const sideEffects = await outcomes.publishCollected(collector.events, envelope, run.workflowId);
    const reply = commandDef.replyKey
      ? await outcomes.publishReply(commandDef.replyKey, result, envelope, run.workflowId, run.delivery)
      : null;
    return { reply, sideEffects };
  };

  /**
   * After a failed run: roll back, then give the command back (shutdown), let the consumer retry it, or
   * fail it for good (failure event, and an error that dead-letters it). Always throws.
   */
  const failCommand = async (run: CommandRun, error: unknown): Promise<never> => {
    const { key, definition, log } = run;
    if (definition.rollback) {
      try {
        await definition.rollback(run.context, error);
      } catch (rollbackError) {
        log.error({ err: rollbackError }, 'rollback failed');
      }
    }
    if (run.context.signal.aborted) {
      metrics?.runs.inc({ command: key, outcome: 'interrupted' });
      log.warn({ err: error }, 'command interrupted by shutdown; it will run again');
      throw error;
    }
    const failure = describeFailure(error, run.delivery.attempt);
    const final = !failure.retryable || run.delivery.attempt >= maxAttempts;
    metrics?.duration.observe({ command: key }, (performance.now() - run.started) / 1000);
    if (!final) {
      metrics?.runs.inc({ command: key, outcome: 'retrying' });
      log.warn({ err: error, maxAttempts }, 'command failed; the consumer retries it');
      throw error;
    }
    metrics?.runs.inc({ command: key, outcome: 'failed' });
    log.error({ err: error, retryable: failure.retryable, maxAttempts }, 'command failed for good');
    await outcomes.failFinally(definition, run.envelope, run.context, failure, run.delivery, run.workflowId);
    if (isRetryableError(error))
      throw new NonRetryableError(`command ${key} failed for good: ${failure.message}`, {
        cause: error,
        code: failure.code,
      });
    throw error;
  };

  const manager: CommandManager<M> = {
    maxAttempts,
    register(key, handler) {
      handlers.add(key, handler);
      return manager;
    },
    has: (key) => handlers.has(key),
    handled: () => handlers.keys(),
    unhandled: () =>
      registry
        .listCommands()
        .map((d) => d.key)
        .filter((k) => !handlers.has(k))
        .sort(),

    async execute(envelope, delivery) {
      const key = envelope.event_type;
      const definition = handlers.get(key);
      if (!definition)
        throw new NonRetryableError(`no handler for command ${key} in this processor`, {
          code: 'no_handler',
        });
      const run: CommandRun = {
        key,
        envelope,
        delivery,
        definition,
        commandDef: registry.require(key),
        context: commandContext(envelope, delivery.signal ?? new AbortController().signal),
        workflowId: delivery.workflowId ?? envelope.event_id,
        log: logger.child({ command: key, commandId: envelope.event_id, attempt: delivery.attempt }),
        started: performance.now(),
      };
      const collector = createCollector({ registry, commandId: envelope.event_id });
      let outcome: { reply: Envelope | null; sideEffects: Envelope[] };
      try {
        outcome = await runCommand(run, collector);
      } catch (error) {
        collector.clear();
        return failCommand(run, error);
      }
      metrics?.duration.observe({ command: key }, (performance.now() - run.started) / 1000);
      metrics?.runs.inc({ command: key, outcome: 'succeeded' });
      run.log.info(
        { sideEffects: outcome.sideEffects.length, replyId: outcome.reply?.event_id ?? null },
        'command succeeded',
      );
      return { status: 'succeeded', ...outcome };
    },

    handleDuplicate: async (envelope, context) => {
      if (!context.replyTo || !options.reply) return;
      const stored = options.replyStore ? await options.replyStore.load(envelope.event_id) : null;
      if (!stored) {
        logger.warn(
          { command: envelope.event_type, commandId: envelope.event_id },
          'a repeated request for a completed command: no stored reply to answer it with',
        );
        return;
      }
      await outcomes.deliverReply(
        {
          attempt: context.attempt,
          replyTo: context.replyTo,
          ...(context.correlationId !== undefined ? { correlationId: context.correlationId } : {}),
        },
        envelope,
        stored,
      );
    },

    handle: async (envelope, context) => {
      await manager.execute(envelope, {
        attempt: context.attempt,
        workflowId: context.workflowId,
        signal: context.signal,
        ...(context.replyTo !== undefined ? { replyTo: context.replyTo } : {}),
        ...(context.correlationId !== undefined ? { correlationId: context.correlationId } : {}),
      });
    },
  };
  return manager;
}

/** Classify an error thrown by a handler or while publishing its outcome. */
export function describeFailure(error: unknown, attempt: number): CommandFailure {
  const retryable = isRetryableError(error) && !(error instanceof PayloadValidationError);
  const message = error instanceof Error ? error.message : String(error);
  const rawCode = (error as { code?: unknown } | null)?.code;
  const code =
    typeof rawCode === 'string'
      ? rawCode
      : error instanceof Error && error.name !== 'Error'
        ? error.name
        : null;
  return { error, message, code, retryable, attempt, retryCount: Math.max(attempt - 1, 0) };
}

/**
 * The failure event payload when the definition gives none: the command's fields that the failure
 * schema declares, plus the standard error fields it declares.
 */
function defaultFailurePayload(
  errorDef: EventDefinition,
  command: unknown,
  failure: CommandFailure,
): unknown {
  const properties = schemaProperties(errorDef.schema);
  const out: Record<string, unknown> = {};
  if (command && typeof command === 'object')
    for (const [k, v] of Object.entries(command as Record<string, unknown>))
      if (properties === null || properties.has(k)) out[k] = v;
  const standard: Record<string, unknown> = {
    error_message: failure.message.slice(0, 65_536),
    error_code: failure.code?.slice(0, 255) ?? null,
    is_retryable: failure.retryable,
    retry_count: failure.retryCount,
  };
  for (const [k, v] of Object.entries(standard)) if (properties === null || properties.has(k)) out[k] = v;
  return out;
}

function schemaProperties(schema: unknown): Set<string> | null {
  if (!schema || typeof schema !== 'object') return null;
  const props = (schema as { properties?: unknown }).properties;
  return props && typeof props === 'object' ? new Set(Object.keys(props)) : null;
}

function commandMetrics(metrics: BloodbankMetrics): CommandMetrics {
  const reg = metrics.registry;
  const runs =
    (reg.getSingleMetric('bloodbank_commands_total') as Counter<'command' | 'outcome'> | undefined) ??
    new Counter({
      name: 'bloodbank_commands_total',
      help: 'Command runs by outcome (succeeded, retrying, failed, interrupted)',
      labelNames: ['command', 'outcome'],
      registers: [reg],
    });
  const duration =
    (reg.getSingleMetric('bloodbank_command_duration_seconds') as Histogram<'command'> | undefined) ??
    new Histogram({
      name: 'bloodbank_command_duration_seconds',
      help: 'Time a command handler took, publishing its outcome included',
      labelNames: ['command'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [reg],
    });
  return { runs, duration };
}
