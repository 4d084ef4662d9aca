/**
 * Test support for commands: a small hand-built catalogue with two commands (one with a handler in the
 * tests, one without), processors on a unique exchange, an observer queue that sees every event, and
 * cleanup of every queue a processor declared.
 */
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Ajv, type SchemaObject } from 'ajv';
import {
  commandQueueName,
  connectBloodbank,
  createCommandManager,
  createRegistry,
  createReplySender,
  queueNamesOf,
  storedReplies,
  subscribeCommands,
  wrapValidator,
  type Bloodbank,
  type CommandManager,
  type Envelope,
  type EventDefinition,
  type Registry,
  type RetryOptions,
} from '../../../runtime/index.js';
import { SHARED_URL } from '../../support/private-rabbit.js';

export interface JobRun {
  name: string;
  notes: number;
}
export interface JobDone {
  name: string;
  result: string;
}
export interface JobFailed {
  name: string;
  error_message: string;
  error_code: string | null;
  is_retryable: boolean;
  retry_count: number;
}
export interface JobNote {
  text: string;
}

export type JobCatalog = {
  'test.job.run': {
    payload: JobRun;
    input: Pick<JobRun, 'name'> & Partial<JobRun>;
    kind: 'command';
    reply: 'test.job.done';
    error: 'test.job.failed';
  };
  'test.job.orphan': {
    payload: JobRun;
    input: Pick<JobRun, 'name'> & Partial<JobRun>;
    kind: 'command';
    reply: 'test.job.done';
  };
  'test.job.done': { payload: JobDone; input: JobDone; kind: 'event' };
  'test.job.failed': {
    payload: JobFailed;
    input: Pick<JobFailed, 'name' | 'error_message'> & Partial<JobFailed>;
    kind: 'event';
  };
  'test.job.note': { payload: JobNote; input: JobNote; kind: 'event' };
};

const run: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'notes'],
  properties: { name: { type: 'string', minLength: 1 }, notes: { type: 'integer', minimum: 0, default: 1 } },
};
const schemas: Record<keyof JobCatalog, SchemaObject> = {
  'test.job.run': run,
  'test.job.orphan': run,
  'test.job.done': {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'result'],
    properties: { name: { type: 'string' }, result: { type: 'string' } },
  },
  'test.job.failed': {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'error_message', 'error_code', 'is_retryable', 'retry_count'],
    properties: {
      name: { type: 'string' },
      error_message: { type: 'string' },
      error_code: { type: ['string', 'null'], default: null },
      is_retryable: { type: 'boolean', default: false },
      retry_count: { type: 'integer', minimum: 0, default: 0 },
    },
  },
  'test.job.note': {
    type: 'object',
    additionalProperties: false,
    required: ['text'],
    properties: { text: { type: 'string' } },
  },
};

const commands: Partial<Record<keyof JobCatalog, { reply: string; error: string | null }>> = {
  'test.job.run': { reply: 'test.job.done', error: 'test.job.failed' },
  'test.job.orphan': { reply: 'test.job.done', error: null },
};

export function createJobRegistry(): Registry<JobCatalog> {
  const publishAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  const consumeAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false, removeAdditional: true });
  const definitions: EventDefinition[] = (Object.keys(schemas) as Array<keyof JobCatalog>).map((key) => {
    const schema = schemas[key];
    const tokens = key.split('.');
    const command = commands[key];
    return {
      key,
      tokens,
      domain: tokens[0] as string,
      group: tokens.slice(0, -1).join('/'),
      kind: command ? 'command' : 'event',
      typeName: key,
      schemaId: null,
      schema,
      replyKey: command?.reply ?? null,
      errorKey: command?.error ?? null,
      title: key,
      description: `test ${key}`,
      examples: [],
      validatePublish: wrapValidator(publishAjv.compile(schema), '/payload'),
      validateConsume: wrapValidator(
        consumeAjv.compile({ ...schema, additionalProperties: true }),
        '/payload',
      ),
    };
  });
  return createRegistry<JobCatalog>(definitions, null);
}

