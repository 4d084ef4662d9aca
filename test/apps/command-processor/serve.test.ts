/**
 * The command processor service in process (`serveCommands`) against the real RabbitMQ and Redis, with
 * the echo provider and with the HTTP providers pointed at a local server that answers like the APIs.
 */
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registry, type BloodbankCatalog } from '../../../generated/index.js';
import { serveCommands, type ServeCommandsOptions } from '../../../apps/command-processor/serve.js';
import {
  CorrelationTracker,
  createLogger,
  createRequester,
  isCommandFailedError,
  loadConfig,
  type CommandFailedError,
  type Envelope,
  type Requester,
} from '../../../runtime/index.js';
import { startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server.js';
import { SHARED_URL, uniqueName } from '../../support/private-rabbit.js';
import { deleteCommandTopology, observe, sleep, type Observer } from '../../runtime/commands/harness.js';

const KEY = 'agent.thread.prompt';
let fake: FakeLlmServer;
let tracker: CorrelationTracker;
beforeAll(async () => {
  fake = await startFakeLlmServer();
  tracker = new CorrelationTracker({ url: loadConfig().redisUrl });
  await tracker.start();
});
afterAll(async () => {
  await fake.close();
  await tracker.close();
});

let cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  cleanups = [];
  fake.requests.length = 0;
});

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination, name: 'test-processor' }), lines };
}

async function start(options: Partial<ServeCommandsOptions> = {}): Promise<{
  exchange: string;
  observer: Observer;
  requester: Requester<BloodbankCatalog>;
  processor: Awaited<ReturnType<typeof serveCommands>>;
  lines: Array<Record<string, unknown>>;
}> {
  const exchange = uniqueName('serve');
  cleanups.push(() => deleteCommandTopology(exchange, [KEY]));
  const observer = await observe(exchange);
  cleanups.push(() => observer.close());
  const { logger, lines } = captureLogger();
  const abort = new AbortController();
  const processor = await serveCommands({
    logger,
    signal: abort.signal,
    retry: { maxAttempts: 3, delaysMs: [100] },
    ...options,
    config: { exchangeName: exchange, rabbitUrl: SHARED_URL, ...options.config },
  });
  cleanups.push(async () => {
    abort.abort();
    await processor.closed;
  });
  const requester = createRequester({ url: SHARED_URL, registry, exchange, timeoutMs: 15_000 });
  cleanups.push(() => requester.close());
  return { exchange, observer, requester, processor, lines };
}

async function failureOf(promise: Promise<unknown>): Promise<CommandFailedError> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isCommandFailedError(error)) throw new Error(`expected CommandFailedError, got ${String(error)}`);
  return error;
}

const one = (events: Envelope[], type: string): Envelope => {
  const found = events.filter((e) => e.event_type === type);
  expect(found, type).toHaveLength(1);
  return found[0] as Envelope;
};

