/**
 * The command outcome rules and request/reply against the real RabbitMQ and Redis: each test on its
 * own exchange, its queues deleted afterwards, events compared by event_id.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  CommandFailedError,
  NonRetryableError,
  createRequester,
  deterministicId,
  isCommandFailedError,
  isNoCommandHandlerError,
  isRequestTimeoutError,
  queueNamesOf,
  commandQueueName,
  sideEffectId,
  type CommandManager,
  type Envelope,
  type Requester,
} from '../../../runtime/index.js';
import { SHARED_URL, uniqueName } from '../../support/private-rabbit.js';
import {
  createJobRegistry,
  deleteCommandTopology,
  observe,
  queueDepth,
  sleep,
  startProcessor,
  type JobCatalog,
  type Observer,
  type TestProcessor,
} from './harness.js';

const registry = createJobRegistry();
const KEYS = ['test.job.run', 'test.job.orphan'];

let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  cleanups = [];
});

async function setup(): Promise<{
  exchange: string;
  observer: Observer;
  requester: Requester<JobCatalog>;
  processor: (register: (m: CommandManager<JobCatalog>) => void, name?: string) => Promise<TestProcessor>;
}> {
  const exchange = uniqueName('cmd');
  cleanups.push(() => deleteCommandTopology(exchange, KEYS));
  const observer = await observe(exchange);
  cleanups.push(() => observer.close());
  const requester = createRequester({ url: SHARED_URL, registry, exchange, timeoutMs: 15_000 });
  cleanups.push(() => requester.close());
  const processor = async (register: (m: CommandManager<JobCatalog>) => void, name?: string) => {
    const p = await startProcessor(exchange, registry, register, name ? { name } : {});
    cleanups.push(() => p.close());
    return p;
  };
  return { exchange, observer, requester, processor };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

const ids = (events: readonly Envelope[]) => new Set(events.map((e) => e.event_id));

describe('command outcome rules', () => {
  it('runs a command: side effects, then the reply, all correlated to the command and recorded in Redis', async () => {
    const { observer, requester, processor } = await setup();
    const p = await processor((m) =>
      m.register('test.job.run', async (command, context, collector) => {
        expect(context.correlation_id).toBe(context.envelope.event_id);
        expect(context.source_app).toBe('bloodbank-requester');
        for (let i = 0; i < command.notes; i += 1) collector.add('test.job.note', { text: `note ${i}` });
        return { name: command.name, result: `done:${command.name}` };
      }),
    );
    const { reply, commandId } = await requester.request(
      'test.job.run',
      { name: 'alpha', notes: 2 },
      { agentContext: { type: 'claude-code', name: 'tester' } },
    );
    expect(reply.event_type).toBe('test.job.done');
    expect(reply.payload).toEqual({ name: 'alpha', result: 'done:alpha' });
    expect(reply.correlation_ids).toEqual([commandId]);
    expect(reply.event_id).toBe(deterministicId('test.job.done', { command_id: commandId, role: 'reply' }));
    expect(reply.agent_context).toMatchObject({ type: 'claude-code', name: 'tester' });

    const [fact] = await observer.waitFor((e) => e.event_type === 'test.job.done');
    expect(fact?.event_id).toBe(reply.event_id);
    const notes = observer.ofType('test.job.note');
    expect(notes.map((n) => n.event_id)).toEqual([
      sideEffectId('test.job.note', commandId, 0),
      sideEffectId('test.job.note', commandId, 1),
    ]);
    for (const n of notes) {
      expect(n.correlation_ids).toEqual([commandId]);
      expect(n.agent_context).toMatchObject({ type: 'claude-code', name: 'tester' });
    }
    // Side effects before the reply.
    const order = observer.events.map((e) => e.event_type).filter((t) => t !== 'test.job.run');
    expect(order).toEqual(['test.job.note', 'test.job.note', 'test.job.done']);

    const tracker = p.bb.tracker;
    if (!tracker) throw new Error('tracking is on');
    expect(await tracker.getParents(reply.event_id)).toEqual([commandId]);
    for (const n of notes) expect(await tracker.getParents(n.event_id)).toEqual([commandId]);
    const chain = await tracker.getChain(commandId, 'descendants');
    expect(chain[0]).toBe(commandId);
    expect(new Set(chain)).toEqual(new Set([commandId, reply.event_id, ...notes.map((n) => n.event_id)]));
    expect(await tracker.getWorkflowId(reply.event_id)).toBe(commandId);
  });

  it('a throwing handler publishes nothing, rolls back, is retried, and publishes the failure event only when it gives up', async () => {
    const { exchange, observer, requester, processor } = await setup();
    let runs = 0;
    const rollbacks: unknown[] = [];
    await processor((m) =>
      m.register('test.job.run', {
        execute: async (_command, _context, collector) => {
          runs += 1;
          collector.add('test.job.note', { text: `attempt ${runs}` });
          throw new Error(`boom ${runs}`);
        },
        rollback: (_context, error) => void rollbacks.push(error),
      }),
    );
    const error = await rejection(requester.request('test.job.run', { name: 'beta' }));
    expect(isCommandFailedError(error)).toBe(true);
    const failed = error as CommandFailedError;
    expect(failed.name).toBe('CommandFailedError');
    expect(failed.failure.event_type).toBe('test.job.failed');
    expect(failed.failure.correlation_ids).toEqual([failed.commandId]);
    expect(failed.failure.payload).toEqual({
      name: 'beta',
      error_message: 'boom 3',
      error_code: null,
      is_retryable: true,
      retry_count: 2,
    });
    expect(runs).toBe(3);
    expect(rollbacks.map((e) => (e as Error).message)).toEqual(['boom 1', 'boom 2', 'boom 3']);

    const dlq = queueNamesOf(commandQueueName(exchange, 'test.job.run')).dlq;
    for (let i = 0; i < 50 && (await queueDepth(dlq)) !== 1; i += 1) await sleep(100);
    expect(await queueDepth(dlq)).toBe(1);
    await sleep(300);
    expect(observer.ofType('test.job.note')).toEqual([]);
    expect(observer.ofType('test.job.done')).toEqual([]);
    expect([...ids(observer.ofType('test.job.failed'))]).toEqual([failed.failure.event_id]);
  });

  it('a handler that fails once then succeeds publishes no failure event and its request resolves', async () => {
    const { observer, requester, processor } = await setup();
    let runs = 0;
    await processor((m) =>
      m.register('test.job.run', async (command, _context, collector) => {
        runs += 1;
        collector.add('test.job.note', { text: `run ${runs}` });
        if (runs === 1) throw new Error('transient');
        return { name: command.name, result: `ok after ${runs}` };
      }),
    );
    const { reply, commandId } = await requester.request('test.job.run', { name: 'gamma' });
    expect(reply.payload.result).toBe('ok after 2');
    expect(runs).toBe(2);
    await sleep(300);
    expect(observer.ofType('test.job.failed')).toEqual([]);
    const notes = observer.ofType('test.job.note');
    expect(notes.map((n) => [n.event_id, (n.payload as { text: string }).text])).toEqual([
      [sideEffectId('test.job.note', commandId, 0), 'run 2'],
    ]);
  });

  it('a non-retryable error fails for good at once and dead-letters the command', async () => {
    const { exchange, observer, requester, processor } = await setup();
    let runs = 0;
    await processor((m) =>
      m.register('test.job.run', async () => {
        runs += 1;
        throw new NonRetryableError('bad input', { code: 'bad_input' });
      }),
    );
    const error = await rejection(requester.request('test.job.run', { name: 'delta' }));
    expect(isCommandFailedError(error)).toBe(true);
    expect((error as CommandFailedError).failure.payload).toEqual({
      name: 'delta',
      error_message: 'bad input',
      error_code: 'bad_input',
      is_retryable: false,
      retry_count: 0,
    });
    expect(runs).toBe(1);
    const dlq = queueNamesOf(commandQueueName(exchange, 'test.job.run')).dlq;
    for (let i = 0; i < 50 && (await queueDepth(dlq)) !== 1; i += 1) await sleep(100);
    expect(await queueDepth(dlq)).toBe(1);
    expect(observer.ofType('test.job.failed')).toHaveLength(1);
  });

  it('a redelivered command whose run completed is not run again', async () => {
    const { exchange, observer, processor } = await setup();
    let runs = 0;
    const p = await processor((m) =>
      m.register('test.job.run', async (command, _context, collector) => {
        runs += 1;
        collector.add('test.job.note', { text: 'once' });
        return { name: command.name, result: 'ran' };
      }),
    );
    const commandId = '7f1c8e4a-0f7e-4d43-9a39-3b1d6f1d2a01'.replace(
      '3b1d',
      Math.random().toString(16).slice(2, 6),
    );
    await p.bb.publisher.publish('test.job.run', { name: 'epsilon' }, { eventId: commandId });
    await observer.waitFor((e) => e.event_type === 'test.job.done');
    await p.bb.publisher.publish('test.job.run', { name: 'epsilon' }, { eventId: commandId });
    await observer.waitFor((e) => e.event_type === 'test.job.run', 2);
    await sleep(500);
    expect(runs).toBe(1);
    expect(observer.ofType('test.job.done')).toHaveLength(1);
    expect(observer.ofType('test.job.note')).toHaveLength(1);
    expect(await queueDepth(commandQueueName(exchange, 'test.job.run'))).toBe(0);
  });
});

describe('request/reply', () => {
  it('fails at once with NoCommandHandlerError when no processor ever declared the command queue', async () => {
    const { observer, requester, processor } = await setup();
    const p = await processor((m) => m.register('test.job.run', async (c) => ({ name: c.name, result: '' })));
    expect(p.manager.unhandled()).toEqual(['test.job.orphan']);
    // At once: a NoCommandHandlerError, not the RequestTimeoutError waiting 10 s would give.
    const error = await rejection(
      requester.request('test.job.orphan', { name: 'zeta' }, { timeoutMs: 10_000 }),
    );
    expect(isNoCommandHandlerError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'NoCommandHandlerError', commandType: 'test.job.orphan' });
    expect((error as Error).message).toContain('.commands.test.job.orphan');
    await sleep(200);
    expect(observer.ofType('test.job.orphan')).toEqual([]);
  });

  it('works across two processor instances, each reply reaching its own request', async () => {
    const { requester, processor } = await setup();
    const seen: Record<string, string[]> = { a: [], b: [] };
    const handlerOf = (name: 'a' | 'b') => (m: CommandManager<JobCatalog>) =>
      m.register('test.job.run', async (command) => {
        seen[name]?.push(command.name);
        await sleep(50);
        return { name: command.name, result: `by ${name}: ${command.name}` };
      });
    await processor(handlerOf('a'), 'proc-a');
    await processor(handlerOf('b'), 'proc-b');
    const names = Array.from({ length: 12 }, (_, i) => `job-${i}`);
    const results = await Promise.all(names.map((name) => requester.request('test.job.run', { name })));
    results.forEach((r, i) => {
      expect(r.reply.payload.name).toBe(names[i]);
      expect(r.reply.payload.result).toMatch(new RegExp(`^by [ab]: ${names[i]}$`));
      expect(r.reply.correlation_ids).toEqual([r.commandId]);
    });
    expect([...(seen['a'] ?? []), ...(seen['b'] ?? [])].sort()).toEqual([...names].sort());
    expect(seen['a']?.length).toBeGreaterThan(0);
    expect(seen['b']?.length).toBeGreaterThan(0);
  });

  it('a repeated request for a completed command gets the stored reply at once, without a second run', async () => {
    const { requester, processor } = await setup();
    let runs = 0;
    await processor((m) =>
      m.register('test.job.run', async (command) => {
        runs += 1;
        return { name: command.name, result: `run ${runs}` };
      }),
    );
    const commandId = randomUUID();
    const first = await requester.request('test.job.run', { name: 'zeta' }, { commandId });
    // Answered (a timeout would reject with RequestTimeoutError), from the stored reply: not run again.
    const again = await requester.request('test.job.run', { name: 'zeta' }, { commandId, timeoutMs: 5_000 });
    expect(runs).toBe(1);
    expect(again.commandId).toBe(commandId);
    expect(again.reply.event_id).toBe(first.reply.event_id);
    expect(again.reply.payload).toEqual({ name: 'zeta', result: 'run 1' });
    expect(requester.pending).toBe(0);
  });

  it('times out with RequestTimeoutError while the command still completes', async () => {
    const { observer, requester, processor } = await setup();
    await processor((m) =>
      m.register('test.job.run', async (command) => {
        await sleep(1_500);
        return { name: command.name, result: 'late' };
      }),
    );
    const error = await rejection(requester.request('test.job.run', { name: 'eta' }, { timeoutMs: 300 }));
    expect(isRequestTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'RequestTimeoutError', commandType: 'test.job.run', timeoutMs: 300 });
    const commandId = (error as { commandId: string }).commandId;
    const [late] = await observer.waitFor((e) => e.event_type === 'test.job.done');
    expect(late?.correlation_ids).toEqual([commandId]);
    expect(requester.pending).toBe(0);
  });
});

describe('types', () => {
  it('only commands can be registered and requested, with their own reply type', () => {
    const check = (m: CommandManager<JobCatalog>, r: Requester<JobCatalog>) => {
      m.register('test.job.run', async (c) => ({ name: c.name, result: 'x' }));
      // @ts-expect-error — test.job.done is a fact, not a command
      m.register('test.job.done', async () => ({ name: 'n', result: 'x' }));
      // @ts-expect-error — the reply of test.job.run is a test.job.done payload
      m.register('test.job.run', async () => ({ text: 'wrong reply' }));
      // @ts-expect-error — unknown key
      void r.request('test.job.walk', { name: 'x' });
      // @ts-expect-error — payload of test.job.run needs a name
      void r.request('test.job.run', { notes: 1 });
      return r.request('test.job.run', { name: 'x' });
    };
    expectTypeOf(check)
      .returns.resolves.toHaveProperty('reply')
      .toEqualTypeOf<Envelope<'test.job.done', { name: string; result: string }>>();
  });
});
