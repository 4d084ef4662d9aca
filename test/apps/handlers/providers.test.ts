/**
 * The LLM providers against a local server that answers like the vendors' APIs: request shape and
 * headers, measured tokens, and which failures are retryable.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ANTHROPIC_VERSION,
  createAnthropicProvider,
  createEchoProvider,
  createOpenAiProvider,
  endpoint,
  type LlmProvider,
} from '../../../apps/handlers/providers/index.js';
import { isProviderError, type ProviderError } from '../../../runtime/index.js';
import { FAKE_USAGE, startFakeLlmServer, type FakeLlmServer } from '../../support/fake-llm-server.js';

let fake: FakeLlmServer;
beforeAll(async () => {
  fake = await startFakeLlmServer();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.answerWith(null);
});

const signal = new AbortController().signal;
const ask = (
  p: LlmProvider,
  prompt = 'hello there',
  model: string | null = null,
  systemPrompt: string | null = null,
) => p.complete({ prompt, model, systemPrompt, signal });

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('endpoint', () => {
  it.each([
    ['https://api.anthropic.com', 'messages', 'https://api.anthropic.com/v1/messages'],
    ['https://api.anthropic.com/', 'messages', 'https://api.anthropic.com/v1/messages'],
    ['https://api.openai.com/v1', 'chat/completions', 'https://api.openai.com/v1/chat/completions'],
    [
      'http://localhost:8080/proxy/v1/',
      'chat/completions',
      'http://localhost:8080/proxy/v1/chat/completions',
    ],
  ])('%s + %s', (base, path, want) => {
    expect(endpoint(base, path)).toBe(want);
  });
});

describe('echo provider', () => {
  it('answers like the original, deterministically', async () => {
    const echo = createEchoProvider();
    const a = await ask(echo, 'what is two plus two', 'm1');
    const b = await ask(echo, 'what is two plus two', 'm1');
    expect(a).toEqual(b);
    expect(a.text).toBe('Echoing your prompt: what is two plus two');
    expect(a.model).toBe('m1');
    expect(a.tokensUsed).toBe(5 + 8);
  });
});

describe('anthropic provider', () => {
  it('POSTs the Messages API with x-api-key and anthropic-version and reads text and usage', async () => {
    const p = createAnthropicProvider({ apiKey: 'sk-ant-test', baseUrl: fake.url });
    const out = await ask(p, 'hi claude', 'claude-test-1', 'be brief');
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/messages');
    expect(req?.headers['x-api-key']).toBe('sk-ant-test');
    expect(req?.headers['anthropic-version']).toBe(ANTHROPIC_VERSION);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['authorization']).toBeUndefined();
    expect(req?.body).toEqual({
      model: 'claude-test-1',
      max_tokens: 4096,
      system: 'be brief',
      messages: [{ role: 'user', content: 'hi claude' }],
    });
    expect(out.text).toBe('fake answer to: hi claude');
    expect(out.model).toBe('claude-test-1');
    expect(out.tokensUsed).toBe(FAKE_USAGE.anthropic.input_tokens + FAKE_USAGE.anthropic.output_tokens);
    expect(out.usage).toEqual(FAKE_USAGE.anthropic);
  });

  it('uses a default model and no system field when none is given', async () => {
    await ask(createAnthropicProvider({ apiKey: 'k', baseUrl: fake.url, defaultModel: 'claude-default' }));
    expect(fake.requests[0]?.body).toEqual({
      model: 'claude-default',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'hello there' }],
    });
  });

  it.each([
    [429, 'rate_limit_error', true],
    [500, 'api_error', true],
    [529, 'overloaded_error', true],
    [400, 'invalid_request_error', false],
    [401, 'authentication_error', false],
  ])('HTTP %i (%s) → retryable %s', async (status, type, retryable) => {
    fake.failNext({ status, type, message: 'nope' });
    const error = await failure(ask(createAnthropicProvider({ apiKey: 'k', baseUrl: fake.url })));
    expect(error).toMatchObject({
      name: 'ProviderError',
      provider: 'anthropic',
      status,
      code: type,
      retryable,
    });
    expect(error.message).toContain('nope');
  });

  it('without an API key fails at once, not retryable, without calling the API', async () => {
    const error = await failure(ask(createAnthropicProvider({ baseUrl: fake.url })));
    expect(error).toMatchObject({ code: 'missing_api_key', retryable: false });
    expect(error.message).toContain('ANTHROPIC_API_KEY');
    expect(fake.requests).toHaveLength(0);
  });

  it('a refused connection is retryable', async () => {
    const error = await failure(ask(createAnthropicProvider({ apiKey: 'k', baseUrl: 'http://127.0.0.1:1' })));
    expect(error).toMatchObject({ code: 'network_error', retryable: true, status: null });
  });
});

describe('openai provider', () => {
  it('POSTs chat completions with a Bearer token and reads the first choice and total tokens', async () => {
    const p = createOpenAiProvider({ apiKey: 'sk-openai-test', baseUrl: `${fake.url}/v1` });
    const out = await ask(p, 'hi gpt', 'gpt-test', 'system words');
    const req = fake.requests[0];
    expect(req?.path).toBe('/v1/chat/completions');
    expect(req?.headers['authorization']).toBe('Bearer sk-openai-test');
    expect(req?.headers['x-api-key']).toBeUndefined();
    expect(req?.body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'system words' },
        { role: 'user', content: 'hi gpt' },
      ],
    });
    expect(out).toEqual({
      text: 'fake answer to: hi gpt',
      model: 'gpt-test',
      tokensUsed: FAKE_USAGE.openai.total_tokens,
      usage: FAKE_USAGE.openai,
    });
  });

  it.each([
    [429, true],
    [503, true],
    [400, false],
    [404, false],
  ])('HTTP %i → retryable %s', async (status, retryable) => {
    fake.failNext({ status });
    const error = await failure(ask(createOpenAiProvider({ apiKey: 'k', baseUrl: fake.url })));
    expect(error).toMatchObject({ provider: 'openai', status, retryable });
  });

  it('without an API key fails at once, not retryable', async () => {
    const error = await failure(ask(createOpenAiProvider({ baseUrl: fake.url })));
    expect(error).toMatchObject({ code: 'missing_api_key', retryable: false });
    expect(fake.requests).toHaveLength(0);
  });
});
