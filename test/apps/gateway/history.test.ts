/**
 * `GET /events/history` against the real broker: the gateway sets the stream up at start (as `bb setup`),
 * answers with stored events oldest first, scoped by the API key's patterns, and names a bad field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyStore } from '../../../apps/gateway/auth.js';
import { example, startGateway, type TestGateway } from './helpers.js';

const ALL = 'key-all-0123456789';
const LLM = 'key-llm-0123456789';
let t: TestGateway;

beforeAll(async () => {
  t = await startGateway({
    bind: null,
    history: { maxAge: '7D', maxBytes: 1024 ** 3 },
    apiKeys: createKeyStore([
      [ALL, ['#']],
      [LLM, ['llm.#']],
    ]),
  });
});
afterAll(async () => {
  await t?.admin.channel.deleteQueue(`${t.exchange}.history`).catch(() => undefined);
  await t?.close();
});

const get = (query: string, key?: string) =>
  fetch(`${t.url}/events/history${query}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

interface HistoryBody {
  count: number;
  complete: boolean;
  events: Array<{ routing_key: string; envelope: { event_id: string } }>;
}

describe('GET /events/history', () => {
  it('stores what is published with nobody subscribed, and returns it scoped by the key', async () => {
    // The gateway declares the stream once its history connection is up.
    const deadline = Date.now() + 10_000;
    while ((await get('', ALL)).status === 404 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));

    const ids: Record<string, string> = {};
    for (const [path, type] of [
      ['/events/llm/prompt', 'llm.prompt'],
      ['/events/artifact/created', 'artifact.created'],
      ['/events/llm/prompt', 'llm.prompt#2'],
    ] as const) {
      const res = await fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALL}` },
        body: JSON.stringify(example(type.split('#')[0] ?? type)),
      });
      expect(res.status, await res.clone().text()).toBe(202);
      ids[type] = ((await res.json()) as { event_id: string }).event_id;
    }

    const all = (await (await get('?since=10m', ALL)).json()) as HistoryBody;
    expect(all.events.map((e) => e.envelope.event_id)).toEqual([
      ids['llm.prompt'],
      ids['artifact.created'],
      ids['llm.prompt#2'],
    ]);
    expect(all).toMatchObject({ count: 3, complete: true });

    const scoped = (await (await get('?since=10m', LLM)).json()) as HistoryBody;
    expect(scoped.events.map((e) => e.routing_key)).toEqual(['llm.prompt', 'llm.prompt']);

    const limited = (await (await get('?pattern=llm.%23&limit=1', ALL)).json()) as HistoryBody;
    expect(limited).toMatchObject({ count: 1, complete: false });
    expect(limited.events[0]?.envelope.event_id).toBe(ids['llm.prompt']);

    const byCorrelation = (await (
      await get(`?correlation=${ids['artifact.created'] ?? ''}`, LLM)
    ).json()) as HistoryBody;
    expect(byCorrelation.count).toBe(0);
  });

  it('requires a key and names a bad field', async () => {
    expect((await get('')).status).toBe(401);
    const bad = await get('?since=yesterday', ALL);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_query', field: '/since' });
    const limit = await get('?limit=0', ALL);
    expect(await limit.json()).toMatchObject({ field: '/limit' });
  });
});
