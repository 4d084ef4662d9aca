/**
 * `POST /webhooks/fireflies`: signature, mapping of the committed enriched fixture, unmappable bodies.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sign } from '../../../apps/gateway/fireflies.js';
import { deterministicId } from '../../../runtime/ids.js';
import { json, startGateway, type TestGateway } from './helpers.js';

const SECRET = 'fireflies-test-secret';
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));
const original = JSON.parse(fixture('original/fireflies.transcript.ready.json').toString('utf8')) as {
  payload: unknown;
};

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway({ firefliesWebhookSecret: SECRET, apiKeys: 'gateway-key-0123456789=#' });
});
afterAll(async () => t?.close());

const hook = (body: Buffer | string, signature: string | null = sign(SECRET, body)) =>
  fetch(`${t.url}/webhooks/fireflies`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature === null ? {} : { 'x-hub-signature': signature }),
    },
    body,
  });

it.each([['fireflies-webhook.json'], ['fireflies-webhook-n8n.json']])(
  'maps %s to fireflies.transcript.ready (the original payload), with a deterministic id',
  async (name) => {
    const res = await hook(fixture(name));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { event_id: string; event_type: string; transcript_id: string };
    expect(body).toMatchObject({
      status: 'published',
      event_type: 'fireflies.transcript.ready',
      transcript_id: '01JD8Q4ZK7M2N3P4Q5R6S7T8V9',
    });
    expect(body.event_id).toBe(
      deterministicId('fireflies.transcript.ready', { transcript_id: '01JD8Q4ZK7M2N3P4Q5R6S7T8V9' }),
    );
    const envelope = json((await t.drain(1))[0]!);
    expect(envelope).toMatchObject({
      event_id: body.event_id,
      source: { type: 'hook', app: 'fireflies-webhook' },
    });
    expect(envelope['payload']).toEqual(original.payload);
  },
);

it('answers 401 for a missing or wrong signature and publishes nothing', async () => {
  const body = fixture('fireflies-webhook.json');
  expect((await hook(body, null)).status).toBe(401);
  expect((await hook(body, sign('other-secret', body))).status).toBe(401);
  expect((await hook(body, 'sha1=abc')).status).toBe(401);
  const tampered = Buffer.from(body.toString('utf8').replace('Weekly planning', 'Weekly plannin'));
  const res = await hook(tampered, sign(SECRET, body));
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
  expect(await t.drain(1, 300)).toEqual([]);
});

it.each([
  ['not JSON', '{"data": '],
  ['no transcript', JSON.stringify({ meetingId: 'm-1', eventType: 'Transcription completed' })],
  [
    'a transcript failing its schema',
    JSON.stringify({ data: { id: 'm-2', date: 1764171000123, title: 'x' } }),
  ],
])('a signed body with %s publishes fireflies.transcript.failed and answers 422', async (_what, body) => {
  const res = await hook(body);
  expect(res.status).toBe(422);
  const answer = (await res.json()) as { error: string; failure_event_id: string };
  expect(answer.error).toBe('unmappable_webhook');
  const [message] = await t.drain(1);
  const envelope = json(message!);
  expect(envelope.event_type).toBe('fireflies.transcript.failed');
  expect(envelope.event_id).toBe(answer.failure_event_id);
  expect(envelope['payload']).toMatchObject({
    failed_stage: 'transcription',
    error_code: 'unmappable_webhook',
    is_retryable: false,
  });
});