export const FAST_RETRY: RetryOptions = { maxAttempts: 3, delaysMs: [100] };

export interface TestProcessor {
  readonly bb: Bloodbank<JobCatalog>;
  readonly manager: CommandManager<JobCatalog>;
  close(): Promise<void>;
}

/** A processor on `exchange` whose handlers `setup` registers. */
export async function startProcessor(
  exchange: string,
  registry: Registry<JobCatalog>,
  setup: (manager: CommandManager<JobCatalog>) => void,
  options: { retry?: RetryOptions; concurrency?: number; name?: string } = {},
): Promise<TestProcessor> {
  const retry = options.retry ?? FAST_RETRY;
  const bb = await connectBloodbank({
    registry,
    name: options.name ?? 'test-processor',
    config: { exchangeName: exchange, rabbitUrl: SHARED_URL },
    retry,
  });
  const replies = createReplySender(await bb.publisher.connection);
  const manager = createCommandManager({
    registry,
    publisher: bb.publisher,
    reply: replies,
    replyStore: storedReplies(bb.idempotency),
    metrics: bb.metrics,
    ...(retry.maxAttempts !== undefined ? { maxAttempts: retry.maxAttempts } : {}),
  });
  setup(manager);
  await subscribeCommands({
    manager,
    subscriber: bb.subscriber as NonNullable<typeof bb.subscriber>,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  return {
    bb,
    manager,
    async close() {
      await bb.close();
      await replies.close();
    },
  };
}

export interface Observer {
  readonly events: Envelope[];
  /** Resolves with the events matching `predicate` once there are `count` of them. */
  waitFor(predicate: (e: Envelope) => boolean, count?: number, timeoutMs?: number): Promise<Envelope[]>;
  ofType(type: string): Envelope[];
  close(): Promise<void>;
}

/** An exclusive queue bound with `#` on `exchange`: sees every event published there. */
export async function observe(exchange: string): Promise<Observer> {
  const connection: ChannelModel = await amqp.connect(SHARED_URL);
  const ch: Channel = await connection.createChannel();
  await ch.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, exchange, '#');
  const events: Envelope[] = [];
  const waiters = new Set<() => void>();
  await ch.consume(
    queue,
    (msg) => {
      if (!msg) return;
      events.push(JSON.parse(msg.content.toString('utf8')) as Envelope);
      for (const w of waiters) w();
    },
    { noAck: true },
  );
  return {
    events,
    ofType: (type) => events.filter((e) => e.event_type === type),
    waitFor(predicate, count = 1, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.filter(predicate);
          if (found.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`observer: fewer than ${count} matching events after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await connection.close().catch(() => undefined);
    },
  };
}

/** Delete the command queues (main, retry, DLQ) of `keys` and the exchange. */
export async function deleteCommandTopology(
  exchange: string,
  keys: readonly string[],
  delaysMs: readonly number[] = FAST_RETRY.delaysMs ?? [],
): Promise<void> {
  const connection = await amqp.connect(SHARED_URL);
  try {
    for (const key of keys) {
      const names = queueNamesOf(commandQueueName(exchange, key));
      for (const q of [names.main, names.dlq, ...delaysMs.map((d) => names.retry(d))]) {
        const ch = await connection.createChannel();
        ch.on('error', () => undefined);
        await ch.deleteQueue(q).catch(() => undefined);
        await ch.close().catch(() => undefined);
      }
    }
    const ch = await connection.createChannel();
    ch.on('error', () => undefined);
    await ch.deleteExchange(exchange).catch(() => undefined);
    await ch.close().catch(() => undefined);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Messages in a queue (passive declare), or null when it does not exist. */
export async function queueDepth(queue: string): Promise<number | null> {
  const connection = await amqp.connect(SHARED_URL);
  const ch = await connection.createChannel();
  ch.on('error', () => undefined);
  try {
    return (await ch.checkQueue(queue)).messageCount;
  } catch {
    return null;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
