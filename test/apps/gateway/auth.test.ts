/**
 * API keys and scopes, the listening rules, rate limiting and CORS.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeySpecError, createKeyStore, parseApiKeys } from '../../../apps/gateway/auth.js';
import { GatewayStartError, listenHost } from '../../../apps/gateway/serve.js';
import { example, startGateway, type TestGateway } from './helpers.js';

const FIREFLIES_KEY = 'ff-key-0123456789abcdef';
const ALL_KEY = 'all-key-0123456789abcdef';

describe('parseApiKeys', () => {
  it('reads the spec: keys, patterns, scopes matched as AMQP topics', () => {
    const store = parseApiKeys(`${FIREFLIES_KEY}=fireflies.#|llm.*,${ALL_KEY}=#`);
    expect(store.size).toBe(2);
    const ff = store.lookup(FIREFLIES_KEY)!;
    expect(ff.id).toMatch(/^key:[0-9a-f]{12}$/);
    expect(store.allows(ff, 'fireflies.transcript.ready')).toBe(true);
    expect(store.allows(ff, 'llm.prompt')).toBe(true);
    expect(store.allows(ff, 'llm.prompt.extra')).toBe(false);
    expect(store.allows(ff, 'github.pr.created')).toBe(false);
    expect(store.allows(store.lookup(ALL_KEY)!, 'github.pr.created')).toBe(true);
    expect(store.lookup('nope')).toBeUndefined();
    expect(store.lookup('')).toBeUndefined();
  });

  it('keeps only digests of the keys', () => {
    const store = parseApiKeys(`${FIREFLIES_KEY}=#`);
    expect(JSON.stringify(store.lookup(FIREFLIES_KEY))).not.toContain(FIREFLIES_KEY);
  });

  it('reads a keys file, ignoring comments and blank lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bbtest-keys-'));
    const file = join(dir, 'keys');
    await writeFile(file, `# gateway keys\n\n${FIREFLIES_KEY}=fireflies.#\n${ALL_KEY}=#\n`);
    const store = parseApiKeys(file);
    expect(store.size).toBe(2);
    expect(store.allows(store.lookup(FIREFLIES_KEY)!, 'llm.prompt')).toBe(false);
  });

  it.each([['nokeyhere'], ['k='], ['=#'], ['k=fire..x'], ['k=a|'], ['k=a b']])(
    'rejects %j without echoing the key',
    (spec) => {
      expect(() => parseApiKeys(spec)).toThrow(ApiKeySpecError);
    },
  );

  it('an empty spec means no keys', () => {
    expect(parseApiKeys(undefined).size).toBe(0);
    expect(parseApiKeys('  ').size).toBe(0);
  });
});

describe('listenHost', () => {
  it('serves anywhere with keys', () => {
    expect(listenHost({ requested: '0.0.0.0', configured: '0.0.0.0', keys: 1, auth: 'on' })).toEqual({
      host: '0.0.0.0',
      warning: null,
    });
  });
  it('without keys: the default host becomes 127.0.0.1, with a warning', () => {
    const r = listenHost({ requested: undefined, configured: '0.0.0.0', keys: 0, auth: 'on' });
    expect(r.host).toBe('127.0.0.1');
    expect(r.warning).toMatch(/loopback|127\.0\.0\.1/);
    expect(listenHost({ requested: '::1', configured: '0.0.0.0', keys: 0, auth: 'on' }).host).toBe('::1');
  });
  it('without keys: an explicit non-loopback host is refused', () => {
    expect(() => listenHost({ requested: '0.0.0.0', configured: '0.0.0.0', keys: 0, auth: 'on' })).toThrow(
      GatewayStartError,
    );
    expect(() => listenHost({ requested: '10.1.2.3', configured: '0.0.0.0', keys: 0, auth: 'on' })).toThrow(
      /BLOODBANK_AUTH=off/,
    );
  });
  it('BLOODBANK_AUTH=off serves anywhere and says so loudly', () => {
    const r = listenHost({ requested: '0.0.0.0', configured: '0.0.0.0', keys: 0, auth: 'off' });
    expect(r.host).toBe('0.0.0.0');
    expect(r.warning).toMatch(/AUTHENTICATION IS DISABLED/);
  });
});

describe('a gateway with keys', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startGateway({
      apiKeys: createKeyStore([
        [FIREFLIES_KEY, ['fireflies.#', 'llm.*']],
        [ALL_KEY, ['#']],
      ]),
      rateLimit: { max: 5, timeWindowMs: 60_000 },
      corsOrigins: ['https://ui.example.com'],
    });
  });
  afterAll(async () => t?.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('answers 401 without a key and with an unknown key', async () => {
    const none = await post('/events/llm/prompt', example('llm.prompt'));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(await none.json()).toMatchObject({ error: 'unauthorized' });
    const wrong = await post('/events/llm/prompt', example('llm.prompt'), {
      authorization: 'Bearer wrong-key',
    });
    expect(wrong.status).toBe(401);
    const custom = await post('/events/custom', {});
    expect(custom.status).toBe(401);
    const debug = await fetch(`${t.url}/debug/correlation/0b7e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b`);
    expect(debug.status).toBe(401);
    expect(await t.drain(1, 300)).toEqual([]);
  });

  it('accepts Authorization: Bearer and X-API-Key within scope, 403 outside', async () => {
    expect(
      (await post('/events/llm/prompt', example('llm.prompt'), { authorization: `Bearer ${FIREFLIES_KEY}` }))
        .status,
    ).toBe(202);
    expect(
      (await post('/events/llm/prompt', example('llm.prompt'), { 'x-api-key': FIREFLIES_KEY })).status,
    ).toBe(202);
    const outside = await post('/events/github/pr/created', example('github.pr.created'), {
      'x-api-key': FIREFLIES_KEY,
    });
    expect(outside.status).toBe(403);
    expect(await outside.json()).toMatchObject({ error: 'forbidden', event_type: 'github.pr.created' });
    const customOutside = await post(
      '/events/custom',
      {
        event_type: 'github.pr.created',
        source: { host: 'h', type: 'manual' },
        payload: example('github.pr.created'),
      },
      { 'x-api-key': FIREFLIES_KEY },
    );
    expect(customOutside.status).toBe(403);
    expect((await t.drain(3, 400)).length).toBe(2);
  });

  it('leaves health, registry and docs open', async () => {
    for (const path of ['/healthz', '/readyz', '/events', '/openapi.json', '/docs', '/metrics'])
      expect((await fetch(`${t.url}${path}`)).status, path).toBe(200);
  });

  it('rate-limits per key (429), each key on its own budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1)
      statuses.push(
        (await post('/events/github/pr/created', example('github.pr.created'), { 'x-api-key': ALL_KEY }))
          .status,
      );
    expect(statuses.slice(0, 5).every((s) => s === 202)).toBe(true);
    expect(statuses[5]).toBe(429);
    const limited = await post('/events/github/pr/created', example('github.pr.created'), {
      'x-api-key': ALL_KEY,
    });
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    // The other key spent 2 of its 5 in the previous test.
    expect(
      (await post('/events/llm/prompt', example('llm.prompt'), { 'x-api-key': FIREFLIES_KEY })).status,
    ).toBe(202);
    await t.drain(6, 400);
  });

  it('rate-limits the webhook per client address, and never health, registry or docs', async () => {
    // No FIREFLIES_WEBHOOK_SECRET here: each call is refused (403) until the limit of 5 answers 429.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await post('/webhooks/fireflies', {})).status);
    expect(statuses.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
    expect(statuses[5]).toBe(429);
    for (let i = 0; i < 8; i += 1) expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('answers CORS preflights for the configured origins only', async () => {
    const ok = await fetch(`${t.url}/events/llm/prompt`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://ui.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type',
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ui.example.com');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-API-Key/i);
    const other = await fetch(`${t.url}/healthz`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('BLOODBANK_AUTH=off', () => {
  it('accepts requests without a key even when keys are configured', async () => {
    const t = await startGateway({ apiKeys: `${ALL_KEY}=llm.*`, auth: 'off' });
    try {
      expect(t.gateway.authMode).toBe('off');
      const res = await fetch(`${t.url}/events/github/pr/created`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(example('github.pr.created')),
      });
      expect(res.status).toBe(202);
      expect(await t.drain(1)).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