describe('serveCommands', () => {
  it('answers agent.thread.prompt with the echo provider, correlated and visible in the chain; health and metrics', async () => {
    const { observer, requester, processor } = await start({ port: 0 });
    expect(processor.handled).toEqual([KEY]);
    expect(processor.unhandled).toEqual([]);
    const { reply, commandId } = await requester.request(
      KEY,
      { provider: 'echo', prompt: 'hello bus', model: 'echo-1', tags: ['t'] },
      { agentContext: { type: 'claude-code', system_prompt: 'sys' } },
    );
    expect(reply.event_type).toBe('agent.thread.response');
    expect(reply.payload).toMatchObject({
      provider: 'echo',
      prompt_id: commandId,
      response: 'Echoing your prompt: hello bus',
      model: 'echo-1',
      tokens_used: 2 + 5,
    });
    expect(reply.payload.duration_ms).toBeGreaterThanOrEqual(0);
    expect(reply.correlation_ids).toEqual([commandId]);
    expect(reply.source.app).toBe('bloodbank-command-processor');

    await observer.waitFor((e) => e.event_type === 'agent.thread.response');
    const prompt = one(observer.events, 'llm.prompt');
    const response = one(observer.events, 'llm.response');
    expect(prompt.correlation_ids).toEqual([commandId]);
    expect(prompt.payload).toMatchObject({
      provider: 'echo',
      prompt: 'hello bus',
      model: 'echo-1',
      tags: ['t'],
    });
    expect(response.correlation_ids).toEqual([commandId, prompt.event_id]);
    expect(response.payload).toMatchObject({
      prompt_id: prompt.event_id,
      response: 'Echoing your prompt: hello bus',
    });
    expect(one(observer.events, 'agent.thread.response').event_id).toBe(reply.event_id);

    const chain = await tracker.getChain(commandId, 'descendants');
    expect(new Set(chain)).toEqual(new Set([commandId, reply.event_id, prompt.event_id, response.event_id]));

    const health = await fetch(`http://127.0.0.1:${processor.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', handled: [KEY] });
    const metrics = await (await fetch(`http://127.0.0.1:${processor.port}/metrics`)).text();
    expect(metrics).toContain(
      'bloodbank_commands_total{command="agent.thread.prompt",outcome="succeeded"} 1',
    );
  });

  it('lists at start-up the declared commands it has no handler for, and does not consume them', async () => {
    const { processor, lines, exchange } = await start({
      registryModule: './test/apps/command-processor/fixtures/two-commands.ts',
    });
    expect(processor.unhandled).toEqual(['ops.cache.flush']);
    expect(lines.some((l) => l['level'] === 40 && l['command'] === 'ops.cache.flush')).toBe(true);
    const started = lines.find((l) => l['msg'] === 'command processor started');
    expect(started).toMatchObject({ handled: [KEY], unhandled: ['ops.cache.flush'] });
    expect(started?.['queues']).toEqual([`${exchange}.commands.${KEY}`]);
  });

  it('anthropic: a 429 is retried and the request resolves with the measured tokens', async () => {
    const { observer, requester } = await start({
      config: { anthropicApiKey: 'sk-ant-fake', anthropicBaseUrl: fake.url },
    });
    fake.failNext({ status: 429 });
    const { reply } = await requester.request(KEY, {
      provider: 'anthropic',
      prompt: 'hi',
      model: 'claude-x',
    });
    expect(reply.payload).toMatchObject({
      provider: 'anthropic',
      response: 'fake answer to: hi',
      model: 'claude-x',
      tokens_used: 18,
    });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]?.headers['x-api-key']).toBe('sk-ant-fake');
    await sleep(200);
    expect(observer.ofType('agent.thread.error')).toEqual([]);
    expect(observer.ofType('llm.error')).toEqual([]);
    expect(observer.ofType('llm.response')).toHaveLength(1);
  });

  it('anthropic: a 400 fails at once with agent.thread.error, llm.prompt and llm.error', async () => {
    const { observer, requester } = await start({
      config: { anthropicApiKey: 'sk-ant-fake', anthropicBaseUrl: fake.url },
    });
    fake.failNext({ status: 400, message: 'prompt too long' });
    const failed = await failureOf(requester.request(KEY, { provider: 'anthropic', prompt: 'x' }));
    expect(failed.failure.event_type).toBe('agent.thread.error');
    expect(failed.failure.correlation_ids).toEqual([failed.commandId]);
    expect(failed.failure.payload).toMatchObject({
      provider: 'anthropic',
      error_code: 'invalid_request_error',
      is_retryable: false,
      retry_count: 0,
    });
    expect((failed.failure.payload as { error_message: string }).error_message).toContain('prompt too long');
    expect(fake.requests).toHaveLength(1);
    await observer.waitFor((e) => e.event_type === 'llm.error');
    const prompt = one(observer.events, 'llm.prompt');
    const llmError = one(observer.events, 'llm.error');
    expect(llmError.correlation_ids).toEqual([failed.commandId, prompt.event_id]);
    expect(llmError.payload).toMatchObject({ provider: 'anthropic', is_retryable: false });
    expect(observer.ofType('agent.thread.response')).toEqual([]);
    expect(observer.ofType('llm.response')).toEqual([]);
  });

  it('openai: 5xx on every attempt fails for good with is_retryable and retry_count', async () => {
    const { requester } = await start({ config: { openaiApiKey: 'sk-fake', openaiBaseUrl: fake.url } });
    fake.failNext({ status: 500 }, { status: 502 }, { status: 503 });
    const failed = await failureOf(requester.request(KEY, { provider: 'openai', prompt: 'p' }));
    expect(failed.failure.payload).toMatchObject({ provider: 'openai', is_retryable: true, retry_count: 2 });
    expect(fake.requests.map((r) => r.headers['authorization'])).toEqual(Array(3).fill('Bearer sk-fake'));
  });

  it('an unknown provider fails at once', async () => {
    const { requester } = await start();
    const failed = await failureOf(requester.request(KEY, { provider: 'gemini', prompt: 'p' }));
    expect(failed.failure.payload).toMatchObject({
      provider: 'gemini',
      error_code: 'unknown_provider',
      is_retryable: false,
      retry_count: 0,
    });
  });
});
