/**
 * `/debug/correlation/…`: links recorded by publishing with X-Bloodbank-Parent-Ids, read back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { example, startGateway, type TestGateway } from './helpers.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway();
});
afterAll(async () => t?.close());

async function publish(parents: string[] = []): Promise<string> {
  const res = await fetch(`${t.url}/events/llm/prompt`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(parents.length ? { 'x-bloodbank-parent-ids': parents.join(',') } : {}),
    },
    body: JSON.stringify(example('llm.prompt')),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { event_id: string }).event_id;
}

const get = async (path: string) => {
  const res = await fetch(`${t.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

it('answers parents, children, chains and the dump of a published chain A → B → C', async () => {
  const a = await publish();
  const b = await publish([a]);
  const c = await publish([b]);
  await t.drain(3);
  expect((await get(`/debug/correlation/${b}`)).body).toMatchObject({
    event_id: b,
    parents: [a],
    children: [c],
    workflow_id: a,
  });
  expect((await get(`/debug/correlation/${c}/chain?direction=ancestors`)).body).toEqual({
    event_id: c,
    direction: 'ancestors',
    chain: [a, b, c],
  });
  expect((await get(`/debug/correlation/${a}/chain?direction=descendants`)).body).toEqual({
    event_id: a,
    direction: 'descendants',
    chain: [a, b, c],
  });
  expect((await get(`/debug/correlation/${c}/chain`)).body['direction']).toBe('ancestors');
  expect((await get(`/debug/correlation/${b}/dump`)).body).toMatchObject({
    event_id: b,
    parents: [a],
    children: [c],
    ancestors: [a, b],
    descendants: [b, c],
  });
});

it('answers 400 on an invalid id, direction or depth', async () => {
  expect(await get('/debug/correlation/not-a-uuid')).toMatchObject({
    status: 400,
    body: { error: 'invalid_event_id' },
  });
  expect((await get('/debug/correlation/nope/dump')).status).toBe(400);
  const id = '0b7e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b';
  expect(await get(`/debug/correlation/${id}/chain?direction=sideways`)).toMatchObject({
    status: 400,
    body: { error: 'invalid_direction' },
  });
  expect((await get(`/debug/correlation/${id}/chain?max_depth=0`)).status).toBe(400);
  expect((await get(`/debug/correlation/${id}`)).body).toMatchObject({
    parents: [],
    children: [],
    metadata: null,
  });
});
