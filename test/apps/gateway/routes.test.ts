/**
 * Each endpoint and its error paths against the real broker and Redis (gateway without API keys).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRegistry, example, json, startGateway, type TestGateway } from './helpers.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startGateway({ bodyLimit: 256 * 1024 });
});
afterAll(async () => t?.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('health and registry', () => {
  it('GET /healthz is alive and /readyz reports RabbitMQ and Redis up', async () => {
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, service: 'bloodbank-gateway' });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ok: true,
      rabbitmq: { status: 'up', exchange: t.exchange },
      redis: { status: 'up' },
    });
  });

  it('GET /events lists every domain, type and kind of the registry', async () => {
    const body = (await (await fetch(`${t.url}/events`)).json()) as {
      count: number;
      domains: Array<{ domain: string; events: Array<{ type: string; kind: string; path: string }> }>;
      types: Array<{ type: string; kind: string }>;
    };
    expect(body.count).toBe(appRegistry.list().length);
    expect(body.domains.map((d) => d.domain)).toEqual([...appRegistry.listDomains()]);
    expect(body.types).toContainEqual({ type: 'agent.thread.prompt', kind: 'command' });
    const ready = body.domains.flatMap((d) => d.events).find((e) => e.type === 'fireflies.transcript.ready');
    expect(ready?.path).toBe('/events/fireflies/transcript/ready');
  });

  it('GET /events/{type}/schema answers the payload schema, 404 for an unknown type', async () => {
    const res = await fetch(`${t.url}/events/fireflies.transcript.ready/schema`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(appRegistry.require('fireflies.transcript.ready').schema);
    const missing = await fetch(`${t.url}/events/nope.nothing/schema`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'unknown_event_type' });
  });

  it('GET /openapi.json has a path per event and command, with $refs that resolve', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const def of appRegistry.list()) {
      expect(doc.paths, def.key).toHaveProperty([`/events/${def.tokens.join('/')}`]);
      if (def.kind === 'command') expect(doc.paths).toHaveProperty([`/commands/${def.tokens.join('/')}`]);
    }
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(appRegistry.list().length);
    for (const ref of refs) {
      const name = ref.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(doc.components.schemas, name).toHaveProperty([name]);
    }
  });

  it('GET /docs is an HTML page built from the registry', async () => {
    const res = await fetch(`${t.url}/docs`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    for (const def of appRegistry.list()) expect(html).toContain(`POST /events/${def.tokens.join('/')}`);
    expect(html).toContain('%23');
  });

  it('GET /metrics exposes the runtime and gateway metrics in Prometheus format', async () => {
    await fetch(`${t.url}/healthz`);
    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toContain('bloodbank_gateway_requests_total{method="GET",route="/healthz",status="200"}');
    expect(text).toContain('bloodbank_confirmed_total');
  });
});

describe('POST /events/<tokens>', () => {
  it('answers 202 with event_id and event_type once confirmed, and builds the envelope from the headers', async () => {
    const parent = '0b7e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b';
    const agent = Buffer.from(JSON.stringify({ type: 'claude-code', name: 'reviewer' })).toString('base64');
    const res = await post('/events/fireflies/transcript/ready', example('fireflies.transcript.ready'), {
      'x-bloodbank-app': 'my-ui',
      'x-bloodbank-parent-ids': parent.toUpperCase(),
      'x-bloodbank-agent-context': agent,
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { event_id: string; event_type: string };
    expect(body.event_type).toBe('fireflies.transcript.ready');
    const [message] = await t.drain(1);
    expect(message).toBeDefined();
    const envelope = json(message!);
    expect(envelope).toMatchObject({
      event_id: body.event_id,
      event_type: 'fireflies.transcript.ready',
      source: { host: '127.0.0.1', type: 'manual', app: 'my-ui', meta: null },
      correlation_ids: [parent],
      agent_context: { type: 'claude-code', name: 'reviewer', system_prompt: null },
      payload: example('fireflies.transcript.ready'),
    });
    expect(message!.fields.routingKey).toBe('fireflies.transcript.ready');
  });

  it('defaults source.app to http-client and applies payload defaults', async () => {
    const res = await post('/events/llm/prompt', example('llm.prompt'));
    expect(res.status).toBe(202);
    const envelope = json((await t.drain(1))[0]!);
    expect(envelope['source']).toMatchObject({ app: 'http-client' });
  });

  it('X-Bloodbank-Idempotency-Key gives the same event_id on a retry', async () => {
    const headers = { 'x-bloodbank-idempotency-key': 'order-42' };
    const a = (await (await post('/events/llm/prompt', example('llm.prompt'), headers)).json()) as {
      event_id: string;
    };
    const b = (await (await post('/events/llm/prompt', example('llm.prompt'), headers)).json()) as {
      event_id: string;
    };
    expect(a.event_id).toBe(b.event_id);
    const c = (await (await post('/events/llm/response', example('llm.response'), headers)).json()) as {
      event_id: string;
    };
    expect(c.event_id).not.toBe(a.event_id);
    expect((await t.drain(3)).map((m) => json(m).event_id)).toEqual([a.event_id, a.event_id, c.event_id]);
  });

  it('answers 400 with every failing JSON pointer and rule, and publishes nothing', async () => {
    const bad: Record<string, unknown> = {
      ...example('fireflies.transcript.ready'),
      duration: 999999,
      title: 5,
      extra: true,
    };
    delete bad['id'];
    const res = await post('/events/fireflies/transcript/ready', bad);
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: string;
      message: string;
      issues: Array<{ in: string; pointer: string; rule: string }>;
    };
    expect(body.error).toBe('validation_failed');
    expect(body.issues.map((i) => [i.pointer, i.rule]).sort()).toEqual(
      [
        ['/id', 'required'],
        ['/duration', 'maximum'],
        ['/title', 'type'],
        ['/extra', 'additionalProperties'],
      ].sort(),
    );
    expect(body.message).toContain('duration must be <= 86400');
    expect(await t.drain(1, 300)).toEqual([]);
  });

  it('locates header problems in their header', async () => {
    const res = await post('/events/llm/prompt', example('llm.prompt'), {
      'x-bloodbank-parent-ids': 'not-a-uuid',
      'x-bloodbank-agent-context': Buffer.from('{"type":"robot"}').toString('base64'),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: Array<{ in: string; header: string; rule: string }> };
    expect(body.issues).toContainEqual(
      expect.objectContaining({ in: 'header', header: 'X-Bloodbank-Parent-Ids', rule: 'format' }),
    );
    const agent = await post('/events/llm/prompt', example('llm.prompt'), {
      'x-bloodbank-agent-context': Buffer.from('{"type":"robot"}').toString('base64'),
    });
    expect(agent.status).toBe(400);
    expect(((await agent.json()) as { issues: unknown[] }).issues).toContainEqual(
      expect.objectContaining({
        in: 'header',
        header: 'X-Bloodbank-Agent-Context',
        pointer: '/type',
        rule: 'enum',
      }),
    );
    const notB64 = await post('/events/llm/prompt', example('llm.prompt'), {
      'x-bloodbank-agent-context': '{json}',
    });
    expect(notB64.status).toBe(400);
    expect(await t.drain(1, 300)).toEqual([]);
  });

  it('rejects a body that is not a JSON object, invalid JSON and other media types with 4xx', async () => {
    for (const body of ['[1,2]', '"x"', 'null', '{"a":', '']) {
      const res = await post('/events/llm/prompt', body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBeTypeOf('string');
    }
    const text = await fetch(`${t.url}/events/llm/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(text.status).toBe(415);
    expect(await t.drain(1, 300)).toEqual([]);
  });

  it('answers 413 over the body limit', async () => {
    const big = { ...example('llm.prompt'), prompt: 'x'.repeat(300 * 1024) };
    const res = await post('/events/llm/prompt', big);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'body_too_large' });
  });

  it('answers 404 for an unknown event type, and accepts the dotted key as one segment', async () => {
    const res = await post('/events/nope/thing/happened', {});
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: 'unknown_event_type',
      event_type: 'nope.thing.happened',
    });
    const dotted = await post('/events/llm.prompt', example('llm.prompt'));
    expect(dotted.status).toBe(202);
    expect(await t.drain(1)).toHaveLength(1);
  });
});

describe('POST /events/custom', () => {
  const envelope = () => ({
    event_type: 'llm.prompt',
    source: { host: 'laptop', type: 'manual', app: 'legacy' },
    payload: example('llm.prompt'),
  });

  it('publishes a valid envelope and answers as the original: 200 {"status":"published","event_id":…}', async () => {
    const id = '3f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
    const res = await post('/events/custom', { ...envelope(), event_id: id });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'published', event_id: id });
    const got = json((await t.drain(1))[0]!);
    expect(got).toMatchObject({ event_id: id, version: '1.0.0', correlation_ids: [], agent_context: null });
    const noId = await post('/events/custom', envelope());
    const body = (await noId.json()) as { event_id: string };
    expect(body.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json((await t.drain(1))[0]!).event_id).toBe(body.event_id);
  });

  it.each([
    ['fireflies.#', /binding pattern/],
    ['fireflies.*.ready', /binding pattern/],
    ['Fireflies.Ready', /lowercase/],
    ['single', /lowercase/],
    ['a.b.c.d.e.f.g', /lowercase/],
    ['nope.unknown', /not a known event type/],
  ])('rejects event_type %s', async (eventType, message) => {
    const res = await post('/events/custom', { ...envelope(), event_type: eventType });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: Array<{ pointer: string; message: string }> };
    expect(body.issues).toContainEqual(
      expect.objectContaining({ pointer: '/event_type', message: expect.stringMatching(message) }),
    );
  });

  it('validates the envelope and the payload, with pointers into the envelope', async () => {
    const res = await post('/events/custom', {
      event_type: 'llm.prompt',
      source: { host: 'h', type: 'bogus' },
      payload: { ...example('llm.prompt'), surprise: 1 },
      event_id: 'nope',
    });
    expect(res.status).toBe(400);
    const pointers = ((await res.json()) as { issues: Array<{ pointer: string }> }).issues.map(
      (i) => i.pointer,
    );
    expect(pointers).toEqual(expect.arrayContaining(['/source/type', '/payload/surprise', '/event_id']));
    const missing = await post('/events/custom', {});
    expect(missing.status).toBe(400);
    expect(await t.drain(1, 300)).toEqual([]);
  });
});
