/**
 * `POST /commands/<tokens>`: publishing a command, and `?wait=true` request/reply against a real command
 * processor (echo provider) on the gateway's own exchange.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommands, type CommandProcessor } from '../../../apps/command-processor/serve.js';
import { silentLogger } from '../../../runtime/logger.js';
import { SHARED_URL } from '../../support/private-rabbit.js';
import { deleteCommandTopology } from '../../runtime/commands/harness.js';
import { startGateway, type TestGateway } from './helpers.js';

const KEY = 'agent.thread.prompt';
const PATH = '/commands/agent/thread/prompt';
const post = (t: TestGateway, path: string, body: unknown) =>
  fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('with a command processor', () => {
  let t: TestGateway;
  let processor: CommandProcessor;
  const abort = new AbortController();
  beforeAll(async () => {
    t = await startGateway({ bind: 'agent.thread.response' });
    processor = await serveCommands({
      logger: silentLogger,
      signal: abort.signal,
      retry: { maxAttempts: 1, delaysMs: [100] },
      config: { exchangeName: t.exchange, rabbitUrl: SHARED_URL },
    });
  });
  afterAll(async () => {
    abort.abort();
    await processor?.closed;
    await deleteCommandTopology(t.exchange, [KEY]);
    await t?.close();
  });

  it('?wait=true answers 200 with the typed reply', async () => {
    const res = await post(t, `${PATH}?wait=true&timeout_ms=15000`, {
      provider: 'echo',
      prompt: 'hello gateway',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      command_id: string;
      reply: { event_type: string; correlation_ids: string[]; payload: { response: string } };
    };
    expect(body.reply.event_type).toBe('agent.thread.response');
    expect(body.reply.correlation_ids).toEqual([body.command_id]);
    expect(body.reply.payload.response).toContain('hello gateway');
    await t.drain(1);
  });

  it('without wait answers 202 once the command is confirmed', async () => {
    const res = await post(t, PATH, { provider: 'echo', prompt: 'fire and forget' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ event_type: KEY });
    expect((await t.drain(1, 3_000)).length).toBe(1); // the processor's reply fact
  });

  it('a failed command answers 502 with the failure event', async () => {
    const res = await post(t, `${PATH}?wait=true&timeout_ms=15000`, { provider: 'gemini', prompt: 'p' });
    expect(res.status).toBe(502);
    const body = (await res.json()) as {
      error: string;
      failure: { event_type: string; payload: { error_code: string } };
    };
    expect(body.error).toBe('command_failed');
    expect(body.failure).toMatchObject({
      event_type: 'agent.thread.error',
      payload: { error_code: 'unknown_provider' },
    });
  });

  it('rejects an invalid command with 400 and bad wait parameters', async () => {
    expect((await post(t, `${PATH}?wait=true`, { prompt: 5 })).status).toBe(400);
    expect((await post(t, `${PATH}?wait=true&timeout_ms=0`, { provider: 'echo', prompt: 'p' })).status).toBe(
      400,
    );
    expect((await post(t, '/commands/llm/prompt', {})).status).toBe(404);
  });
});

describe('without a command processor', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({ bind: null });
  });
  afterAll(async () => t?.close());

  it('answers 503 no_command_handler with and without wait, publishing nothing', async () => {
    for (const path of [PATH, `${PATH}?wait=true`]) {
      const res = await post(t, path, { provider: 'echo', prompt: 'p' });
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(await res.json()).toMatchObject({ error: 'no_command_handler' });
    }
  });
});

describe('a processor that is down (queue declared, nobody consuming)', () => {
  it('?wait=true answers 504 after timeout_ms; the command stays queued', async () => {
    const t = await startGateway({ bind: null });
    const abort = new AbortController();
    try {
      const processor = await serveCommands({
        logger: silentLogger,
        signal: abort.signal,
        config: { exchangeName: t.exchange, rabbitUrl: SHARED_URL },
      });
      abort.abort();
      await processor.closed;
      const res = await post(t, `${PATH}?wait=true&timeout_ms=300`, { provider: 'echo', prompt: 'p' });
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ error: 'reply_timeout' });
      expect(await t.admin.depth(`${t.exchange}.commands.${KEY}`)).toBe(1);
    } finally {
      await deleteCommandTopology(t.exchange, [KEY], [1000, 5000, 30000, 120000]);
      await t.close();
    }
  });
});
