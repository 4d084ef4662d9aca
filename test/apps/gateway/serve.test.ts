/**
 * `serveGateway()` from the environment (what `bb serve gateway` runs), and the unroutable case.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { serveGateway } from '../../../apps/gateway/serve.js';
import { loadConfig } from '../../../runtime/config.js';
import { createAdmin, uniqueName } from '../../support/private-rabbit.js';
import { example, startGateway } from './helpers.js';

const saved = { ...process.env };
let exchange: string;
beforeEach(() => {
  exchange = uniqueName('gwserve');
  process.env['EXCHANGE_NAME'] = exchange;
  // A bus without history: the unroutable case below needs nothing bound (history-on is tested in history.test.ts).
  process.env['BLOODBANK_HISTORY'] = 'off';
  process.env['BLOODBANK_LOG_LEVEL'] = 'silent';
  delete process.env['HTTP_HOST'];
  delete process.env['BLOODBANK_API_KEYS'];
});
afterEach(async () => {
  process.env = { ...saved };
  const admin = await createAdmin();
  await admin.channel.deleteExchange(exchange).catch(() => undefined);
  await admin.close();
});

it('serves from the configuration on loopback without keys, and closes', async () => {
  const served = await serveGateway({ port: 0 });
  try {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${served.url}/healthz`)).json()).toMatchObject({ ok: true });
  } finally {
    await served.close();
  }
  await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
});

it('refuses an explicit non-loopback host without keys', async () => {
  await expect(serveGateway({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/BLOODBANK_API_KEYS/);
});

it('closes when the signal aborts', async () => {
  const controller = new AbortController();
  const served = await serveGateway({ port: 0, signal: controller.signal });
  controller.abort();
  await new Promise((r) => setTimeout(r, 300));
  await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
});

it('reads BLOODBANK_RATE_LIMIT and BLOODBANK_CORS_ORIGINS from the config module', () => {
  expect(loadConfig({})).toMatchObject({ rateLimit: 6000, corsOrigins: undefined });
  expect(loadConfig({ BLOODBANK_RATE_LIMIT: '0', BLOODBANK_CORS_ORIGINS: '*' })).toMatchObject({
    rateLimit: 0,
    corsOrigins: '*',
  });
  expect(() => loadConfig({ BLOODBANK_RATE_LIMIT: 'lots' })).toThrow(/BLOODBANK_RATE_LIMIT/);
});

it('answers 422 unroutable when no queue is bound for the event, reporting nothing accepted', async () => {
  const t = await startGateway({ bind: null });
  try {
    const res = await fetch(`${t.url}/events/llm/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(example('llm.prompt')),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: 'unroutable', event_type: 'llm.prompt' });
  } finally {
    await t.close();
  }
});
